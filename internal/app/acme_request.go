package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/acme"
	"yuanxu/internal/store"
)

// CertificateRequestInput is how the customer asks for a DV certificate
// of a paid ACME service.
type CertificateRequestInput struct {
	// Domains are the names, the first one first (the product bounds how
	// many); a wildcard needs dns-01.
	Domains []string `json:"domains" maxItems:"100" example:"[\"shop.example.com\"]"`
	// Challenge is how control is proved: http-01 (the CA fetches
	// /.well-known/acme-challenge/… from the domain, which must reach us)
	// or dns-01.
	Challenge string `json:"challenge" enum:"http-01,dns-01" example:"http-01"`
	// DNSMode for dns-01: txt (you add the TXT record we show, then
	// confirm) or cname (you delegate _acme-challenge once by CNAME to our
	// zone).
	DNSMode string `json:"dns_mode,omitempty" enum:"txt,cname" example:"txt"`
	// CSR is your PEM certificate signing request (RSA ≥ 2048 bits or
	// ECDSA P-256/P-384) naming exactly the domains; empty: we generate
	// the key (shown after re-authentication, never emailed).
	CSR string `json:"csr,omitempty" maxLength:"20000" example:""`
}

// CertificateRecord is a record the customer must publish.
type CertificateRecord struct {
	Domain string `json:"domain" example:"shop.example.com"`
	Type   string `json:"type" enum:"TXT,CNAME,HTTP" example:"TXT"`
	Name   string `json:"name" example:"_acme-challenge.shop.example.com."`
	Value  string `json:"value" example:"gfj9Xq...Rg85nM"`
}

