package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// Authorities (issue 16 item 6; clause 4.2 移送公安; Cybersecurity Law
// arts. 21 and 28). Compliance leads (compliance.disclosure.manage) keep
// the disclosure register — what was handed to which authority, on which
// legal document, when and by whom — and place authority holds, which keep
// an account open and its balance unpaid until lifted. Every step is
// audited; the authority officer's name and contact are sealed at rest and
// shown masked.

const permDisclosure account.Permission = "compliance.disclosure.manage"

// LegalDocInput is the legal document a request or hold rests on, with
// its scan (optional; stored once by SHA-256 with the tickets' type and
// size rules).
type LegalDocInput struct {
	Authority   string `json:"authority" maxLength:"200" example:"北京市公安局海淀分局" doc:"The requesting body."`
	DocType     string `json:"doc_type" enum:"evidence_notice,assist_notice,court_order,regulator_letter,other" example:"evidence_notice"`
	DocNumber   string `json:"doc_number" maxLength:"100" example:"京公（海）调证字〔2026〕1234号"`
	DocFilename string `json:"doc_filename,omitempty" maxLength:"255" example:"notice.pdf"`
	DocContent  []byte `json:"doc_content,omitempty" doc:"The scanned document, base64 (PDF, PNG, JPEG; 5 MiB)." example:"JVBERi0xLjQK"`
}

// DisclosureInput records a disclosure made to an authority.
type DisclosureInput struct {
	LegalDocInput
	Officer     string    `json:"officer" maxLength:"200" example:"张警官 010-12345678" doc:"The officer who received it: name and contact. Sealed; shown masked."`
	AccountIDs  []string  `json:"account_ids" maxItems:"50" example:"[\"01936a9e-0000-7000-8000-000000000001\"]"`
	ServiceIDs  []string  `json:"service_ids,omitempty" maxItems:"200" example:"[]"`
	Fields      []string  `json:"fields" maxItems:"8" example:"[\"identity\",\"address_log\"]" doc:"What was disclosed: identity, contact, services, address_log, network_log, payments, login_log, case_file."`
	CaseID      string    `json:"case_id,omitempty" maxLength:"64" example:"" doc:"The violation case it concerns, if one."`
	Note        string    `json:"note,omitempty" maxLength:"2000" example:"handed over on an encrypted USB key"`
	DisclosedAt time.Time `json:"disclosed_at,omitzero" example:"2026-11-26T10:00:00+08:00" doc:"When it was handed over; default now; never in the future."`
}

