package pages_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The vendored htmx is exactly the file recorded in SHA256SUMS (taken from
// the npm package htmx.org@2.0.11, dist/htmx.min.js).
func TestVendorChecksums(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("static", "vendor")
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		want, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", line)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, want)
		}
		n++
	}
	if n == 0 {
		t.Fatal("SHA256SUMS lists nothing")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != n+1 {
		t.Errorf("static/vendor holds %d files, SHA256SUMS lists %d", len(entries)-1, n)
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	_, doc := page(t, h, "/", 200)

	type ref struct{ url, integrity, file string }
	var refs []ref
	for _, l := range doc.tags("link") {
		if l.attrs["rel"] == "stylesheet" {
			refs = append(refs, ref{l.attrs["href"], l.attrs["integrity"], "app.css"})
		}
	}
	for _, s := range doc.tags("script") {
		refs = append(refs, ref{s.attrs["src"], s.attrs["integrity"], "vendor/htmx-2.0.11.min.js"})
	}
	if len(refs) != 2 {
		t.Fatalf("refs %v", refs)
	}
	for _, r := range refs {
		disk, err := os.ReadFile(filepath.Join("static", r.file))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(disk)
		ext := filepath.Ext(r.file)
		want := "/static/" + strings.TrimSuffix(r.file, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		if r.url != want {
			t.Errorf("URL %s, want %s", r.url, want)
		}
		s384 := sha512.Sum384(disk)
		if r.integrity != "sha384-"+base64.StdEncoding.EncodeToString(s384[:]) {
			t.Errorf("%s: integrity %s", r.file, r.integrity)
		}

		resp := get(t, h, r.url)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Equal(body, disk) {
			t.Fatalf("GET %s: %d, %d bytes", r.url, resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", r.url, cc)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", r.url)
		}
		wantType := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}[ext]
		if ct := resp.Header.Get("Content-Type"); ct != wantType {
			t.Errorf("%s: Content-Type %q", r.url, ct)
		}
		if resp := get(t, h, r.url, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", r.url, resp.StatusCode)
		}

		// The plain name is served too, but must be revalidated.
		resp = get(t, h, "/static/"+r.file)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, no-cache" || resp.Header.Get("ETag") != etag {
			t.Errorf("plain %s: %d %q %q", r.file, resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
		}
	}
	if resp := get(t, h, "/static/vendor/SHA256SUMS"); resp.StatusCode != 404 {
		t.Errorf("SHA256SUMS is served: %d", resp.StatusCode)
	}
	if resp := get(t, h, "/static/"); resp.StatusCode != 404 {
		t.Errorf("/static/ lists: %d", resp.StatusCode)
	}
}
