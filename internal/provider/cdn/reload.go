package cdn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// WriteAtomic replaces path with data so that a reader (nginx at reload)
// sees either the old file or the new one, never a part: it writes a
// temporary file in the same directory, syncs it, renames it over path
// and syncs the directory. The file's mode is 0644 (nginx workers may run
// as another user); write keys with WriteFileAtomic and 0600.
func WriteAtomic(path string, data []byte) error { return WriteFileAtomic(path, data, 0o644) }

// WriteFileAtomic is WriteAtomic with the file mode perm (a private key:
// 0600, read by nginx's master process, which runs as root).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cdn: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cdn: %w", err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("cdn: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cdn: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cdn: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cdn: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the rename is done either way
		d.Close()
	}
	return nil
}

// NginxOptions say which nginx to drive. The zero value drives the
// system nginx with its compiled-in paths (nginx -t; nginx -s reload).
type NginxOptions struct {
	// Binary is the nginx executable; "" means "nginx" on PATH.
	Binary string
	// Prefix (-p), ConfigFile (-c), ErrorLog (-e) and Globals (-g) are
	// passed when set, so that a private nginx (tests, a non-default
	// install) is tested and signalled with its own configuration and pid
	// file.
	Prefix     string
	ConfigFile string
	ErrorLog   string
	Globals    string
}

func (o NginxOptions) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := o.Binary
	if bin == "" {
		bin = "nginx"
	}
	var argv []string
	if o.Prefix != "" {
		argv = append(argv, "-p", o.Prefix)
	}
	if o.ConfigFile != "" {
		argv = append(argv, "-c", o.ConfigFile)
	}
	if o.ErrorLog != "" {
		argv = append(argv, "-e", o.ErrorLog)
	}
	if o.Globals != "" {
		argv = append(argv, "-g", o.Globals)
	}
	return exec.CommandContext(ctx, bin, append(argv, args...)...)
}

func (o NginxOptions) run(ctx context.Context, args ...string) error {
	cmd := o.command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdn: %s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Check runs `nginx -t` on the whole configuration. The error carries
// nginx's output, which names the file and line at fault.
func Check(ctx context.Context, o NginxOptions) error { return o.run(ctx, "-q", "-t") }

// Reload checks the configuration and, when it passes, signals the
// running master to reload (`nginx -s reload`). Reloading is graceful:
// old workers finish their requests. Reload returns once the signal is
// sent; the new configuration takes effect shortly after.
func Reload(ctx context.Context, o NginxOptions) error {
	if err := Check(ctx, o); err != nil {
		return err
	}
	return o.run(ctx, "-s", "reload")
}

// Deploy is what an edge agent does with a freshly rendered file: when
// data differs from what is at path, it writes data atomically, checks the
// configuration, and reloads nginx. When the check fails it puts the
// previous file back (or removes the new one if there was none), so a bad
// file never stays on disk for the next restart, and returns the check's
// error. changed reports whether a reload was sent.
func Deploy(ctx context.Context, o NginxOptions, path string, data []byte) (changed bool, err error) {
	old, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("cdn: %w", err)
	}
	if existed && bytes.Equal(old, data) {
		return false, nil
	}
	if err := WriteAtomic(path, data); err != nil {
		return false, err
	}
	if err := Check(ctx, o); err != nil {
		var restore error
		if existed {
			restore = WriteAtomic(path, old)
		} else {
			restore = os.Remove(path)
		}
		if restore != nil {
			return false, fmt.Errorf("%w (and restoring %s failed: %v)", err, path, restore)
		}
		return false, err
	}
	if err := o.run(ctx, "-s", "reload"); err != nil {
		return false, err
	}
	return true, nil
}
