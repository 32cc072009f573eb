package app

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// Case-file export (issue 16 item 6; Cybersecurity Law art. 28): one
// violation case as a zip archive for an authority or a court — the case
// with its signals, every evidence file, the measures taken under it and
// the audit entries about it — with a manifest giving the SHA-256 of each
// part, so that the recipient can check nothing was altered.

// ExportPart is one file of an export, as the manifest lists it.
type ExportPart struct {
	Name   string `json:"name" example:"evidence/01936a9e-flows.png"`
	Size   int64  `json:"size" example:"20480"`
	SHA256 string `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
}

// ExportManifest is manifest.json of a case export.
type ExportManifest struct {
	CaseID     string       `json:"case_id"`
	ExportedAt time.Time    `json:"exported_at"`
	ExportedBy string       `json:"exported_by"`
	Parts      []ExportPart `json:"parts"`
}

// MeasureExport is a measure taken under the case.
type MeasureExport struct {
	ID         string    `json:"id"`
	AccountID  string    `json:"account_id"`
	Flag       string    `json:"flag"`
	Reason     string    `json:"reason"`
	ImposedBy  string    `json:"imposed_by"`
	Since      time.Time `json:"since"`
	LiftedAt   time.Time `json:"lifted_at,omitzero"`
	LiftedBy   string    `json:"lifted_by,omitempty"`
	LiftReason string    `json:"lift_reason,omitempty"`
}

// AuditExport is an audit entry about the case.
type AuditExport struct {
	ID      string          `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Data    json.RawMessage `json:"data"`
}

// CaseExport is a built archive.
type CaseExport struct {
	Filename       string
	Archive        []byte
	ManifestSHA256 string
	Manifest       ExportManifest
}

// ExportCase builds the case file of one case (compliance.disclosure.manage:
// an export leaves the platform, like a disclosure). The archive holds
// case.json (the case, signals, evidence metadata), evidence/<id>-<name>
// (each checked against its stored SHA-256), measures.json (the account
// measures whose case reference is the case), audit.json (the audit
// entries about the case and the compliance steps on its account that
// name it) and manifest.json (the SHA-256 and size of each other part).
// The export is audited compliance.case_exported with the manifest's
// SHA-256.
func (a *App) ExportCase(ctx context.Context, p account.Principal, caseID string) (CaseExport, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "violation_case"}); err != nil {
		return CaseExport{}, err
	}
	// The case as its readers see it (compliance.case.read, which every
	// holder of compliance.disclosure.manage has through its role).
	v, err := a.Case(ctx, p, caseID)
	if err != nil {
		return CaseExport{}, err
	}
	var out CaseExport
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.CaseGet(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var parts []exportFile
		add := func(name string, body []byte) { parts = append(parts, exportFile{name, body}) }
		addJSON := func(name string, x any) error {
			b, err := json.MarshalIndent(x, "", "  ")
			add(name, b)
			return err
		}
		if err := addJSON("case.json", v); err != nil {
			return err
		}
		for _, e := range v.Evidence {
			b, err := store.TicketBlob(ctx, tx, e.SHA256)
			if err != nil {
				return err
			}
			if f, err := ticket.CheckFile(e.Filename, b, "file"); err != nil || f.Hash != e.SHA256 {
				return errs.E(errs.Internal, "evidence.corrupt", "evidence "+e.ID+" does not match its hash")
			}
			add("evidence/"+e.ID+"-"+path.Base(e.Filename), b)
		}
		ms, err := caseMeasures(ctx, tx, r)
		if err != nil {
			return err
		}
		if err := addJSON("measures.json", ms); err != nil {
			return err
		}
		as, err := caseAudit(ctx, tx, r)
		if err != nil {
			return err
		}
		if err := addJSON("audit.json", as); err != nil {
			return err
		}
		out.Manifest = ExportManifest{CaseID: r.ID, ExportedAt: tx.Now, ExportedBy: p.AccountID}
		for _, f := range parts {
			sum := sha256.Sum256(f.body)
			out.Manifest.Parts = append(out.Manifest.Parts, ExportPart{Name: f.name, Size: int64(len(f.body)), SHA256: hex.EncodeToString(sum[:])})
		}
		mb, err := json.MarshalIndent(out.Manifest, "", "  ")
		if err != nil {
			return err
		}
		sum := sha256.Sum256(mb)
		out.ManifestSHA256 = hex.EncodeToString(sum[:])
		add("manifest.json", mb)
		if out.Archive, err = zipParts(parts, tx.Now); err != nil {
			return err
		}
		out.Filename = "case-" + r.ID + ".zip"
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.case_exported", SubjectType: "violation_case", SubjectID: r.ID,
			Data: map[string]any{"manifest_sha256": out.ManifestSHA256, "parts": len(out.Manifest.Parts), "bytes": len(out.Archive)}})
	})
	return out, err
}

type exportFile struct {
	name string
	body []byte
}

// zipParts writes parts into a zip archive, each stamped with at.
func zipParts(parts []exportFile, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: at.UTC()})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// caseMeasures lists the account measures taken under the case (their
// case reference is the case id).
func caseMeasures(ctx context.Context, q store.Querier, r store.CaseRow) ([]MeasureExport, error) {
	out := []MeasureExport{}
	if r.AccountID == "" {
		return out, nil
	}
	ms, err := store.Measures(ctx, q, r.AccountID, false)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.CaseRef == r.ID {
			out = append(out, MeasureExport{ID: m.ID, AccountID: m.AccountID, Flag: m.Flag, Reason: m.Reason, ImposedBy: m.ImposedBy, Since: m.Since,
				LiftedAt: m.LiftedAt, LiftedBy: m.LiftedBy, LiftReason: m.LiftReason})
		}
	}
	return out, nil
}

// caseAudit lists the audit entries about the case, and those about its
// account whose data names the case (measures, holds, flags), oldest
// first.
func caseAudit(ctx context.Context, q store.Querier, r store.CaseRow) ([]AuditExport, error) {
	out := []AuditExport{}
	evs, err := store.AuditOf(ctx, q, "violation_case", r.ID, 5000)
	if err != nil {
		return nil, err
	}
	if r.AccountID != "" {
		acc, err := store.AuditOf(ctx, q, "account", r.AccountID, 5000)
		if err != nil {
			return nil, err
		}
		for _, e := range acc {
			if strings.Contains(e.Data, r.ID) {
				evs = append(evs, e)
			}
		}
	}
	for _, e := range evs {
		out = append(out, AuditExport{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Subject: e.SubjectType + ":" + e.SubjectID,
			Data: json.RawMessage(e.Data)})
	}
	// By time; entries of one millisecond (one transaction, or a frozen
	// sandbox clock) in id order, which is random within the millisecond.
	slices.SortFunc(out, func(x, y AuditExport) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, nil
}
