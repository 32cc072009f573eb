package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/provider/cdn"
	"yuanxu/internal/provider/wireguard"
)

// agentCmd is `yuanxu agent`: it runs on a node (a VPN node or a CDN
// edge) with the node's token, pulls the node's own configuration from the
// server and applies it — for a VPN node the WireGuard peers with `wg
// syncconf` on an existing interface (its private key generated once and
// kept in --wg-key-file; the server learns only the public key), for a
// CDN edge the nginx sites file, tested and reloaded — once (--once) or
// every --interval. It needs root (or CAP_NET_ADMIN and nginx's rights).
type agentCmd struct {
	Server    string        `help:"The server's base URL (https://…; plain http:// only to a loopback address)." required:"" placeholder:"URL"`
	TokenFile string        `name:"token-file" help:"File holding the node token (default: the YUANXU_NODE_TOKEN environment variable)." type:"path" placeholder:"FILE"`
	Once      bool          `help:"Pull and apply once, then exit (non-zero on failure)."`
	Interval  time.Duration `help:"Time between pulls." default:"30s"`
	Timeout   time.Duration `help:"Timeout of one pull and apply." default:"60s"`

	WgInterface string   `name:"wg-interface" help:"VPN nodes: the WireGuard interface (it must exist: wg-quick up or wireguard-go)." default:"wg0"`
	WgKeyFile   string   `name:"wg-key-file" help:"VPN nodes: the interface's private key (created 0600 when missing)." default:"/etc/yuanxu/wg-private.key" type:"path"`
	WgNetns     string   `name:"wg-netns" help:"VPN nodes: run wg inside this network namespace (ip netns exec)." placeholder:"NAME"`
	WgPrefix    []string `name:"wg-prefix" help:"VPN nodes: prefix every wg command with these words (e.g. sudo,-n)." sep:","`

	NginxSites      string   `name:"nginx-sites" help:"CDN edges: the rendered sites file (included from nginx.conf's http block)." default:"/etc/nginx/conf.d/yuanxu-sites.conf" type:"path"`
	NginxBinary     string   `name:"nginx-binary" help:"CDN edges: the nginx executable." placeholder:"PATH"`
	NginxPrefix     string   `name:"nginx-prefix" help:"CDN edges: nginx -p." placeholder:"DIR"`
	NginxConfig     string   `name:"nginx-config" help:"CDN edges: nginx -c." placeholder:"FILE"`
	NginxErrorLog   string   `name:"nginx-error-log" help:"CDN edges: nginx -e." placeholder:"FILE"`
	HTTPListen      []string `name:"http-listen" help:"CDN edges: nginx listen addresses for HTTP." default:"80" sep:","`
	HTTPSListen     []string `name:"https-listen" help:"CDN edges: nginx listen addresses for HTTPS (sites with a certificate)." default:"443" sep:","`
	TLSDir          string   `name:"tls-dir" help:"CDN edges: where sites' certificates and keys are written (keys 0600)." default:"/etc/yuanxu/tls" type:"path"`
	ACMEForward     bool     `name:"acme-forward" help:"CDN edges: forward /.well-known/acme-challenge/ of every site to --server, so the CA can validate the sites' certificates through this edge." default:"true" negatable:""`
	DefaultStatus   int      `name:"default-status" help:"CDN edges: the status of the catch-all server for unknown hosts (0: none)." default:"0"`
	AllowPrivateOrg bool     `name:"allow-private-origins" help:"CDN edges: allow loopback and private origins (tests, private networks)."`
}

func (c *agentCmd) Run(e *env) error {
	token := ""
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return usage("agent: %v", err)
		}
		token = strings.TrimSpace(string(b))
	} else {
		token = strings.TrimSpace(e.getenv("YUANXU_NODE_TOKEN"))
	}
	if token == "" {
		return usage("agent: no node token (--token-file or YUANXU_NODE_TOKEN)")
	}
	base, err := agentBase(c.Server)
	if err != nil {
		return usage("agent: %v", err)
	}
	ag := &agent{cmd: c, base: base, token: token, hc: &http.Client{Timeout: 30 * time.Second}, out: e.stderr}
	if c.Once {
		ctx, cancel := context.WithTimeout(e.ctx, c.Timeout)
		defer cancel()
		return ag.step(ctx)
	}
	for {
		ctx, cancel := context.WithTimeout(e.ctx, c.Timeout)
		if err := ag.step(ctx); err != nil {
			fmt.Fprintf(e.stderr, "agent: %v\n", err)
		}
		cancel()
		select {
		case <-e.ctx.Done():
			return nil
		case <-time.After(c.Interval):
		}
	}
}

