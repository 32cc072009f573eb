package pages

import (
	"testing"
	"time"
)

func TestByteSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n    int64
		want string
	}{
		{1 << 30, "1 GB"}, {3 << 30, "3 GB"}, {1 << 40, "1 TB"}, {512 << 20, "512 MB"},
		{1<<30 + 1, "1073741825 B"}, {0, "0 B"}, {1536, "1536 B"},
	} {
		if got := byteSize(c.n); got != c.want {
			t.Errorf("byteSize(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestHours(t *testing.T) {
	t.Parallel()
	if got := hours(24 * time.Hour); got != "24" {
		t.Errorf("hours(24h) = %q", got)
	}
	if got := hours(90 * time.Minute); got != "1.5" {
		t.Errorf("hours(90m) = %q", got)
	}
}

func TestIsLocalPath(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/": true, "/console/": true, "/login?next=%2F": true, "/a#frag": true,
		"": false, "//x": false, "/\\x": false, "http://x": false, "x": false,
		"/%2F/x": false, "/\x00": false, "/a\nb": false,
	} {
		if got := isLocalPath(p); got != want {
			t.Errorf("isLocalPath(%q) = %v", p, got)
		}
	}
}
