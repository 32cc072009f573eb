package app

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/provider/cdn"
	"yuanxu/internal/store"
)

// The CDN driver (issue 13; catalog driver "nginx"). A paid CDN service
// waits (pending) until its customer onboards a domain: the domain and
// the origin URL give a site on an edge node, an ownership token, the TXT
// record that proves control (_yuanxu-verify.<domain>) and the CNAME
// target to point the domain at. The check action asks the configured DNS
// server for the TXT record; once it is there the site is verified, the
// edge's agent serves it (nginx), and the delivery is recorded complete.

// CDN error codes (the cdn library's codes pass through: cdn.domain_invalid,
// cdn.origin_invalid, cdn.ownership_missing, cdn.ownership_mismatch,
// cdn.dns_unavailable).
const (
	CodeCDNNotCDN      = "cdn.not_cdn"
	CodeCDNNoEdge      = "cdn.no_edge"
	CodeCDNNoSite      = "cdn.no_site"
	CodeCDNDomainTaken = "cdn.domain_taken"
)

// CDNSiteInput onboards a domain on a CDN service.
type CDNSiteInput struct {
	Domain string `json:"domain" minLength:"1" maxLength:"253" example:"www.example.cn" doc:"The host name visitors use."`
	Origin string `json:"origin" minLength:"1" maxLength:"300" example:"https://203.0.113.10" doc:"Where the edge fetches from: http(s)://host[:port]."`
}