// agentBase checks the server URL: https, or http to a loopback address.
func agentBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want https://host[:port]", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip, err := netip.ParseAddr(host)
		if host != "localhost" && (err != nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("--server %q: plain http is allowed to a loopback address only (the answer carries preshared keys)", raw)
		}
	default:
		return nil, fmt.Errorf("--server %q: want https://", raw)
	}
	return u, nil
}

type agent struct {
	cmd   *agentCmd
	base  *url.URL
	token string
	hc    *http.Client
	out   io.Writer
}

// agentError is the server's refusal, from its problem body.
type agentError struct {
	Status int
	Code   string
	Detail string
}

func (e *agentError) Error() string {
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("the server refused the node token (%d %s: %s): it is unknown or revoked", e.Status, e.Code, e.Detail)
	}
	return fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Detail)
}

func (a *agent) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base.String()+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
			Title  string `json:"title"`
		}
		_ = json.Unmarshal(b, &p)
		if p.Detail == "" {
			p.Detail = p.Title
		}
		return &agentError{Status: res.StatusCode, Code: p.Code, Detail: p.Detail}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// step pulls the configuration once and applies it.
func (a *agent) step(ctx context.Context) error {
	var cfg app.AgentConfig
	if err := a.call(ctx, http.MethodGet, "/api/v1/agent/config", nil, &cfg); err != nil {
		return err
	}
	switch cfg.Kind {
	case "vpn":
		return a.applyVPN(ctx, cfg)
	case "cdn":
		return a.applyCDN(ctx, cfg)
	default:
		fmt.Fprintf(a.out, "agent: node %s is of kind %s: nothing to apply\n", cfg.NodeID, cfg.Kind)
		return nil
	}
}

// nodeKey reads the interface's private key, creating it when missing.
func (a *agent) nodeKey() (wireguard.Key, error) {
	b, err := os.ReadFile(a.cmd.WgKeyFile)
	if err == nil {
		return wireguard.ParseKey(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return wireguard.Key{}, err
	}
	k, err := wireguard.GeneratePrivateKey(rand.Reader)
	if err != nil {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(a.cmd.WgKeyFile), 0o700); err != nil {
		return k, err
	}
	f, err := os.OpenFile(a.cmd.WgKeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return k, err
	}
	if _, err := fmt.Fprintln(f, k.String()); err != nil {
		f.Close()
		return k, err
	}
	return k, f.Close()
}

func (a *agent) applyVPN(ctx context.Context, cfg app.AgentConfig) error {
	if cfg.WireGuard == nil {
		return errors.New("the server sent no WireGuard configuration")
	}
	key, err := a.nodeKey()
	if err != nil {
		return fmt.Errorf("wireguard key %s: %w", a.cmd.WgKeyFile, err)
	}
	if pub := key.PublicKey().String(); cfg.WireGuard.PublicKey != pub {
		if err := a.call(ctx, http.MethodPost, "/api/v1/agent/wireguard-key", map[string]string{"public_key": pub}, nil); err != nil {
			return err
		}
	}
	conf := wireguard.NodeConfig{PrivateKey: key, ListenPort: cfg.WireGuard.ListenPort}
	for i, p := range cfg.WireGuard.Peers {
		np := wireguard.NodePeer{}
		if np.PublicKey, err = wireguard.ParsePublicKey(p.PublicKey); err != nil {
			return fmt.Errorf("peer %d: %w", i, err)
		}
		if p.PresharedKey != "" {
			if np.PresharedKey, err = wireguard.ParseKey(p.PresharedKey); err != nil {
				return fmt.Errorf("peer %d: %w", i, err)
			}
		}
		for _, s := range p.AllowedIPs {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("peer %d: allowed IP %q: %w", i, s, err)
			}
			np.AllowedIPs = append(np.AllowedIPs, pfx)
		}
		conf.Peers = append(conf.Peers, np)
	}
	wg := wireguard.Command{Prefix: a.cmd.WgPrefix}
	if a.cmd.WgNetns != "" {
		wg.Prefix = append([]string{"ip", "netns", "exec", a.cmd.WgNetns}, wg.Prefix...)
	}
	if err := wg.Apply(ctx, a.cmd.WgInterface, conf); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "agent: node %s: %d WireGuard peers applied to %s\n", cfg.NodeID, len(conf.Peers), a.cmd.WgInterface)
	return nil
}

