package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	Deps       []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "yuanxu/...")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// layer classifies a package by DESIGN.md §6's layers.
func layer(path string) string {
	p := strings.TrimPrefix(path, "yuanxu/")
	switch {
	case strings.HasPrefix(p, "cmd/"):
		return "cmd"
	case p == "internal/app" || strings.HasPrefix(p, "internal/app/"):
		return "app"
	case strings.HasPrefix(p, "internal/store"):
		return "store"
	case strings.HasPrefix(p, "internal/provider"):
		return "provider" // adapters for outside APIs: may use net/http
	case strings.HasPrefix(p, "internal/webtest"), strings.HasPrefix(p, "internal/browsertest"), strings.HasSuffix(p, "test"):
		return "test" // harnesses: may open stores directly
	case p == "internal/web" || strings.HasPrefix(p, "internal/web/"):
		return "web"
	case strings.HasPrefix(p, "internal/jobs"):
		return "jobs"
	case strings.HasPrefix(p, "internal/archtest"), strings.HasPrefix(p, "e2e"):
		return "test"
	case strings.HasPrefix(p, "internal/bench"):
		return "test" // the performance harness (yuanxu bench) wires app, web and store as webtest does
	}
	return "domain"
}

// TestImportRules: domain packages import neither database/sql nor net/http
// (nor any outer layer); web and jobs reach storage only through app.
func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		l := layer(p.ImportPath)
		for _, imp := range p.Imports {
			il := layer(imp)
			if !strings.HasPrefix(imp, "yuanxu/") {
				il = "external"
			}
			switch l {
			case "domain":
				if imp == "database/sql" || imp == "net/http" || strings.HasPrefix(imp, "database/sql/") || strings.HasPrefix(imp, "net/http/") {
					t.Errorf("domain package %s imports %s", p.ImportPath, imp)
				}
				if il == "app" || il == "store" || il == "web" || il == "jobs" || il == "cmd" {
					t.Errorf("domain package %s imports outer layer %s", p.ImportPath, imp)
				}
			case "web", "jobs":
				if il == "store" {
					t.Errorf("%s package %s imports %s: go through app", l, p.ImportPath, imp)
				}
			case "provider":
				if il == "app" || il == "store" || il == "web" || il == "jobs" {
					t.Errorf("provider package %s imports %s", p.ImportPath, imp)
				}
			case "store":
				if il == "app" || il == "web" || il == "jobs" {
					t.Errorf("store package %s imports %s", p.ImportPath, imp)
				}
			case "app":
				if il == "web" {
					t.Errorf("app package %s imports web package %s", p.ImportPath, imp)
				}
			}
		}
	}
}

// TestPackageDocs: every package has a doc comment (tailscale's pkgdoc test).
func TestPackageDocs(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no package doc comment", p.ImportPath)
		}
	}
}
