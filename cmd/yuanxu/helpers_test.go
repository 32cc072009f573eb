package main

import (
	"context"
	"testing"

	"yuanxu/internal/store"
	"yuanxu/internal/store/engine"
)

func openFor(t *testing.T, dbArgs []string) *store.DB {
	t.Helper()
	c := engine.Config{}
	if dbArgs[0] == "--data" {
		c.DataDir = dbArgs[1]
	} else {
		c.URL = dbArgs[1]
	}
	db, err := engine.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func sealAll(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Writer().Exec(`DELETE FROM audit_batch`); err != nil {
		t.Fatal(err)
	}
	for {
		var ok bool
		if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			var err error
			_, ok, err = tx.AuditSeal(ctx, 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
	}
}
