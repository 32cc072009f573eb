package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
)

var pdfScan = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func legalDoc(number string) app.LegalDocInput {
	return app.LegalDocInput{Authority: "北京市公安局海淀分局", DocType: "evidence_notice", DocNumber: number, DocFilename: "notice.pdf", DocContent: pdfScan}
}

func TestDisclosureRegisterSealsTheOfficerAndKeepsTheDocument(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, _ := s.buyer(t, 0)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	good := app.DisclosureInput{LegalDocInput: legalDoc("调证字〔2026〕1234号"), Officer: "张警官 13912345678", AccountIDs: []string{r.view.ID},
		Fields: []string{"identity", "address_log"}, Note: "on an encrypted key"}

	// Its own permission: an officer may not.
	_, err := s.a.RecordDisclosure(ctx, officer, good)
	wantKind(t, err, errs.Forbidden)
	// Bad input: every problem at once, nothing stored.
	_, err = s.a.RecordDisclosure(ctx, lead, app.DisclosureInput{Fields: []string{"everything"}})
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != compliance.CodeAuthorityInvalid || len(e.Fields) != 6 {
		t.Fatalf("bad input: %v", err)
	}
	bad := good
	bad.AccountIDs, bad.ServiceIDs = []string{"nobody"}, []string{"no-service"}
	_, err = s.a.RecordDisclosure(ctx, lead, bad)
	if !errorsAs(err, &e) || len(e.Fields) != 2 || e.Fields[0].Field != "body.account_ids" || e.Fields[1].Field != "body.service_ids" {
		t.Fatalf("unknown subjects: %v", err)
	}
	future := good
	future.DisclosedAt = s.clock.Now().Add(time.Hour)
	_, err = s.a.RecordDisclosure(ctx, lead, future)
	wantCode(t, err, compliance.CodeAuthorityInvalid)

	v, err := s.a.RecordDisclosure(ctx, lead, good)
	sum := sha256.Sum256(pdfScan)
	if err != nil || v.DocSHA256 != hex.EncodeToString(sum[:]) || v.DisclosedBy != lead.AccountID || len(v.Fields) != 2 {
		t.Fatalf("recorded = %+v, %v", v, err)
	}
	if strings.Contains(v.Officer, "警官") || strings.Contains(v.Officer, "12345678") || v.Officer == "" {
		t.Fatalf("officer not masked: %q", v.Officer)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM authority_disclosure WHERE officer_enc LIKE '%警官%' OR officer_enc LIKE '%13912345678%'`); n != 0 {
		t.Fatal("officer stored in clear")
	}
	list, err := s.a.Disclosures(ctx, lead)
	if err != nil || len(list) != 1 || list[0].ID != v.ID {
		t.Fatalf("register = %+v, %v", list, err)
	}
	name, ct, b, err := s.a.LegalDocContent(ctx, lead, "disclosure", v.ID)
	if err != nil || name != "notice.pdf" || ct != "application/pdf" || !bytes.Equal(b, pdfScan) {
		t.Fatalf("document: %s %s %v", name, ct, err)
	}
	_, _, _, err = s.a.LegalDocContent(ctx, officer, "disclosure", v.ID)
	wantKind(t, err, errs.Forbidden)
	for action, want := range map[string]int{"compliance.disclosure_recorded": 1, "compliance.legal_doc_read": 1} {
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = $1 AND subject_id = $2`, action, v.ID); n != want {
			t.Errorf("%s audited %d times, want %d", action, n, want)
		}
	}
}

