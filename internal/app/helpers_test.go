package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/jobs"
	"yuanxu/internal/store"
	"yuanxu/internal/store/postgres"
)

func openPostgres(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func jobsFast() jobs.Config {
	return jobs.Config{PollInterval: 50 * time.Millisecond, SealInterval: 100 * time.Millisecond, SweepInterval: time.Second}
}