// CDNSiteView is a CDN service's site and what the customer must publish.
type CDNSiteView struct {
	ServiceID   string    `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	Domains     []string  `json:"domains" example:"[\"www.example.cn\"]"`
	Origin      string    `json:"origin" example:"https://203.0.113.10"`
	TXTName     string    `json:"txt_name" example:"_yuanxu-verify.www.example.cn" doc:"Publish this TXT record to prove control of the domain."`
	TXTValue    string    `json:"txt_value" example:"yuanxu-verify=abcdefghijklmnopqrstuvwxyz234567"`
	CNAMETarget string    `json:"cname_target" example:"s0193a1b2.cdn.yuanxu.invalid" doc:"Point the domain here (CNAME) once verified."`
	Verified    bool      `json:"verified" example:"false"`
	VerifiedAt  time.Time `json:"verified_at,omitzero" example:"2026-06-01T10:00:00+08:00"`
	// HTTPS is the site's certificate: none (not verified, or ACME is not
	// configured), pending (being obtained; a failure's reason in
	// HTTPSError) or active (served by the edge until HTTPSNotAfter,
	// renewed before).
	HTTPS         string    `json:"https" enum:"none,pending,active" example:"active"`
	HTTPSNotAfter time.Time `json:"https_not_after,omitzero" example:"2026-08-30T09:00:00+08:00"`
	HTTPSError    string    `json:"https_error,omitempty" example:""`
}

func cdnSiteView(r store.SiteRow) CDNSiteView {
	v := CDNSiteView{ServiceID: r.ServiceID, Domains: r.Domains, Origin: r.Origin, CNAMETarget: r.CNAMETarget, Verified: !r.VerifiedAt.IsZero(),
		VerifiedAt: r.VerifiedAt, HTTPS: "none"}
	if len(r.Domains) > 0 {
		if rec, err := cdn.OwnershipRecord(r.Domains[0], r.Token); err == nil {
			v.TXTName, v.TXTValue = rec.Name, rec.Value
		}
	}
	return v
}

// cdnDriver answers complete for a verified site and pending otherwise:
// its effect is the customer's onboarding, keyed by the service id.
type cdnDriver struct{ a *App }

func (d cdnDriver) Local() bool { return true }

func (d cdnDriver) Provision(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	s, err := store.SiteGet(ctx, d.a.db, req.Token)
	if store.IsNotFound(err) {
		return ProvisionResult{Notes: "waiting for the customer to add a domain (TXT ownership record, then CNAME)"}, nil
	}
	if err != nil {
		return ProvisionResult{}, err
	}
	if s.VerifiedAt.IsZero() {
		return ProvisionResult{Notes: "waiting for the ownership TXT record of " + strings.Join(s.Domains, ", ")}, nil
	}
	return cdnResult(s), nil
}

func cdnResult(s store.SiteRow) ProvisionResult {
	return ProvisionResult{Complete: true, Credentials: map[string]string{"cname": s.CNAMETarget},
		Notes: "CDN site " + strings.Join(s.Domains, ", ") + " → " + s.Origin + " on edge " + s.NodeID + "; point a CNAME at " + s.CNAMETarget}
}

// cdnService loads a CDN service of the principal's for managing.
func (a *App) cdnService(ctx context.Context, p account.Principal, serviceID string) (store.ServiceRow, error) {
	svc, err := a.loadService(ctx, a.db, p, serviceID, "service.manage", "service.manage")
	if err != nil {
		return svc, err
	}
	if p.Kind == account.KindStaff {
		return svc, errNotFound("service") // the customer onboards their own domain
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil && !store.IsNotFound(err) {
		return svc, err
	}
	if svc.Kind != string(catalog.KindCDN) || rec.Driver != string(catalog.DriverNginx) {
		return svc, errs.E(errs.Op("app.CDN"), errs.Conflict, CodeCDNNotCDN, "this service is not a CDN service delivered by our edges")
	}
	return svc, nil
}

// CDNOnboard adds (or replaces) the domain and origin of a CDN service
// (service.manage, its owner): the domain must be new to the platform
// (cdn.domain_taken), the origin public (cdn.origin_invalid). A new
// domain gets a new ownership token and must be verified again; only the
// origin changing keeps the verification. The site is placed on an edge
// node (the product's region first).
func (a *App) CDNOnboard(ctx context.Context, p account.Principal, serviceID string, in CDNSiteInput) (CDNSiteView, error) {
	const op = "app.CDNOnboard"
	svc, err := a.cdnService(ctx, p, serviceID)
	if err != nil {
		return CDNSiteView{}, err
	}
	st := a.delivery()
	dom, err := cdn.NormalizeDomain(in.Domain)
	if err != nil {
		return CDNSiteView{}, fieldErr(op, "cdn.domain_invalid", errs.Invalid, "body.domain", ruleOf(err, "format"), "not a valid domain name", nil)
	}
	org, err := cdn.ParseOrigin(strings.TrimSpace(in.Origin), cdn.OriginOptions{AllowPrivateOrigins: st.cdnPrivateOrigins})
	if err != nil {
		return CDNSiteView{}, fieldErr(op, "cdn.origin_invalid", errs.Invalid, "body.origin", ruleOf(err, "format"), "not a usable origin URL", nil)
	}
	region := ""
	if pv, err := loadProduct(ctx, a.db, svc.ProductID); err == nil {
		region = pv.Region
	}
	var out store.SiteRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if taken, err := store.SitesWithDomains(ctx, tx, []string{dom}, serviceID); err != nil {
			return err
		} else if len(taken) > 0 {
			return fieldErr(op, CodeCDNDomainTaken, errs.Conflict, "body.domain", "unique", "another service has this domain", nil)
		}
		cur, err := store.SiteGet(ctx, tx, serviceID)
		exists := err == nil
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		row := cur
		if !exists {
			ids, regions, err := store.EdgeNodesUsable(ctx, tx)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return errs.E(errs.Op(op), errs.Unavailable, CodeCDNNoEdge, "no CDN edge node is available; try again later")
			}
			row = store.SiteRow{ServiceID: serviceID, AccountID: svc.AccountID, NodeID: ids[0], CreatedAt: tx.Now}
			for i, r := range regions {
				if region != "" && (r == region || strings.HasPrefix(r, region+"-")) {
					row.NodeID = ids[i]
					break
				}
			}
			if row.CNAMETarget, err = cdn.CNAMETarget(siteID(serviceID), st.cdnZone); err != nil {
				return err
			}
		}
		if !exists || len(cur.Domains) != 1 || cur.Domains[0] != dom {
			if row.Token, err = cdn.NewToken(rand.Reader); err != nil {
				return err
			}
			row.VerifiedAt = time.Time{}
		}
		row.Domains, row.Origin, row.UpdatedAt = []string{dom}, org.String(), tx.Now
		if err := tx.SitePut(ctx, row); err != nil {
			return err
		}
		out = row
		return a.Audit(ctx, tx, AuditEntry{Action: "cdn.site_onboarded", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"domain": dom, "origin": row.Origin, "node": row.NodeID, "verified": !row.VerifiedAt.IsZero()}})
	})
	if err != nil {
		return CDNSiteView{}, err
	}
	return cdnSiteView(out), nil
}

// CDNSite reads a CDN service's site with the state of its HTTPS
// certificate (service.read; cdn.no_site, 404, before onboarding).
func (a *App) CDNSite(ctx context.Context, p account.Principal, serviceID string) (CDNSiteView, error) {
	if _, err := a.loadService(ctx, a.db, p, serviceID, "service.read", "account.read_any"); err != nil {
		return CDNSiteView{}, err
	}
	s, err := store.SiteGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return CDNSiteView{}, errs.E(errs.Op("app.CDNSite"), errs.NotFound, CodeCDNNoSite, "no domain has been added to this service yet")
	}
	if err != nil {
		return CDNSiteView{}, err
	}
	v := cdnSiteView(s)
	v.HTTPS = "none"
	if v.Verified && a.acmeCfg.Load() != nil {
		v.HTTPS = "pending"
	}
	c, err := store.SiteCertGet(ctx, a.db, serviceID)
	if err == nil {
		if tls, _ := a.siteTLS(c, s); tls != nil {
			v.HTTPS, v.HTTPSNotAfter = "active", c.NotAfter
		}
		if c.Attempts > 0 {
			v.HTTPSError = c.Reason
		}
	} else if !store.IsNotFound(err) {
		return v, err
	}
	return v, nil
}

// CDNCheck checks a site's ownership TXT record through the configured
// DNS server (service.manage, its owner). When it is there the site is
// verified, its edge serves it from the agent's next pull, and the
// delivery is recorded complete; otherwise the library's refusal
// (cdn.ownership_missing or cdn.ownership_mismatch, 409, with the record
// expected; cdn.dns_unavailable, 503) and nothing changes.
func (a *App) CDNCheck(ctx context.Context, p account.Principal, serviceID string) (CDNSiteView, error) {
	if _, err := a.cdnService(ctx, p, serviceID); err != nil {
		return CDNSiteView{}, err
	}
	s, err := store.SiteGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return CDNSiteView{}, errs.E(errs.Op("app.CDNCheck"), errs.NotFound, CodeCDNNoSite, "add a domain first")
	} else if err != nil {
		return CDNSiteView{}, err
	}
	if err := a.verifySite(ctx, s); err != nil {
		return CDNSiteView{}, err
	}
	return a.CDNSite(ctx, p, serviceID)
}

// verifySite checks s's TXT record and, when it is there, records the
// verification and the delivery.
func (a *App) verifySite(ctx context.Context, s store.SiteRow) error {
	if s.VerifiedAt.IsZero() {
		if err := cdn.CheckOwnership(ctx, a.delivery().cdnResolver, s.Domains[0], s.Token); err != nil {
			return err
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			ok, err := tx.SiteVerify(ctx, s.ServiceID, tx.Now)
			if err != nil || !ok {
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "cdn.site_verified", SubjectType: "service", SubjectID: s.ServiceID,
				Data: map[string]any{"domains": s.Domains, "node": s.NodeID}})
		}); err != nil {
			return err
		}
		var err error
		if s, err = store.SiteGet(ctx, a.db, s.ServiceID); err != nil {
			return err
		}
	}
	rec, err := store.ProvisionGet(ctx, a.db, s.ServiceID)
	if err != nil || (rec.State != ProvPending && rec.State != ProvQueued) {
		return err
	}
	return a.recordDelivery(WithActor(ctx, Actor{ID: "system"}), s.ServiceID, cdnResult(s), string(catalog.DriverNginx), "system")
}

// CDNCheckSweep checks every site still waiting for its TXT record
// (limit at a time), as customers may publish it without coming back.
// Failures are left for the next sweep.
func (a *App) CDNCheckSweep(ctx context.Context, limit int) (verified int, err error) {
	sites, err := store.SitesUnverified(ctx, a.db, limit)
	if err != nil {
		return 0, err
	}
	for _, s := range sites {
		if a.verifySite(ctx, s) == nil {
			verified++
		}
	}
	return verified, nil
}

// ruleOf is the rule of err's first field, or def.
func ruleOf(err error, def string) string {
	if e, ok := err.(*errs.Error); ok && len(e.Fields) > 0 {
		return e.Fields[0].Rule
	}
	return def
}