func TestAuthorityHoldStopsPayoutsUntilLifted(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 50000)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	fin := s.staff(t, nil, "fin", account.RoleFinanceApprover)
	const dest = "招商银行 6225880123456789 张三"

	// A withdrawal approved before the order is not paid out under it.
	w, err := s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 1000, Destination: dest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DecideWithdrawal(ctx, fin, w.ID, app.WithdrawalDecision{Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.PlaceHold(ctx, lead, app.HoldInput{LegalDocInput: legalDoc("协冻字〔2026〕88号"), Reason: "fraud investigation"})
	wantCode(t, err, compliance.CodeAuthorityInvalid) // no account
	h, err := s.a.PlaceHold(ctx, lead, app.HoldInput{LegalDocInput: legalDoc("协冻字〔2026〕88号"), AccountID: r.view.ID, Reason: "fraud investigation"})
	if err != nil || h.DocSHA256 == "" || !h.LiftedAt.IsZero() {
		t.Fatalf("hold = %+v, %v", h, err)
	}
	_, err = s.a.DecideWithdrawal(ctx, fin, w.ID, app.WithdrawalDecision{Action: "paid", TransferRef: "CMB-1"})
	wantCode(t, err, compliance.CodeHeld)
	_, err = s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 1000, Destination: dest})
	wantCode(t, err, compliance.CodeHeld)
	if b := s.balance(t, p); b.CashFen != 49000 {
		t.Fatalf("cash moved by a refused request: %+v", b)
	}
	hs, err := s.a.Holds(ctx, lead, r.view.ID, true)
	if err != nil || len(hs) != 1 {
		t.Fatalf("holds = %+v, %v", hs, err)
	}

	_, err = s.a.LiftHold(ctx, lead, h.ID, "")
	wantCode(t, err, compliance.CodeAuthorityInvalid)
	if h, err = s.a.LiftHold(ctx, lead, h.ID, "released by the bureau"); err != nil || h.LiftedAt.IsZero() || h.LiftedBy != lead.AccountID {
		t.Fatalf("lift = %+v, %v", h, err)
	}
	_, err = s.a.LiftHold(ctx, lead, h.ID, "again")
	wantKind(t, err, errs.NotFound)
	if _, err := s.a.DecideWithdrawal(ctx, fin, w.ID, app.WithdrawalDecision{Action: "paid", TransferRef: "CMB-1"}); err != nil {
		t.Fatalf("paid after lift: %v", err)
	}
	for action, want := range map[string]int{"compliance.hold_placed": 1, "compliance.hold_lifted": 1} {
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = $1 AND subject_id = $2`, action, r.view.ID); n != want {
			t.Errorf("%s audited %d times, want %d", action, n, want)
		}
	}
}

func TestAddressLookupAnswersTheHolderAtTAndIsAudited(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	support := s.staff(t, nil, "support", account.RoleSupport)
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-gz-home", "h4", "month")
	svc := s.serviceOf(t, p, o.ID)
	t1 := s.clock.Now()
	if _, err := s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Addresses: []string{"203.0.113.78", "2001:db8::78"}}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour)
	for _, c := range []struct {
		name, addr string
		at         time.Time
		held       bool
	}{
		{"v4 held", "203.0.113.78", t1.Add(time.Minute), true},
		{"v6 written long", "2001:0db8:0000::0078", t1.Add(time.Minute), true},
		{"before delivery", "203.0.113.78", t1.Add(-time.Minute), false},
		{"never assigned", "198.51.100.1", t1.Add(time.Minute), false},
	} {
		v, err := s.a.LookupAddress(ctx, officer, app.LookupInput{Address: c.addr, At: c.at, Purpose: "abuse_investigation", Reference: "case X"})
		if err != nil || v.Held != c.held {
			t.Fatalf("%s: %+v, %v", c.name, v, err)
		}
		if c.held && (v.ServiceID != svc.ID || v.AccountID != r.view.ID || v.AccountMask == "" || v.AccountMask == r.email) {
			t.Fatalf("%s: answer %+v", c.name, v)
		}
	}
	_, err := s.a.LookupAddress(ctx, officer, app.LookupInput{Address: "not-an-ip", At: s.clock.Now().Add(time.Hour), Purpose: "curiosity"})
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != compliance.CodeLookupInvalid || len(e.Fields) != 3 {
		t.Fatalf("bad lookup: %v", err)
	}
	_, err = s.a.LookupAddress(ctx, support, app.LookupInput{Address: "203.0.113.78", At: t1, Purpose: "abuse_investigation"})
	wantKind(t, err, errs.Forbidden)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'compliance.address_lookup' AND data LIKE '%abuse_investigation%'`); n != 4 {
		t.Fatalf("lookups audited = %d, want 4", n)
	}
}

