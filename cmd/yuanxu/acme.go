package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"yuanxu/internal/app"
)

// acmeFlags configure the acme delivery driver (DV certificates by ACME,
// issue 13). Off unless --acme-directory is given; --demo leaves it off
// too (the demo's cert-dv stays on the sandbox driver).
type acmeFlags struct {
	ACMEDirectory string        `name:"acme-directory" help:"ACME directory URL of the CA (e.g. https://acme-v02.api.letsencrypt.org/directory); empty: the acme driver is off." placeholder:"URL"`
	ACMECABundle  string        `name:"acme-ca-bundle" help:"PEM file of extra roots trusted for the CA's HTTPS (a private CA, Pebble)." type:"path"`
	ACMEEmail     string        `name:"acme-email" help:"Contact address of the ACME account." placeholder:"EMAIL"`
	ACMEZone      string        `name:"acme-zone" help:"Delegation zone answered for dns-01 by CNAME (customers point _acme-challenge.<domain> into it); empty: that mode is off." placeholder:"ZONE"`
	ACMEDNSListen string        `name:"acme-dns-listen" help:"Address (UDP and TCP) of the delegation zone's authoritative DNS server, e.g. :53." placeholder:"ADDR"`
	ACMENS        []string      `name:"acme-ns" help:"NS names of the delegation zone (its SOA and NS answers)." sep:","`
	ACMEResolver  string        `name:"acme-resolver" help:"DNS server (host:port) that checks dns-01 records before the CA is asked; empty skips the check." placeholder:"ADDR"`
	ACMEDNSWait   time.Duration `name:"acme-dns-wait" help:"How long the dns-01 record check keeps retrying." default:"30s"`
	ACMERenew     time.Duration `name:"acme-renew-before" help:"Renew certificates (CDN sites', and DV certificates of active services) this long before they end." default:"720h"`
	ACMETXTNotice int           `name:"acme-txt-notice-days" help:"Tell customers this many days before a DV certificate proved by their own TXT record ends to renew it (it is not renewed automatically)." default:"30"`
}

// configure installs the acme driver and starts the zone's DNS server;
// stop ends it.
func (f acmeFlags) configure(ctx context.Context, a *app.App, log *slog.Logger) (stop func(), err error) {
	stop = func() {}
	if f.ACMEDirectory == "" {
		if f.ACMEZone != "" || f.ACMEDNSListen != "" {
			return stop, usage("--acme-zone and --acme-dns-listen need --acme-directory")
		}
		return stop, nil
	}
	if f.ACMEDNSListen != "" && f.ACMEZone == "" {
		return stop, usage("--acme-dns-listen needs --acme-zone")
	}
	hc := &http.Client{Timeout: time.Minute}
	if f.ACMECABundle != "" {
		pemBytes, err := os.ReadFile(f.ACMECABundle)
		if err != nil {
			return stop, usageError{fmt.Errorf("--acme-ca-bundle: %w", err)}
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pemBytes) {
			return stop, usage("--acme-ca-bundle: no PEM certificate in %s", f.ACMECABundle)
		}
		hc.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	}
	if err := a.ConfigureACME(ctx, app.ACMEConfig{DirectoryURL: f.ACMEDirectory, HTTPClient: hc, Email: f.ACMEEmail, Zone: f.ACMEZone,
		Resolver: f.ACMEResolver, DNSCheckWait: f.ACMEDNSWait, RenewBefore: f.ACMERenew, TXTNoticeDays: f.ACMETXTNotice}); err != nil {
		return stop, fmt.Errorf("acme: %w", err)
	}
	log.Info("acme driver configured", slog.String("directory", f.ACMEDirectory), slog.String("zone", f.ACMEZone))
	if f.ACMEDNSListen == "" {
		return stop, nil
	}
	pc, err := net.ListenPacket("udp", f.ACMEDNSListen)
	if err != nil {
		return stop, usageError{fmt.Errorf("--acme-dns-listen: %w", err)}
	}
	ln, err := net.Listen("tcp", f.ACMEDNSListen)
	if err != nil {
		pc.Close()
		return stop, usageError{fmt.Errorf("--acme-dns-listen: %w", err)}
	}
	zctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.ACMEZoneServer(f.ACMENS...).ServeConn(zctx, pc, ln); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("acme zone DNS server", slog.String("err", err.Error()))
		}
	}()
	log.Info("acme delegation zone served", slog.String("zone", f.ACMEZone), slog.String("addr", f.ACMEDNSListen))
	return func() { cancel(); <-done }, nil
}
