package web_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The authority API end to end (issue 16 part B), in both languages: a
// compliance lead registers a disclosure and places an authority hold
// that refuses the customer's closure and withdrawal until lifted; an
// officer looks up an address and flags the customer for re-verification,
// which refuses checkout naming the clause until a reviewer approves a new
// submission; the lead downloads a case file whose manifest hashes check.
func TestAuthorityAPIEndToEnd(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := newCommerceServer(t)
			lead := staffClient(t, s, account.RoleComplianceLead)
			officer := staffClient(t, s, account.RoleComplianceOfficer)
			cust, who := verifiedCustomer(t, s, l)
			topUp(t, cust, 10000)
			pdf := []byte("%PDF-1.4\napi test\n%%EOF\n")
			doc := map[string]any{"authority": "海淀分局", "doc_type": "assist_notice", "doc_number": "协冻字〔2026〕5号", "doc_filename": "n.pdf",
				"doc_content": base64.StdEncoding.EncodeToString(pdf)}

			// The register: its own permission, every problem at once, the officer masked.
			d := map[string]any{"officer": "李警官 13800138000", "account_ids": []string{who.ID}, "fields": []string{"identity"}}
			for k, v := range doc {
				d[k] = v
			}
			wantProblem(t, officer.Do(t, "POST", "/api/v1/staff/compliance/disclosures", d), 403, "authz.permission_denied", "", "")
			wantProblem(t, lead.Do(t, "POST", "/api/v1/staff/compliance/disclosures", map[string]any{"authority": " ", "doc_type": "other",
				"doc_number": "", "officer": "", "account_ids": []string{}, "fields": []string{"everything"}}), 422, "compliance.authority_invalid", "",
				"body.officer")
			dv := webtest.Decode[app.DisclosureView](t, lead.Do(t, "POST", "/api/v1/staff/compliance/disclosures", d), http.StatusCreated)
			if strings.Contains(dv.Officer, "13800138000") || dv.DocSHA256 == "" {
				t.Fatalf("disclosure = %+v", dv)
			}
			if res := lead.Do(t, "GET", "/api/v1/staff/compliance/disclosures/"+dv.ID+"/document", nil); res.Status != 200 || !bytes.Equal(res.Body, pdf) {
				t.Fatalf("document: %d", res.Status)
			}

			// A hold refuses closure and withdrawals until lifted.
			h := map[string]any{"account_id": who.ID, "reason": "freeze"}
			for k, v := range doc {
				h[k] = v
			}
			hv := webtest.Decode[app.HoldView](t, lead.Do(t, "POST", "/api/v1/staff/compliance/holds", h), http.StatusCreated)
			p := wantProblem(t, cust.Do(t, "POST", "/api/v1/me/closure", map[string]any{"confirm": true}), 409, app.CodeClosureHeld, "", "")
			if !strings.Contains(p.Detail, app.HoldAuthority) {
				t.Errorf("closure refusal does not name the hold: %q", p.Detail)
			}
			wantProblem(t, cust.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 100, "destination": "招商银行 6225880123456789"}),
				409, "compliance.authority_hold", "", "")
			webtest.Decode[app.HoldView](t, lead.Do(t, "POST", "/api/v1/staff/compliance/holds/"+hv.ID+"/lift", map[string]any{"reason": "released"}),
				http.StatusOK)
			wantProblem(t, lead.Do(t, "POST", "/api/v1/staff/compliance/holds/"+hv.ID+"/lift", map[string]any{"reason": "again"}), 404,
				"authority_hold.not_found", "", "")

			// Who held an address: a purpose is required.
			wantProblem(t, officer.Do(t, "POST", "/api/v1/staff/compliance/address-lookups", map[string]any{"address": "203.0.113.9",
				"at": "2026-01-01T10:00:00+08:00", "purpose": "curiosity"}), 422, "request.invalid", "", "body.purpose")
			lv := webtest.Decode[app.LookupView](t, officer.Do(t, "POST", "/api/v1/staff/compliance/address-lookups", map[string]any{
				"address": "203.0.113.9", "at": "2026-01-01T10:00:00+08:00", "purpose": "abuse_investigation"}), http.StatusOK)
			if lv.Held {
				t.Errorf("nobody held it: %+v", lv)
			}

			// A flag refuses checkout with the clause until a reviewer approves again.
			webtest.Decode[app.ReverifyView](t, officer.Do(t, "POST", "/api/v1/staff/compliance/accounts/"+who.ID+"/reverify",
				map[string]any{"reason": "documents reported stolen"}), http.StatusCreated)
			p = wantProblem(t, cust.Do(t, "POST", "/api/v1/orders", orderReq("cs-nc-bw", "s1", "month", 1)), 409, "compliance.reverify_required", "", "")
			if !strings.Contains(p.Detail, l.pick("第四条", "clause 4.2")) {
				t.Errorf("checkout refusal does not name the clause: %q", p.Detail)
			}

			// The case file: the lead downloads it; its manifest hashes check.
			c := webtest.Decode[app.CaseView](t, officer.Do(t, "POST", "/api/v1/staff/compliance/findings", map[string]any{"account_id": who.ID,
				"rule": "fraud", "detail": "phishing"}), http.StatusCreated)
			wantProblem(t, officer.Do(t, "GET", "/api/v1/staff/compliance/cases/"+c.ID+"/export", nil), 403, "authz.permission_denied", "", "")
			res := lead.Do(t, "GET", "/api/v1/staff/compliance/cases/"+c.ID+"/export", nil)
			if res.Status != 200 || res.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("export: %d %s", res.Status, res.Body)
			}
			zr, err := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				if f.Name != "manifest.json" {
					continue
				}
				rc, _ := f.Open()
				var b bytes.Buffer
				_, _ = b.ReadFrom(rc)
				rc.Close()
				sum := sha256.Sum256(b.Bytes())
				if hex.EncodeToString(sum[:]) != res.Header.Get("X-Manifest-SHA256") {
					t.Error("manifest hash header differs")
				}
			}
		})
	}
}

// The authority codes, legal holds and rules have texts in both languages.
func TestAuthorityCodesHaveMessages(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"error." + compliance.CodeAuthorityInvalid, "error." + compliance.CodeHeld, "error." + compliance.CodeReverify,
		"error." + compliance.CodeLookupInvalid, "error.compliance.reverify_exists", "error.reverify_flag.not_found", "error.authority_hold.not_found",
		"error.authority_disclosure.not_found", "error.legal_document.not_found", "hold." + app.HoldAuthority, "hold." + app.HoldOpenCase,
		"rule.count", "rule.not_future", "rule.ip", "rule.exists", "rule.of_account"} {
		m, ok := i18n.Lookup(k)
		if !ok || strings.TrimSpace(m.ZH) == "" || strings.TrimSpace(m.EN) == "" {
			t.Errorf("%s has no text in both languages", k)
		}
	}
	for _, d := range compliance.DocTypes {
		if !i18n.Has("compliance.doc_type." + string(d)) {
			t.Errorf("document type %s has no label", d)
		}
	}
	for _, f := range compliance.DisclosureFields {
		if !i18n.Has("compliance.disclosure_field." + string(f)) {
			t.Errorf("disclosure field %s has no label", f)
		}
	}
	for _, p := range compliance.LookupPurposes {
		if !i18n.Has("compliance.lookup_purpose." + p) {
			t.Errorf("purpose %s has no label", p)
		}
	}
}
