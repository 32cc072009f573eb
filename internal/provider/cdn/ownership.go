package cdn

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"yuanxu/internal/errs"
)

// CheckTimeout bounds CheckOwnership's DNS exchanges when ctx has no
// earlier deadline.
const CheckTimeout = 5 * time.Second

// CheckOwnership asks the DNS server at resolverAddr ("host:port", or a
// host for port 53) for the TXT records of OwnershipRecord(domain, token)
// and succeeds when one of them, its strings joined, equals the expected
// value. The query asks for recursion, so resolverAddr may be a recursive
// resolver (which follows a CNAME at the record's name) or the domain's
// authoritative server. A truncated UDP answer is retried over TCP.
//
// Results: nil when the record is there; an *errs.Error of Kind Conflict
// with code cdn.ownership_missing (no TXT record at the name) or
// cdn.ownership_mismatch (TXT records, none with the value), both with
// Params "name" and "value" for the message; cdn.domain_invalid or
// cdn.site_invalid for bad arguments; and Kind Unavailable with code
// cdn.dns_unavailable when the server cannot be reached or answers with
// an error other than NXDOMAIN (worth retrying later).
func CheckOwnership(ctx context.Context, resolverAddr, domain, token string) error {
	const op errs.Op = "cdn.CheckOwnership"
	rec, err := OwnershipRecord(domain, token)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(resolverAddr); err != nil {
		resolverAddr = net.JoinHostPort(resolverAddr, "53")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, CheckTimeout)
		defer cancel()
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(rec.Name), dns.TypeTXT)
	q.RecursionDesired = true
	q.SetEdns0(1232, false)

	unavailable := func(cause error, msg string) error {
		return errs.E(op, errs.Unavailable, "cdn.dns_unavailable", msg, cause, map[string]any{"resolver": resolverAddr})
	}
	resp, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, q, resolverAddr)
	if err == nil && resp.Truncated {
		resp, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, q, resolverAddr)
	}
	if err != nil {
		return unavailable(err, "DNS query failed")
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return unavailable(nil, "DNS server answered "+dns.RcodeToString[resp.Rcode])
	}
	params := map[string]any{"name": rec.Name, "value": rec.Value}
	found := 0
	for _, rr := range resp.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok {
			continue // a CNAME on the way
		}
		found++
		if strings.Join(txt.Txt, "") == rec.Value {
			return nil
		}
	}
	if found == 0 {
		return errs.E(op, errs.Conflict, "cdn.ownership_missing", "no TXT record at "+rec.Name, params)
	}
	return errs.E(op, errs.Conflict, "cdn.ownership_mismatch", "no TXT record at "+rec.Name+" has the expected value", params)
}
