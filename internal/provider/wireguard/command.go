package wireguard

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"yuanxu/internal/errs"
)

// Command runs the wg tool. The zero value runs "wg" from PATH in the
// current network namespace; it is safe for concurrent use, though two
// Applies to one interface at once are last-writer-wins.
type Command struct {
	// Wg is the wg binary; "" means "wg" on PATH.
	Wg string
	// Prefix is prepended to every command line, e.g.
	// []string{"ip", "netns", "exec", "vpn"} to act inside a network
	// namespace, or []string{"sudo", "-n"}.
	Prefix []string
	// TempDir is where Apply writes the configuration (mode 0600, removed
	// afterwards); "" means os.TempDir(). It must be readable by wg under
	// Prefix.
	TempDir string
}

// Apply validates and renders conf and makes it the interface's whole
// state with `wg syncconf <iface> <file>`: peers not in conf are removed,
// peers in it are added or updated, and sessions of unchanged peers are
// kept. The interface must exist (wg-quick up, or wireguard-go). Invalid
// input is an *errs.Error; a failing wg is an error carrying its output.
func (c Command) Apply(ctx context.Context, iface string, conf NodeConfig) error {
	if err := validIface(iface); err != nil {
		return err
	}
	text, err := conf.Render()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(c.TempDir, "yuanxu-wg-*.conf") // 0600
	if err != nil {
		return fmt.Errorf("wireguard: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(text); err != nil {
		f.Close()
		return fmt.Errorf("wireguard: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wireguard: %w", err)
	}
	_, err = c.run(ctx, "syncconf", iface, f.Name())
	return err
}

// Show returns the interface's state as `wg show <iface> dump` reports
// it, peers in wg's order.
func (c Command) Show(ctx context.Context, iface string) (Dump, error) {
	if err := validIface(iface); err != nil {
		return Dump{}, err
	}
	out, err := c.run(ctx, "show", iface, "dump")
	if err != nil {
		return Dump{}, err
	}
	return ParseDump(out)
}

// Peers returns the interface's peers (Show without the interface line).
func (c Command) Peers(ctx context.Context, iface string) ([]PeerStatus, error) {
	d, err := c.Show(ctx, iface)
	if err != nil {
		return nil, err
	}
	return d.Peers, nil
}

func (c Command) run(ctx context.Context, args ...string) ([]byte, error) {
	wg := c.Wg
	if wg == "" {
		wg = "wg"
	}
	argv := append(append(append([]string{}, c.Prefix...), wg), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wireguard: %s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// validIface accepts Linux interface names: 1–15 bytes, no '/', no
// whitespace, not "." or "..", and (our own rule, so that a name can
// never look like a flag) not starting with '-'.
func validIface(s string) error {
	bad := s == "" || len(s) > 15 || s == "." || s == ".." || s[0] == '-'
	for i := 0; i < len(s) && !bad; i++ {
		c := s[i]
		bad = !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '=' || c == '+')
	}
	if bad {
		return errs.Invalidf("wireguard.config_invalid", "interface", "format", nil)
	}
	return nil
}
