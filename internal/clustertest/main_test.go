package clustertest_test

import (
	"fmt"
	"os"
	"testing"

	"yuanxu/internal/clustertest"
)

var bin string

// TestMain builds the yuanxu binary once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "yuanxu-harness-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = clustertest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// engines are the set-ups every harness test runs on: three instances on
// one PostgreSQL database, one instance on SQLite (a SQLite file has one
// writer process).
var engines = []struct {
	name      string
	engine    clustertest.Engine
	instances int
}{
	{"postgres", clustertest.Postgres, 3},
	{"sqlite", clustertest.SQLite, 1},
}
