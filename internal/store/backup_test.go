package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
)

// TestSnapshotIsConsistentWhileWritesContinue: a second handle on the file
// (as `yuanxu admin backup` is a second process) snapshots it while the
// first keeps moving money between rows; the snapshot holds the constant
// total (one commit's state, never half a transfer) and the writers were
// never refused.
func TestSnapshotIsConsistentWhileWritesContinue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	live, err := sqlite.Open(filepath.Join(dir, "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	const rows, each = 50, 1000
	if _, err := live.Writer().Exec(`CREATE TABLE bank (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		live.Writer().Exec(`INSERT INTO bank VALUES ($1, $2)`, i, each)
	}
	var commits atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tx, err := live.Writer().Begin()
			if err != nil {
				t.Error(err)
				return
			}
			tx.Exec(`UPDATE bank SET bal = bal - 7 WHERE id = $1`, i%rows)
			tx.Exec(`UPDATE bank SET bal = bal + 7 WHERE id = $1`, (i*13+1)%rows)
			if err := tx.Commit(); err != nil {
				t.Error(err)
				return
			}
			commits.Add(1)
		}
	}()
	other, err := sqlite.Open(filepath.Join(dir, "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	waitFor := func(n int64) {
		deadline := time.Now().Add(20 * time.Second)
		for commits.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("writers stalled at %d commits, want %d", commits.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(20)
	snap := filepath.Join(dir, "snap.db")
	before := commits.Load()
	if err := other.SnapshotSQLite(ctx, snap); err != nil {
		t.Fatal(err)
	}
	waitFor(before + 20) // the writers carry on after (and during) the snapshot
	close(stop)
	wg.Wait()
	if err := other.SnapshotSQLite(ctx, snap); err == nil {
		t.Fatal("a snapshot overwrote an existing file")
	}
	s, err := sqlite.Open(snap, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var total, n int64
	if err := s.Reader().QueryRow(`SELECT sum(bal), count(*) FROM bank`).Scan(&total, &n); err != nil {
		t.Fatal(err)
	}
	if total != rows*each || n != rows {
		t.Fatalf("snapshot holds %d rows summing to %d, want %d rows summing to %d", n, total, rows, rows*each)
	}
}

func TestSnapshotRefusesPostgres(t *testing.T) {
	t.Parallel()
	pg := store.New(store.Dialect{Engine: store.Postgres}, nil, nil)
	if err := pg.SnapshotSQLite(context.Background(), filepath.Join(t.TempDir(), "x")); !errors.Is(err, store.ErrNotSQLite) {
		t.Fatalf("err = %v, want ErrNotSQLite", err)
	}
}
