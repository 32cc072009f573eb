package app

import (
	"context"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// 发票 (fapiao) requests (issue 9 item 7): a customer asks for an invoice
// of a paid order; finance issues it outside yuanxu (the tax system) and
// records its number, or rejects the request with a reason.

// Invoice types.
const (
	InvoiceNormal  = "normal"  // 普通发票
	InvoiceSpecial = "special" // 增值税专用发票: enterprises, with a tax id
)

// CodeInvoiceInvalid is the error code of a bad fapiao request.
const CodeInvoiceInvalid = "invoice.invalid"

// InvoiceRequest is a customer's fapiao request.
type InvoiceRequest struct {
	OrderID string `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Type    string `json:"type" enum:"normal,special" example:"normal"`
	Title   string `json:"title" maxLength:"100" example:"元序示例科技有限公司"`
	// TaxID is the buyer's taxpayer id (the USCC for a company); required
	// for a special invoice.
	TaxID string `json:"tax_id,omitempty" maxLength:"20" example:"91360100MA35XXXXX0"`
	Email string `json:"email" maxLength:"254" example:"finance@example.com"`
}

// InvoiceView is a fapiao request.
type InvoiceView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f64"`
	AccountID string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	OrderID   string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Type      string    `json:"type" example:"normal"`
	Title     string    `json:"title" example:"元序示例科技有限公司"`
	TaxID     string    `json:"tax_id,omitempty" example:"91360100MA35XXXXX0"`
	Email     string    `json:"email" example:"finance@example.com"`
	AmountFen int64     `json:"amount_fen" example:"9900"`
	State     string    `json:"state" enum:"requested,issued,rejected" example:"requested"`
	InvoiceNo string    `json:"invoice_no,omitempty" example:""`
	Note      string    `json:"note,omitempty" example:""`
	CreatedAt time.Time `json:"created_at" example:"2026-11-26T08:00:00Z"`
	HandledAt time.Time `json:"handled_at,omitzero" example:"2026-11-27T08:00:00Z"`
}

func invoiceView(r store.InvoiceRow) InvoiceView {
	return InvoiceView{ID: r.ID, AccountID: r.AccountID, OrderID: r.OrderID, Type: r.Type, Title: r.Title, TaxID: r.TaxID, Email: r.Email,
		AmountFen: r.AmountFen, State: r.State, InvoiceNo: r.InvoiceNo, Note: r.Note, CreatedAt: r.CreatedAt, HandledAt: r.HandledAt}
}

// RequestInvoice records a fapiao request for a paid order of p's tenant
// (invoice.request). One open request per order (invoice.duplicate, 409).
func (a *App) RequestInvoice(ctx context.Context, p account.Principal, in InvoiceRequest) (InvoiceView, error) {
	const op = "app.RequestInvoice"
	r, err := a.loadOrder(ctx, a.db, p, in.OrderID, "invoice.request", "invoice.request")
	if err != nil {
		if errs.CodeOf(err) == "order.not_found" {
			return InvoiceView{}, fieldErr(op, "order.not_found", errs.NotFound, "body.order_id", "unknown", "no such order", nil)
		}
		return InvoiceView{}, err
	}
	var fes []errs.FieldError
	bad := func(f, rule string) { fes = append(fes, errs.FieldError{Field: "body." + f, Rule: rule}) }
	in.Title, in.TaxID, in.Email = strings.TrimSpace(in.Title), strings.ToUpper(strings.TrimSpace(in.TaxID)), strings.TrimSpace(in.Email)
	if in.Type != InvoiceNormal && in.Type != InvoiceSpecial {
		bad("type", "enum")
	}
	if in.Title == "" || len([]rune(in.Title)) > 100 {
		bad("title", "required")
	}
	if in.Type == InvoiceSpecial && in.TaxID == "" {
		bad("tax_id", "required")
	}
	if in.TaxID != "" && (len(in.TaxID) < 15 || len(in.TaxID) > 20) {
		bad("tax_id", "format")
	}
	if at := strings.IndexByte(in.Email, '@'); at < 1 || at == len(in.Email)-1 || len(in.Email) > 254 {
		bad("email", "format")
	}
	if len(fes) > 0 {
		return InvoiceView{}, errs.E(errs.Op(op), errs.Invalid, CodeInvoiceInvalid, "the invoice request is not valid", fes)
	}
	if r.PaidAt.IsZero() || order.State(r.State) == order.StateRefunded || order.State(r.State) == order.StateCancelled {
		return InvoiceView{}, errs.E(errs.Op(op), errs.Conflict, "invoice.order_not_paid", "an invoice is issued for a paid order",
			map[string]any{"state": r.State})
	}
	row := store.InvoiceRow{AccountID: r.AccountID, OrderID: r.ID, Type: in.Type, Title: in.Title, TaxID: in.TaxID, Email: in.Email,
		AmountFen: r.TotalFen, State: "requested"}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row.ID, row.CreatedAt = id.NewAt(tx.Now), tx.Now
		if err := tx.InvoiceInsert(ctx, row); err != nil {
			if errs.Is(errs.Conflict, err) {
				return errs.E(errs.Op(op), errs.Conflict, "invoice.duplicate", "an invoice of this order is already requested")
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "invoice.requested", SubjectType: "order", SubjectID: r.ID,
			Data: map[string]any{"invoice": row.ID, "type": in.Type, "amount_fen": r.TotalFen}})
	})
	return invoiceView(row), err
}