func (a *agent) applyCDN(ctx context.Context, cfg app.AgentConfig) error {
	var sites []cdn.Site
	keep := map[string]bool{}
	for _, s := range cfg.Sites {
		site := cdn.Site{ID: s.ID, Hosts: s.Domains, Origin: s.Origin, HostHeader: cdn.HostHeaderCustomer}
		if s.TLS != nil {
			files, err := a.writeTLS(s.ID, s.TLS)
			if err != nil {
				return err
			}
			keep[filepath.Base(files.CertFile)], keep[filepath.Base(files.KeyFile)] = true, true
			site.TLS = files
		}
		sites = append(sites, site)
	}
	ro := cdn.RenderOptions{HTTPListen: a.cmd.HTTPListen, HTTPSListen: a.cmd.HTTPSListen, DefaultStatus: a.cmd.DefaultStatus,
		AllowPrivateOrigins: a.cmd.AllowPrivateOrg}
	if a.cmd.ACMEForward {
		ro.ACMEChallengeUpstream = a.base.String()
	}
	data, err := cdn.Render(sites, ro)
	if err != nil {
		return err
	}
	o := cdn.NginxOptions{Binary: a.cmd.NginxBinary, Prefix: a.cmd.NginxPrefix, ConfigFile: a.cmd.NginxConfig, ErrorLog: a.cmd.NginxErrorLog}
	changed, err := cdn.Deploy(ctx, o, a.cmd.NginxSites, data)
	if err != nil {
		return err
	}
	a.pruneTLS(keep)
	fmt.Fprintf(a.out, "agent: node %s: %d sites, %d with HTTPS (reloaded: %v)\n", cfg.NodeID, len(sites), len(keep)/2, changed)
	return nil
}

// tlsFileName is what writeTLS names a site's files: the site id and the
// certificate's digest, so a renewed certificate is a new file and the
// sites file changes with it (nginx reloads).
var tlsFileName = regexp.MustCompile(`^s[0-9a-z]+-[0-9a-f]{16}\.(crt|key)$`)

// writeTLS writes a site's certificate (leaf and chain, 0644) and key
// (0600) into --tls-dir, unless they are there already.
func (a *agent) writeTLS(siteID string, t *app.AgentTLS) (*cdn.TLSFiles, error) {
	if err := os.MkdirAll(a.cmd.TLSDir, 0o700); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(t.CertificatePEM + t.KeyPEM))
	base := filepath.Join(a.cmd.TLSDir, siteID+"-"+hex.EncodeToString(sum[:8]))
	files := &cdn.TLSFiles{CertFile: base + ".crt", KeyFile: base + ".key"}
	for _, f := range []struct {
		path string
		data string
		perm os.FileMode
	}{{files.KeyFile, t.KeyPEM, 0o600}, {files.CertFile, t.CertificatePEM, 0o644}} {
		if old, err := os.ReadFile(f.path); err == nil && string(old) == f.data {
			continue
		}
		if err := cdn.WriteFileAtomic(f.path, []byte(f.data), f.perm); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// pruneTLS removes certificates and keys writeTLS wrote that no site uses
// any more (a renewed certificate's predecessor, a site gone).
func (a *agent) pruneTLS(keep map[string]bool) {
	ents, err := os.ReadDir(a.cmd.TLSDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); tlsFileName.MatchString(n) && !keep[n] {
			if err := os.Remove(filepath.Join(a.cmd.TLSDir, n)); err != nil {
				fmt.Fprintf(a.out, "agent: removing %s: %v\n", n, err)
			}
		}
	}
}
