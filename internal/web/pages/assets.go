package pages

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFS holds the embedded assets. SHA256SUMS is deliberately not
// embedded: it is checked by a test, not served.
//
//go:embed static/*.css static/*.svg static/vendor/*.js
var staticFS embed.FS

// StaticPrefix is the URL prefix of the embedded assets.
const StaticPrefix = "/static/"

// asset is one embedded file, addressable by its plain name (revalidated
// with an ETag) and by its content-hashed name (cached for a year).
type asset struct {
	name      string // "app.css", "vendor/htmx-2.0.11.min.js"
	hashed    string // "app.3f2a1b4c5d6e.css"
	body      []byte
	etag      string // strong, quoted
	integrity string // "sha384-…", for the integrity attribute
	ctype     string
}

// assets indexes the embedded files by both names.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

func loadAssets() (*assets, error) {
	as := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		s384 := sha512.Sum384(body)
		a := &asset{
			name:      name,
			hashed:    strings.TrimSuffix(name, ext) + "." + h + ext,
			body:      body,
			etag:      `"` + h + `"`,
			integrity: "sha384-" + base64.StdEncoding.EncodeToString(s384[:]),
			ctype:     mime.TypeByExtension(ext),
		}
		if a.ctype == "" {
			return fmt.Errorf("pages: no content type for static/%s", name)
		}
		as.byName[name] = a
		as.byHashed[a.hashed] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pages: loading static assets: %w", err)
	}
	return as, nil
}

// url returns the content-hashed URL of an asset.
func (as *assets) url(name string) (string, error) {
	a, ok := as.byName[name]
	if !ok {
		return "", fmt.Errorf("pages: no static asset %q", name)
	}
	return StaticPrefix + a.hashed, nil
}

// sri returns the integrity attribute value of an asset.
func (as *assets) sri(name string) (string, error) {
	a, ok := as.byName[name]
	if !ok {
		return "", fmt.Errorf("pages: no static asset %q", name)
	}
	return a.integrity, nil
}

// serve answers GET /static/…: a hashed name is immutable and cached for a
// year; a plain name must be revalidated (ETag, 304). Unknown names get
// notFound.
func (as *assets) serve(notFound http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, StaticPrefix)
		cache := "public, max-age=31536000, immutable"
		a, ok := as.byHashed[name]
		if !ok {
			a, ok = as.byName[name]
			cache = "public, no-cache"
		}
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", cache)
		h.Set("ETag", a.etag)
		h.Set("Content-Type", a.ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		// ServeContent answers If-None-Match with 304 and handles Range and
		// HEAD; the zero modtime leaves Last-Modified out.
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
	})
}