// Invoices lists fapiao requests: a customer its own (invoice.read),
// finance every one in state (” = all; finance.invoice).
func (a *App) Invoices(ctx context.Context, p account.Principal, state string) ([]InvoiceView, error) {
	accountID := ""
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "finance.invoice", account.Object{Type: "invoice"}); err != nil {
			return nil, err
		}
	} else {
		accountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "invoice.read", "", "invoice", accountID); err != nil {
			return nil, err
		}
	}
	rows, err := store.Invoices(ctx, a.db, accountID, state, 200)
	if err != nil {
		return nil, err
	}
	out := make([]InvoiceView, 0, len(rows))
	for _, r := range rows {
		out = append(out, invoiceView(r))
	}
	return out, nil
}

// InvoiceDecision is finance's answer to a fapiao request.
type InvoiceDecision struct {
	Action    string `json:"action" enum:"issued,rejected" example:"issued"`
	InvoiceNo string `json:"invoice_no,omitempty" maxLength:"40" example:"24362000000012345678"`
	Note      string `json:"note,omitempty" maxLength:"500" example:""`
}

// HandleInvoice records that finance issued (with its number) or rejected
// (with a note) a requested fapiao (finance.invoice).
func (a *App) HandleInvoice(ctx context.Context, p account.Principal, invoiceID string, d InvoiceDecision) error {
	const op = "app.HandleInvoice"
	if err := a.Authorize(ctx, p, "finance.invoice", account.Object{Type: "invoice"}); err != nil {
		return err
	}
	d.InvoiceNo, d.Note = strings.TrimSpace(d.InvoiceNo), strings.TrimSpace(d.Note)
	switch {
	case d.Action != "issued" && d.Action != "rejected":
		return fieldErr(op, CodeInvoiceInvalid, errs.Invalid, "body.action", "enum", "issued or rejected", nil)
	case d.Action == "issued" && (d.InvoiceNo == "" || len(d.InvoiceNo) > 40):
		return fieldErr(op, CodeInvoiceInvalid, errs.Invalid, "body.invoice_no", "required", "record the invoice number", nil)
	case d.Action == "rejected" && (d.Note == "" || len(d.Note) > 500):
		return fieldErr(op, CodeInvoiceInvalid, errs.Invalid, "body.note", "required", "say why", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.InvoiceHandle(ctx, invoiceID, d.Action, d.InvoiceNo, d.Note, p.AccountID, tx.Now)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "invoice.not_requested", "no open request with this id")
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "invoice." + d.Action, SubjectType: "invoice", SubjectID: invoiceID,
			Data: map[string]any{"invoice_no": d.InvoiceNo, "note": d.Note}})
	})
}
