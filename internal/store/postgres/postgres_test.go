package postgres_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/store/postgres"
	"yuanxu/internal/store/storetest"
)

// TestPoolOptions: --db-statement-timeout reaches every connection, and a
// statement_timeout in the URL wins over it.
func TestPoolOptions(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresDatabase(t)
	for _, tt := range []struct{ url, want string }{
		{url, "1234ms"},
		{url + "&statement_timeout=5000", "5s"},
	} {
		db, err := postgres.Open(context.Background(), tt.url, postgres.Options{MaxConns: 2, StatementTimeout: 1234 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.Writer().QueryRow(`SHOW statement_timeout`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != tt.want {
			t.Errorf("statement_timeout %q, want %q", got, tt.want)
		}
	}
}
