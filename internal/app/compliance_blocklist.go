package app

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// The re-registration blocklist (issue 16 item 2; Anti-Telecom-Fraud Law
// art. 31): after an authority-ordered ban, the ID number, USCC or phone
// of the banned holder may not open or verify another account. Entries
// are keyed blind indexes (the same keyed index the KYC and account tables
// use), never values or plain hashes; staff see them masked. Registration
// refuses a blocked phone and real-name verification a blocked ID number,
// USCC or phone, without saying which list or why.

// Blocklist kinds.
const (
	BlockIDNumber = "id_number"
	BlockUSCC     = "uscc"
	BlockPhone    = "phone"
)

// CodeBlocked is the refusal of a blocked identity.
const CodeBlocked = "compliance.blocked"

// BlockInput is an entry staff add.
type BlockInput struct {
	Kind         string `json:"kind" enum:"id_number,uscc,phone" example:"id_number"`
	Value        string `json:"value" maxLength:"32" example:"110105198802140457" doc:"Kept only as a keyed blind index and a masked copy."`
	Reason       string `json:"reason" maxLength:"500" example:"ban ordered by the public security bureau"`
	AuthorityRef string `json:"authority_ref" maxLength:"200" example:"京公网安〔2026〕123 号" doc:"The authority's order."`
}

// BlockView is an entry as staff see it.
type BlockView struct {
	ID           string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fd0"`
	Kind         string    `json:"kind" example:"id_number"`
	Masked       string    `json:"masked" example:"1101**********0457"`
	Reason       string    `json:"reason" example:"ban ordered by the public security bureau"`
	AuthorityRef string    `json:"authority_ref" example:"京公网安〔2026〕123 号"`
	CreatedBy    string    `json:"created_by" example:"01936a9e-0000-7000-8000-000000000021"`
	CreatedAt    time.Time `json:"created_at" example:"2026-11-26T10:00:00+08:00"`
	LiftedAt     time.Time `json:"lifted_at,omitzero" example:""`
}

// blockIndex normalises value of kind and returns its blind index and
// masked form.
func (a *App) blockIndex(kind, value, field string) (string, string, error) {
	switch kind {
	case BlockPhone:
		n, err := account.ValidatePhone(value, field)
		if err != nil {
			return "", "", err
		}
		return a.blind(pii.KindPhone, n), pii.MaskPhone(n), nil
	case BlockUSCC:
		n, err := account.NormalizeUSCC(value, field)
		if err != nil {
			return "", "", err
		}
		return hex.EncodeToString(a.secrets.Blind.Sum("uscc", n)), pii.Mask(n), nil
	case BlockIDNumber:
		r, err := kyc.ParseResidentID(strings.ToUpper(strings.TrimSpace(value)), a.Now(), 0)
		if err != nil {
			return "", "", errs.Invalidf("compliance.block_invalid", field, "id_number", nil)
		}
		return hex.EncodeToString(a.secrets.Blind.Sum(pii.KindIDNumber, r.Number())), r.Masked(), nil
	}
	return "", "", errs.Invalidf("compliance.block_invalid", "body.kind", "enum", map[string]any{"allowed": []string{BlockIDNumber, BlockUSCC, BlockPhone}})
}

// BlockAdd adds an entry (compliance.blocklist.manage) with the
// authority's order.
func (a *App) BlockAdd(ctx context.Context, p account.Principal, in BlockInput) (BlockView, error) {
	if err := a.Authorize(ctx, p, "compliance.blocklist.manage", account.Object{Type: "blocklist_entry"}); err != nil {
		return BlockView{}, err
	}
	idx, masked, err := a.blockIndex(in.Kind, in.Value, "body.value")
	if err != nil {
		return BlockView{}, err
	}
	in.Reason, in.AuthorityRef = strings.TrimSpace(in.Reason), strings.TrimSpace(in.AuthorityRef)
	if in.Reason == "" || in.AuthorityRef == "" {
		field := "body.reason"
		if in.Reason != "" {
			field = "body.authority_ref"
		}
		return BlockView{}, errs.Invalidf("compliance.block_invalid", field, "required", nil)
	}
	now := a.Now()
	r := store.BlockRow{ID: id.NewAt(now), Kind: in.Kind, BlindIndex: idx, Masked: masked, Reason: truncate(in.Reason, 500),
		AuthorityRef: truncate(in.AuthorityRef, 200), CreatedBy: p.AccountID, CreatedAt: now}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if on, err := store.Blocked(ctx, tx, r.Kind, r.BlindIndex); err != nil || on {
			if err == nil {
				err = errs.E(errs.Conflict, "compliance.block_exists", "this value is on the blocklist already")
			}
			return err
		}
		if err := tx.BlockInsert(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.blocklist_added", SubjectType: "blocklist_entry", SubjectID: r.ID,
			Data: map[string]any{"kind": r.Kind, "masked": r.Masked, "authority_ref": r.AuthorityRef}})
	})
	if err != nil {
		return BlockView{}, err
	}
	return blockView(r), nil
}

func blockView(r store.BlockRow) BlockView {
	return BlockView{ID: r.ID, Kind: r.Kind, Masked: r.Masked, Reason: r.Reason, AuthorityRef: r.AuthorityRef, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, LiftedAt: r.LiftedAt}
}

// Blocklist lists the entries (compliance.blocklist.manage), masked.
func (a *App) Blocklist(ctx context.Context, p account.Principal) ([]BlockView, error) {
	if err := a.Authorize(ctx, p, "compliance.blocklist.manage", account.Object{Type: "blocklist_entry"}); err != nil {
		return nil, err
	}
	rs, err := store.Blocks(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := make([]BlockView, 0, len(rs))
	for _, r := range rs {
		out = append(out, blockView(r))
	}
	return out, nil
}

// BlockLift lifts an entry (compliance.blocklist.manage).
func (a *App) BlockLift(ctx context.Context, p account.Principal, entryID string) error {
	if err := a.Authorize(ctx, p, "compliance.blocklist.manage", account.Object{Type: "blocklist_entry"}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.BlockLift(ctx, entryID, p.AccountID)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("blocklist_entry")
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.blocklist_lifted", SubjectType: "blocklist_entry", SubjectID: entryID})
	})
}

// checkBlocked refuses an identity on the blocklist: kind and its blind
// index (hex), the field to name. The refusal says nothing of the list.
func (a *App) checkBlocked(ctx context.Context, q store.Querier, kind, index, field string) error {
	on, err := store.Blocked(ctx, q, kind, index)
	if err != nil || !on {
		return err
	}
	return &errs.Error{Kind: errs.Forbidden, Code: CodeBlocked, Msg: "this identity cannot be used to open or verify an account; contact us",
		Fields: []errs.FieldError{{Field: field, Rule: "blocked"}}, Params: map[string]any{"clause": "4.2"}}
}
