package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
)

// TestConnectionSettings: the writer and the readers run with the settings
// the design depends on — WAL, synchronous=FULL (every commit durable),
// foreign keys on — and with temporary storage in memory: savepoint
// sub-journals (one per group-commit member, ADR 10) and sort files are
// never needed for crash recovery, and on disk they cost a pwrite per
// journalled page inside the one writer (ADR 15).
func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	db := open(t, sqlite.Options{})
	ctx := context.Background()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "temp_store": "2"}
	for pragma, v := range want {
		var fromReader, fromWriter string
		if err := db.QueryRow(ctx, "PRAGMA "+pragma).Scan(&fromReader); err != nil {
			t.Fatalf("reader: PRAGMA %s: %v", pragma, err)
		}
		if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.QueryRow(ctx, "PRAGMA "+pragma).Scan(&fromWriter)
		}); err != nil {
			t.Fatalf("writer: PRAGMA %s: %v", pragma, err)
		}
		if fmt.Sprint(fromReader) != v || fmt.Sprint(fromWriter) != v {
			t.Errorf("PRAGMA %s: reader %q, writer %q; want %q", pragma, fromReader, fromWriter, v)
		}
	}
}