func TestCaseExportCarriesEveryPartWithItsHash(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, _ := s.buyer(t, 0)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	c, err := s.a.RaiseFinding(ctx, officer, app.FindingInput{AccountID: r.view.ID, Rule: "fraud", Detail: "phishing kit on the server"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.a.AddEvidence(ctx, officer, c.ID, "kit.pdf", pdfScan, "the kit's landing page")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.a.StandingSet(ctx, officer, r.view.ID, account.Measure{Flag: account.FlagRestricted, Reason: "phishing", CaseRef: c.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.ExportCase(ctx, officer, c.ID)
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.ExportCase(ctx, lead, "no-such-case")
	wantKind(t, err, errs.NotFound)

	x, err := s.a.ExportCase(ctx, lead, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(x.Archive), int64(len(x.Archive)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var m app.ExportManifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil || m.CaseID != c.ID {
		t.Fatalf("manifest: %+v, %v", m, err)
	}
	msum := sha256.Sum256(files["manifest.json"])
	if hex.EncodeToString(msum[:]) != x.ManifestSHA256 {
		t.Fatal("manifest hash differs from the one returned")
	}
	want := []string{"case.json", "evidence/" + ev.ID + "-kit.pdf", "measures.json", "audit.json"}
	if len(m.Parts) != len(want) || len(files) != len(want)+1 {
		t.Fatalf("parts = %+v", m.Parts)
	}
	for i, part := range m.Parts {
		sum := sha256.Sum256(files[part.Name])
		if part.Name != want[i] || part.SHA256 != hex.EncodeToString(sum[:]) || part.Size != int64(len(files[part.Name])) {
			t.Errorf("part %d = %+v", i, part)
		}
	}
	if !bytes.Equal(files[want[1]], pdfScan) {
		t.Error("evidence bytes differ")
	}
	var measures []app.MeasureExport
	var audits []app.AuditExport
	if json.Unmarshal(files["measures.json"], &measures) != nil || len(measures) != 1 || measures[0].Flag != "restricted" {
		t.Errorf("measures = %s", files["measures.json"])
	}
	seen := map[string]bool{}
	if err := json.Unmarshal(files["audit.json"], &audits); err != nil {
		t.Fatal(err)
	}
	for _, a := range audits {
		seen[a.Action] = true
	}
	for _, action := range []string{"compliance.case_opened", "compliance.signal", "compliance.evidence_added", "standing.set"} {
		if !seen[action] {
			t.Errorf("audit.json lacks %s: %s", action, files["audit.json"])
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'compliance.case_exported' AND subject_id = $1 AND data LIKE $2`,
		c.ID, "%"+x.ManifestSHA256+"%"); n != 1 {
		t.Fatalf("export audited %d times", n)
	}
}

func TestReverifyFlagBlocksCheckoutUntilAReviewerApprovesAgain(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	support := s.staff(t, nil, "support", account.RoleSupport)
	buy := func() error {
		_, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{})
		return err
	}
	_, err := s.a.FlagReverify(ctx, support, r.view.ID, app.ReverifyInput{Reason: "x"})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.FlagReverify(ctx, officer, r.view.ID, app.ReverifyInput{})
	wantCode(t, err, compliance.CodeAuthorityInvalid)
	f, err := s.a.FlagReverify(ctx, officer, r.view.ID, app.ReverifyInput{Reason: "identity documents reported stolen"})
	if err != nil || f.FlaggedBy != officer.AccountID {
		t.Fatalf("flag = %+v, %v", f, err)
	}
	_, err = s.a.FlagReverify(ctx, officer, r.view.ID, app.ReverifyInput{Reason: "again"})
	wantCode(t, err, "compliance.reverify_exists")

	err = buy()
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != compliance.CodeReverify || e.Params["clause"] != "4.2" || e.Kind != errs.Conflict {
		t.Fatalf("checkout under a flag: %v", err)
	}
	// The customer submits again: a person reviews it (never the sandbox's
	// automatic approval), and purchases stay blocked meanwhile.
	v, err := s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("张三", app.DemoResidentID("19900101", 901), "13800002222"))
	if err != nil || v.State != kyc.StatePending {
		t.Fatalf("resubmission = %+v, %v", v, err)
	}
	wantCode(t, buy(), compliance.CodeReverify)
	if _, err := s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove}); err != nil {
		t.Fatal(err)
	}
	if _, open, err := s.a.ReverifyFlag(ctx, officer, r.view.ID); err != nil || open {
		t.Fatalf("flag still open: %v, %v", open, err)
	}
	if err := buy(); err != nil {
		t.Fatalf("checkout after re-verification: %v", err)
	}
	for action, want := range map[string]int{"compliance.reverify_flagged": 1, "compliance.reverify_cleared": 1} {
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = $1 AND subject_id = $2`, action, r.view.ID); n != want {
			t.Errorf("%s audited %d times, want %d", action, n, want)
		}
	}
}

// TestAddressLookupFindsWireGuardPeers: a WireGuard line's peer address is
// in the address history, so the lookup answers its holder.
func TestAddressLookupFindsWireGuardPeers(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	s.useDriver(t, "vpn-domestic", "wireguard")
	s.vpnNode(t, ops, "lk-vpn", "cn-jx-nanchang", "10.66.0.0/29")
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "vpn-domestic", "v10", "month")
	svc := s.serviceOf(t, p, o.ID)
	s.clock.Advance(time.Minute)
	v, err := s.a.LookupAddress(ctx, officer, app.LookupInput{Address: "10.66.0.2", At: s.clock.Now(), Purpose: "authority_request"})
	if err != nil || !v.Held || v.ServiceID != svc.ID || v.AccountID != r.view.ID {
		t.Fatalf("peer lookup = %+v, %v", v, err)
	}
}