// DisclosureView is a register entry as staff see it.
type DisclosureView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fe0"`
	Authority   string    `json:"authority" example:"北京市公安局海淀分局"`
	Officer     string    `json:"officer" example:"张*** 010****5678" doc:"Masked."`
	DocType     string    `json:"doc_type" example:"evidence_notice"`
	DocNumber   string    `json:"doc_number" example:"京公（海）调证字〔2026〕1234号"`
	DocSHA256   string    `json:"doc_sha256,omitempty" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	DocFilename string    `json:"doc_filename,omitempty" example:"notice.pdf"`
	AccountIDs  []string  `json:"account_ids" example:"[\"01936a9e-0000-7000-8000-000000000001\"]"`
	ServiceIDs  []string  `json:"service_ids" example:"[]"`
	Fields      []string  `json:"fields" example:"[\"identity\",\"address_log\"]"`
	CaseID      string    `json:"case_id,omitempty" example:""`
	Note        string    `json:"note,omitempty" example:"handed over on an encrypted USB key"`
	DisclosedAt time.Time `json:"disclosed_at" example:"2026-11-26T10:00:00+08:00"`
	DisclosedBy string    `json:"disclosed_by" example:"01936a9e-0000-7000-8000-000000000021"`
	CreatedAt   time.Time `json:"created_at" example:"2026-11-26T10:05:00+08:00"`
}

func disclosureView(r store.DisclosureRow) DisclosureView {
	return DisclosureView{ID: r.ID, Authority: r.Authority, Officer: r.OfficerMasked, DocType: r.DocType, DocNumber: r.DocNumber, DocSHA256: r.DocHash,
		DocFilename: r.DocFilename, AccountIDs: nonNil(r.AccountIDs), ServiceIDs: nonNil(r.ServiceIDs), Fields: nonNil(r.Fields), CaseID: r.CaseID,
		Note: r.Note, DisclosedAt: r.DisclosedAt, DisclosedBy: r.DisclosedBy, CreatedAt: r.CreatedAt}
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// legalDoc checks a document's scan, if given: its File (zero if none).
func legalDocFile(in LegalDocInput) (ticket.File, error) {
	if len(in.DocContent) == 0 {
		return ticket.File{}, nil
	}
	name := in.DocFilename
	if strings.TrimSpace(name) == "" {
		name = "document"
	}
	return ticket.CheckFile(name, in.DocContent, "body.doc_content")
}

// maskOfficer masks an officer's "name contact" text: the name's first
// character, and each further word by pii.Mask (a phone keeps its ends).
func maskOfficer(s string) string {
	parts := strings.Fields(s)
	for i, w := range parts {
		if i == 0 {
			parts[i] = pii.MaskName(w)
		} else if strings.Contains(w, "@") {
			parts[i] = pii.MaskEmail(w)
		} else {
			parts[i] = pii.Mask(w)
		}
	}
	return strings.Join(parts, " ")
}

// RecordDisclosure adds an entry to the disclosure register
// (compliance.disclosure.manage): the legal document (and its scan, kept
// by SHA-256), the officer (sealed), the accounts, services and
// categories disclosed, when and by whom. The accounts and services must
// exist (services of those accounts); the case, if named, too. Audited
// compliance.disclosure_recorded. Bad input: compliance.authority_invalid
// with every problem.
func (a *App) RecordDisclosure(ctx context.Context, p account.Principal, in DisclosureInput) (DisclosureView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_disclosure"}); err != nil {
		return DisclosureView{}, err
	}
	d, err := compliance.CheckDisclosure(compliance.Disclosure{Doc: compliance.LegalDoc{Authority: in.Authority, Type: in.DocType, Number: in.DocNumber},
		Officer: in.Officer, AccountIDs: in.AccountIDs, ServiceIDs: in.ServiceIDs, Fields: in.Fields, Note: in.Note})
	if err != nil {
		return DisclosureView{}, err
	}
	f, err := legalDocFile(in.LegalDocInput)
	if err != nil {
		return DisclosureView{}, err
	}
	now := a.Now()
	at := in.DisclosedAt
	if at.IsZero() {
		at = now
	}
	if at.After(now) {
		return DisclosureView{}, errs.Invalidf(compliance.CodeAuthorityInvalid, "body.disclosed_at", "not_future", nil)
	}
	r := store.DisclosureRow{ID: id.NewAt(now), Authority: d.Doc.Authority, OfficerMasked: maskOfficer(d.Officer), DocType: d.Doc.Type,
		DocNumber: d.Doc.Number, DocHash: f.Hash, DocFilename: f.Name, AccountIDs: d.AccountIDs, ServiceIDs: d.ServiceIDs, Fields: d.Fields,
		CaseID: strings.TrimSpace(in.CaseID), Note: d.Note, DisclosedAt: at, DisclosedBy: p.AccountID, CreatedAt: now}
	if r.OfficerEnc, err = a.seal("authority_disclosure", "officer", r.ID, d.Officer); err != nil {
		return DisclosureView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := checkSubjects(ctx, tx, r.AccountIDs, r.ServiceIDs, r.CaseID); err != nil {
			return err
		}
		if f.Hash != "" {
			if err := tx.TicketBlobPut(ctx, f.Hash, f.ContentType, in.DocContent); err != nil {
				return err
			}
		}
		r.CreatedAt = tx.Now
		if err := tx.DisclosureInsert(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.disclosure_recorded", SubjectType: "authority_disclosure", SubjectID: r.ID,
			Data: map[string]any{"authority": r.Authority, "doc_type": r.DocType, "doc_number": r.DocNumber, "doc_sha256": r.DocHash,
				"accounts": r.AccountIDs, "services": r.ServiceIDs, "fields": r.Fields, "case": r.CaseID, "disclosed_at": r.DisclosedAt}})
	})
	if err != nil {
		return DisclosureView{}, err
	}
	return disclosureView(r), nil
}

// checkSubjects refuses accounts that are not customers, services not of
// those accounts, and an unknown case (compliance.authority_invalid).
func checkSubjects(ctx context.Context, q store.Querier, accountIDs, serviceIDs []string, caseID string) error {
	var fs []errs.FieldError
	for _, aid := range accountIDs {
		l, err := loadAccount(ctx, q, aid)
		if err != nil && !isNotFoundErr(err) {
			return err
		}
		if err != nil || !account.Kind(l.row.Kind).Customer() {
			fs = append(fs, errs.FieldError{Field: "body.account_ids", Rule: "exists", Params: map[string]any{"value": aid}})
		}
	}
	for _, sid := range serviceIDs {
		s, err := store.ServiceGet(ctx, q, sid)
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		if err != nil || !slices.Contains(accountIDs, s.AccountID) {
			fs = append(fs, errs.FieldError{Field: "body.service_ids", Rule: "of_account", Params: map[string]any{"value": sid}})
		}
	}
	if caseID != "" {
		if _, err := store.CaseGet(ctx, q, caseID); store.IsNotFound(err) {
			fs = append(fs, errs.FieldError{Field: "body.case_id", Rule: "exists"})
		} else if err != nil {
			return err
		}
	}
	if len(fs) > 0 {
		return errs.E(errs.Op("app.checkSubjects"), errs.Invalid, compliance.CodeAuthorityInvalid, "unknown accounts, services or case", fs)
	}
	return nil
}

// isNotFoundErr reports a not-found from the store or a use case.
func isNotFoundErr(err error) bool { return store.IsNotFound(err) || errs.KindOf(err) == errs.NotFound }

// Disclosures lists the register, newest first (compliance.disclosure.manage).
func (a *App) Disclosures(ctx context.Context, p account.Principal) ([]DisclosureView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_disclosure"}); err != nil {
		return nil, err
	}
	rs, err := store.Disclosures(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := make([]DisclosureView, 0, len(rs))
	for _, r := range rs {
		out = append(out, disclosureView(r))
	}
	return out, nil
}

// Disclosure reads one register entry (compliance.disclosure.manage).
func (a *App) Disclosure(ctx context.Context, p account.Principal, disclosureID string) (DisclosureView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_disclosure"}); err != nil {
		return DisclosureView{}, err
	}
	r, err := store.DisclosureGet(ctx, a.db, disclosureID)
	if store.IsNotFound(err) {
		return DisclosureView{}, errNotFound("authority_disclosure")
	}
	return disclosureView(r), err
}

// LegalDocContent returns the scan of the legal document of a disclosure
// or hold (kind "disclosure" or "hold"; compliance.disclosure.manage),
// checked against its SHA-256; each download is audited.
func (a *App) LegalDocContent(ctx context.Context, p account.Principal, kind, objectID string) (name, contentType string, data []byte, err error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_disclosure"}); err != nil {
		return "", "", nil, err
	}
	var hash, subject string
	switch kind {
	case "disclosure":
		r, err := store.DisclosureGet(ctx, a.db, objectID)
		if err != nil && !store.IsNotFound(err) {
			return "", "", nil, err
		}
		hash, name, subject = r.DocHash, r.DocFilename, "authority_disclosure"
	case "hold":
		r, err := store.HoldGet(ctx, a.db, objectID)
		if err != nil && !store.IsNotFound(err) {
			return "", "", nil, err
		}
		hash, name, subject = r.DocHash, r.DocFilename, "authority_hold"
	}
	if hash == "" {
		return "", "", nil, errNotFound("legal_document")
	}
	b, err := store.TicketBlob(ctx, a.db, hash)
	if err != nil {
		return "", "", nil, err
	}
	f, err := ticket.CheckFile(name, b, "file")
	if err != nil || f.Hash != hash {
		return "", "", nil, errs.E(errs.Internal, "legal_document.corrupt", "the document does not match its hash")
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.legal_doc_read", SubjectType: subject, SubjectID: objectID,
			Data: map[string]any{"sha256": hash}})
	})
	return name, f.ContentType, b, err
}