// CertificateView is a service's certificate request and, once issued,
// the certificate and chain (never the key: see CertificateKey).
type CertificateView struct {
	ServiceID      string              `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	State          string              `json:"state" enum:"awaiting_request,submitted,awaiting_customer,confirmed,issued,rejected" example:"issued"`
	Domains        []string            `json:"domains" example:"[\"shop.example.com\"]"`
	Challenge      string              `json:"challenge,omitempty" example:"http-01"`
	DNSMode        string              `json:"dns_mode,omitempty" example:""`
	CustomerCSR    bool                `json:"customer_csr" example:"false"`
	Records        []CertificateRecord `json:"records,omitempty"`
	Reason         string              `json:"reason,omitempty" example:""`
	CertificatePEM string              `json:"certificate_pem,omitempty" example:"-----BEGIN CERTIFICATE-----\n…"`
	ChainPEM       string              `json:"chain_pem,omitempty" example:"-----BEGIN CERTIFICATE-----\n…"`
	NotBefore      time.Time           `json:"not_before,omitzero" example:"2026-06-01T09:00:00+08:00"`
	NotAfter       time.Time           `json:"not_after,omitzero" example:"2026-08-30T09:00:00+08:00"`
	HasPrivateKey  bool                `json:"has_private_key" example:"true" doc:"We generated the key: read it with GET …/certificate/key after re-authenticating."`
	RenewalDue     bool                `json:"renewal_due" example:"false" doc:"Proved by a TXT record the customer adds and ending within the renewal notice period: it is not renewed automatically, the customer must renew it."`
	CertStates     []CertStateView     `json:"cert_states,omitempty"`
}

// acmeService checks that serviceID is p's service of an ACME product.
func (a *App) acmeService(ctx context.Context, p account.Principal, serviceID string, custPerm, staffPerm account.Permission) (store.ServiceRow, ProductView, error) {
	svc, err := a.loadService(ctx, a.db, p, serviceID, custPerm, staffPerm)
	if err != nil {
		return svc, ProductView{}, err
	}
	pv, err := loadProduct(ctx, a.db, svc.ProductID)
	if err != nil {
		return svc, pv, err
	}
	if svc.Kind != string(catalog.KindCertificate) || pv.Driver != string(catalog.DriverACME) {
		return svc, pv, fieldErr("app.acmeService", CodeACMENotACME, errs.Conflict, "path.id", "not_acme",
			"this service is not a certificate issued by ACME", nil)
	}
	return svc, pv, nil
}

// SubmitCertificateRequest records the customer's domains and challenge
// choice for a paid ACME certificate (service.manage) after checking them
// without contacting the CA — domains (acme.domain_invalid …), challenge
// and mode, the product's domain count, the CSR (acme.csr_invalid,
// acme.csr_weak_key, acme.csr_names_mismatch) — and queues the delivery:
// the provisioning job opens the order.
func (a *App) SubmitCertificateRequest(ctx context.Context, p account.Principal, serviceID string, in CertificateRequestInput) (CertificateView, error) {
	const op = "app.SubmitCertificateRequest"
	svc, pv, err := a.acmeService(ctx, p, serviceID, "service.manage", "service.manage")
	if err != nil {
		return CertificateView{}, err
	}
	if p.Kind == account.KindStaff {
		return CertificateView{}, errNotFound("service")
	}
	st := a.acmeCfg.Load()
	if st == nil {
		return CertificateView{}, errs.E(errs.Op(op), errs.Unavailable, CodeACMENotConfigured, "certificates by ACME are not configured")
	}
	ch := acme.ChallengeType(strings.TrimSpace(in.Challenge))
	if ch != acme.HTTP01 && ch != acme.DNS01 {
		return CertificateView{}, errs.Invalidf("acme.challenge_invalid", "body.challenge", "one_of", map[string]any{"allowed": []string{"http-01", "dns-01"}})
	}
	mode := ""
	if ch == acme.DNS01 {
		switch strings.TrimSpace(in.DNSMode) {
		case "", "txt":
			mode = string(acme.CustomerTXT)
		case "cname":
			if st.cfg.Zone == "" {
				return CertificateView{}, errs.Invalidf("acme.dns_mode_invalid", "body.dns_mode", "unavailable", map[string]any{"allowed": []string{"txt"}})
			}
			mode = string(acme.Delegated)
		default:
			return CertificateView{}, errs.Invalidf("acme.dns_mode_invalid", "body.dns_mode", "one_of", map[string]any{"allowed": []string{"txt", "cname"}})
		}
	}
	domains, err := acme.NormalizeDomains(in.Domains, ch)
	if err != nil {
		return CertificateView{}, err
	}
	if pv.Spec.Cert != nil && pv.Spec.Cert.Domains > 0 && len(domains) > pv.Spec.Cert.Domains {
		return CertificateView{}, errs.Invalidf(CodeACMEDomainsMax, "body.domains", "max_items", map[string]any{"max": pv.Spec.Cert.Domains})
	}
	csr := strings.TrimSpace(in.CSR)
	if csr != "" {
		c, err := acme.ParseCSR([]byte(csr))
		if err != nil {
			return CertificateView{}, err
		}
		if err := acme.CheckCSRNames(c, domains); err != nil {
			return CertificateView{}, err
		}
		csr += "\n"
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		rec, err := store.ProvisionGet(ctx, tx, serviceID)
		if store.IsNotFound(err) {
			return errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "this certificate is not waiting for delivery")
		}
		if err != nil {
			return err
		}
		if rec.State != ProvQueued && rec.State != ProvPending {
			return errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "this certificate is not waiting for delivery", map[string]any{"status": rec.State})
		}
		if _, err := store.ACMERequestGet(ctx, tx, serviceID); err == nil {
			return errs.E(errs.Op(op), errs.Conflict, CodeACMERequestExists, "a certificate request was already submitted for this service")
		} else if !store.IsNotFound(err) {
			return err
		}
		if err := tx.ACMERequestInsert(ctx, store.ACMERequestRow{ServiceID: serviceID, AccountID: svc.AccountID, Domains: domains, Challenge: string(ch),
			DNSMode: mode, CSRPEM: csr, State: ACMESubmitted, CreatedAt: tx.Now, UpdatedAt: tx.Now}); err != nil {
			return err
		}
		if err := a.requeueDelivery(ctx, tx, rec, "certificate request submitted"); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_requested", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"domains": domains, "challenge": string(ch), "dns_mode": mode, "customer_csr": csr != ""}})
	})
	if err != nil {
		return CertificateView{}, err
	}
	return a.Certificate(ctx, p, serviceID)
}

// requeueDelivery puts a pending delivery back in the queue with a job. A
// delivery still queued — its first job may be running the driver right
// now, which would answer for the state before this change — is marked
// too (a later updated_at), so that job's pending answer is not recorded
// over the requeue (ProvisionService) and the new job asks the driver again.
func (a *App) requeueDelivery(ctx context.Context, tx *store.Tx, rec store.ProvisionRow, why string) error {
	if rec.State == ProvPending || rec.State == ProvQueued {
		next := rec
		next.State, next.Notes, next.UpdatedAt = ProvQueued, why, store.LaterMs(rec.UpdatedAt, tx.Now) // a later version, however fast
		if ok, err := tx.ProvisionSwap(ctx, next, rec); err != nil || !ok {
			// A job recorded its answer since rec was read (pending over
			// queued, or an attempt): read the record again and requeue
			// what it is now.
			return deliveryChanged(err)
		}
	}
	return a.jobs.Enqueue(ctx, tx.SQL(), jobs.ProvisionArgs{ServiceID: rec.ServiceID}, nil)
}

// ConfirmCertificateChallenge tells us the customer published the dns-01
// TXT record (service.manage): the delivery is queued again and the
// driver asks the CA to validate (acme.not_awaiting_customer when nothing
// was waiting for the customer).
func (a *App) ConfirmCertificateChallenge(ctx context.Context, p account.Principal, serviceID string) (CertificateView, error) {
	const op = "app.ConfirmCertificateChallenge"
	if _, _, err := a.acmeService(ctx, p, serviceID, "service.manage", "service.manage"); err != nil {
		return CertificateView{}, err
	}
	if p.Kind == account.KindStaff {
		return CertificateView{}, errNotFound("service")
	}
	renewal := false
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.ACMERequestGet(ctx, tx, serviceID)
		if store.IsNotFound(err) || (err == nil && r.State != ACMEAwaitingCustomer) {
			return errs.E(errs.Op(op), errs.Conflict, CodeACMENotAwaiting, "this certificate is not waiting for your DNS record")
		}
		if err != nil {
			return err
		}
		from, fromAt := r.State, r.UpdatedAt
		r.State, r.Reason, r.UpdatedAt = ACMEConfirmed, "", tx.Now
		if !r.UpdatedAt.After(fromAt) {
			r.UpdatedAt = fromAt.Add(time.Millisecond)
		}
		if ok, err := tx.ACMERequestUpdate(ctx, r, from, fromAt); err != nil || !ok {
			return conflictOr(err)
		}
		if renewal = r.CertPEM != ""; renewal { // delivered already: the driver goes on below (RenewCertificate)
			return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_confirmed", SubjectType: "service", SubjectID: serviceID, Data: map[string]any{"renewal": true}})
		}
		rec, err := store.ProvisionGet(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		if rec.State != ProvQueued && rec.State != ProvPending {
			return errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "this certificate is not waiting for delivery", map[string]any{"status": rec.State})
		}
		if err := a.requeueDelivery(ctx, tx, rec, "DNS record confirmed by the customer"); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_confirmed", SubjectType: "service", SubjectID: serviceID})
	})
	if err != nil {
		return CertificateView{}, err
	}
	if renewal {
		a.continueRenewal(ctx, serviceID)
	}
	return a.Certificate(ctx, p, serviceID)
}

// Certificate reads a service's certificate request and certificate
// (service.read; staff account.read_any).
func (a *App) Certificate(ctx context.Context, p account.Principal, serviceID string) (CertificateView, error) {
	if _, _, err := a.acmeService(ctx, p, serviceID, "service.read", "account.read_any"); err != nil {
		return CertificateView{}, err
	}
	v := CertificateView{ServiceID: serviceID, State: "awaiting_request", Domains: []string{}}
	r, err := store.ACMERequestGet(ctx, a.db, serviceID)
	switch {
	case store.IsNotFound(err):
	case err != nil:
		return v, err
	default:
		v.State, v.Domains, v.Challenge, v.CustomerCSR, v.Reason = r.State, r.Domains, r.Challenge, r.CSRPEM != "", r.Reason
		switch r.DNSMode {
		case string(acme.CustomerTXT):
			v.DNSMode = "txt"
		case string(acme.Delegated):
			v.DNSMode = "cname"
		}
		v.CertificatePEM, v.ChainPEM, v.NotBefore, v.NotAfter, v.HasPrivateKey = r.CertPEM, r.ChainPEM, r.NotBefore, r.NotAfter, r.KeyEnc != ""
		v.RenewalDue = a.txtRenewalDue(r)
		if r.OrderJSON != "" && r.State != ACMEIssued && r.State != ACMERejected {
			var o acme.Order
			if err := json.Unmarshal([]byte(r.OrderJSON), &o); err == nil {
				v.Records = recordsOf(o)
			}
		}
	}
	states, err := certStates(ctx, a.db, serviceID)
	if err != nil {
		return v, err
	}
	for _, s := range states {
		v.CertStates = append(v.CertStates, CertStateView{State: s.State, At: s.At, Note: s.Note})
	}
	return v, nil
}

// recordsOf lists what the customer must publish for an open order.
func recordsOf(o acme.Order) []CertificateRecord {
	var out []CertificateRecord
	for _, az := range o.Authorizations {
		switch {
		case az.Valid:
		case az.CNAMETarget != "":
			out = append(out, CertificateRecord{Domain: az.Domain, Type: "CNAME", Name: az.TXTName, Value: az.CNAMETarget})
		case az.TXTName != "":
			out = append(out, CertificateRecord{Domain: az.Domain, Type: "TXT", Name: az.TXTName, Value: az.TXTValue})
		case az.HTTPPath != "":
			out = append(out, CertificateRecord{Domain: az.Domain, Type: "HTTP", Name: "http://" + az.Domain + az.HTTPPath, Value: az.HTTPBody})
		}
	}
	return out
}

// CertificateKey opens the private key we generated for an issued
// certificate of p's (service.manage). As for delivery credentials, the
// session of sessionToken must have been re-authenticated within
// account.ReauthWindow (session.reauth_required): API keys and staff never
// read it. Each reading is audited.
func (a *App) CertificateKey(ctx context.Context, p account.Principal, sessionToken, serviceID string) (string, error) {
	if _, _, err := a.acmeService(ctx, p, serviceID, "service.manage", "service.manage"); err != nil {
		return "", err
	}
	if p.Kind == account.KindStaff {
		return "", errNotFound("service")
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return "", err
	}
	r, err := store.ACMERequestGet(ctx, a.db, serviceID)
	if err != nil && !store.IsNotFound(err) {
		return "", err
	}
	if r.KeyEnc == "" {
		return "", errs.E(errs.Op("app.CertificateKey"), errs.NotFound, CodeACMENoKey, "we hold no private key for this certificate")
	}
	key, err := a.open("acme_cert_request", "key_pem", serviceID, r.KeyEnc)
	if err != nil {
		return "", err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_key_read", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"purpose": "customer access after re-authentication"}})
	})
	return key, err
}

// notifyCertificate emails the certificate and chain (never a key) and
// sends the SMS notice of certificate.issued.
func (a *App) notifyCertificate(ctx context.Context, tx *store.Tx, r store.ACMERequestRow) error {
	acc, err := store.AccountGet(ctx, tx, r.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
		return err
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventCertificateIssued, Recipient: rec, Lang: langOf(acc.Lang),
		Subject: notify.Subject{Type: "service", ID: r.ServiceID},
		Vars: map[string]string{"domains": strings.Join(r.Domains, ", "), "not_after": cstString(r.NotAfter),
			"certificate": strings.TrimSpace(r.CertPEM) + "\n" + strings.TrimSpace(r.ChainPEM) + "\n"}})
	return err
}
