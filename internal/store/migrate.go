package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate brings the schema up to date: yuanxu's goose migrations, then
// River's. It holds the engine's migration lock throughout, so several
// instances may start at once; the first migrates, the others wait and find
// nothing to do.
func (db *DB) Migrate(ctx context.Context) error {
	release, err := db.dialect.Lock(ctx, db.write)
	if err != nil {
		return err
	}
	defer release()
	p, err := db.goose()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if err := db.AuditRebase(ctx); err != nil {
		return fmt.Errorf("migrate: audit positions: %w", err)
	}
	return nil
}

func (db *DB) goose() (*goose.Provider, error) {
	dialect := goose.DialectPostgres
	if db.dialect.Engine == SQLite {
		dialect = goose.DialectSQLite3
	}
	return goose.NewProvider(dialect, db.write, db.dialect.Migrations, goose.WithDisableGlobalRegistry(true))
}

// ErrMigrationsPending is returned by CheckMigrations when the schema is
// behind the binary.
var ErrMigrationsPending = errors.New("database migrations are pending")

// CheckMigrations reports whether the schema is current (readiness).
func (db *DB) CheckMigrations(ctx context.Context) error {
	p, err := db.goose()
	if err != nil {
		return err
	}
	cur, target, err := p.GetVersions(ctx)
	if err != nil {
		return err
	}
	if cur < target {
		return fmt.Errorf("%w: at %d, binary wants %d", ErrMigrationsPending, cur, target)
	}
	return nil
}

// MigrationVersions lists the version numbers in a goose migration FS, for
// the parity test between engines.
func MigrationVersions(fsys fs.FS) ([]int64, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var vs []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs, nil
}

// SchemaDigest hashes a migration FS (file names and contents), so test
// harnesses can key a migrated template database on it.
func SchemaDigest(fsys fs.FS) string {
	h := sha256.New()
	_ = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}
