package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// ClauseBody is one clause of a version, in the request's language.
type ClauseBody struct {
	ID      string `json:"id" example:"3.2.1"`
	Level   int    `json:"level" example:"3"`
	Title   string `json:"title" example:"家庭宽带线路"`
	Body    string `json:"body" doc:"Markdown." example:"家庭宽带线路开通后不适用无理由退款。"`
	Key     bool   `json:"key" doc:"A key clause: shown distinctly and acknowledged on its own." example:"true"`
	Explain string `json:"explain,omitempty" doc:"The plain-language explanation (key clauses)." example:"线路开通后不能无理由退款。"`
}

// AgreementVersionBody is a stored agreement version. Clauses, Policy and
// Source are set when one version is read, not in lists.
type AgreementVersionBody struct {
	ID           string            `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Title        string            `json:"title" example:"元序服务协议"`
	SHA256       string            `json:"sha256" doc:"Hex SHA-256 of the canonical text: what an acceptance records." example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	State        string            `json:"state" enum:"draft,scheduled,effective,superseded" example:"effective"`
	Origin       string            `json:"origin" enum:"builtin,staff" example:"builtin"`
	Note         string            `json:"note,omitempty" example:"longer refund window"`
	Material     bool              `json:"material" doc:"Customers must accept it again." example:"false"`
	PreparedBy   string            `json:"prepared_by,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
	SignedOffBy  string            `json:"signed_off_by,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a71"`
	ScheduledAt  *time.Time        `json:"scheduled_at,omitempty" example:"2026-06-01T10:00:00+08:00"`
	EffectiveAt  *time.Time        `json:"effective_at,omitempty" example:"2026-06-08T00:00:00+08:00"`
	SupersededAt *time.Time        `json:"superseded_at,omitempty" example:"2026-07-01T00:00:00+08:00"`
	SupersededBy string            `json:"superseded_by,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a72"`
	KeyClauses   []string          `json:"key_clauses,omitempty" example:"[\"3.2.1\",\"8\"]"`
	Clauses      []ClauseBody      `json:"clauses,omitempty"`
	Policy       map[string]string `json:"policy,omitempty" doc:"Every policy parameter of the version."`
	Entity       string            `json:"entity,omitempty" example:"江西省元素序列信息技术有限公司"`
	Source       string            `json:"source,omitempty" doc:"The Markdown (drafts, for staff)." example:"---\ntitle: 元序服务协议\n---"`
}

func instantPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(shanghai)
	return &t
}

func versionBody(v app.AgreementVersion, lang string, full bool) AgreementVersionBody {
	b := AgreementVersionBody{ID: v.ID, Title: v.Title, SHA256: v.SHA256, State: string(v.State), Origin: v.Origin, Note: v.Note,
		Material: v.Material, PreparedBy: v.PreparedBy, SignedOffBy: v.SignedOffBy, ScheduledAt: instantPtr(v.ScheduledAt),
		EffectiveAt: instantPtr(v.EffectiveAt), SupersededAt: instantPtr(v.SupersededAt), SupersededBy: v.SupersededBy}
	if v.Doc != nil && full {
		b.KeyClauses, b.Policy, b.Entity = app.KeyClauseIDs(v), v.Doc.Policy.Values(), v.Doc.Entity.Name
		b.Clauses = make([]ClauseBody, 0, len(v.Doc.Clauses))
		for _, c := range v.Doc.Clauses {
			title, body := c.In(lang)
			b.Clauses = append(b.Clauses, ClauseBody{ID: string(c.ID), Level: c.Level, Title: title, Body: body, Key: c.Key, Explain: c.Explain.In(lang)})
		}
		if v.State == agreement.StateDraft {
			b.Source = v.Source
		}
	}
	return b
}

type versionOutput struct{ Body AgreementVersionBody }

type versionsOutput struct {
	Body struct {
		Versions []AgreementVersionBody `json:"versions"`
	}
}

type versionIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type diffInput struct {
	From string `query:"from" maxLength:"64" required:"true" doc:"The older version's id."`
	To   string `query:"to" maxLength:"64" required:"true" doc:"The newer version's id."`
}

// ClauseDiffBody is one clause's change between two versions.
type ClauseDiffBody struct {
	ID      string `json:"id" example:"3.1"`
	Change  string `json:"change" example:"changed"`
	Title   string `json:"title" example:"退款 / Refunds"`
	Unified string `json:"unified,omitempty" doc:"Unified line diff of the body." example:"-24h\n+48h"`
}

type diffOutput struct {
	Body struct {
		From    string           `json:"from" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		To      string           `json:"to" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		Clauses []ClauseDiffBody `json:"clauses"`
	}
}

type explainInput struct {
	ID     string `path:"id" maxLength:"64"`
	Clause string `query:"clause" maxLength:"64" required:"true" example:"3.2.1"`
}

type explainOutput struct {
	Body struct {
		VersionID string `json:"version_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		ClauseID  string `json:"clause_id" example:"3.2.1"`
		Title     string `json:"title" example:"家庭宽带线路"`
		Text      string `json:"text" example:"线路开通后不能无理由退款；线路不通时仍可修复或退款。"`
		Key       bool   `json:"key" example:"true"`
	}
}

// AcceptanceBody is a proof of acceptance, address masked.
type AcceptanceBody struct {
	ID           string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	AccountID    string    `json:"account_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
	VersionID    string    `json:"version_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a71"`
	SHA256       string    `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Acknowledged []string  `json:"acknowledged_clauses" example:"[\"3.2.1\"]"`
	Explained    []string  `json:"explained_clauses" example:"[]"`
	Occasion     string    `json:"occasion" example:"registration"`
	OrderID      string    `json:"order_id,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	At           time.Time `json:"at" example:"2026-06-01T10:00:00+08:00"`
	IP           string    `json:"ip" doc:"Masked." example:"198.51.100.0/24"`
	UserAgent    string    `json:"user_agent" example:"Mozilla/5.0"`
	Channel      string    `json:"channel" example:"web"`
}

func acceptanceBodies(rs []app.Acceptance) []AcceptanceBody {
	out := make([]AcceptanceBody, 0, len(rs))
	for _, r := range rs {
		out = append(out, AcceptanceBody{ID: r.ID, AccountID: r.AccountID, VersionID: r.VersionID, SHA256: r.SHA256,
			Acknowledged: nonNil(r.Acknowledged), Explained: nonNil(r.Explained), Occasion: r.Occasion, OrderID: r.OrderID,
			At: r.At.In(shanghai), IP: r.IPMasked, UserAgent: r.UserAgent, Channel: r.Channel})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type acceptancesOutput struct {
	Body struct {
		Acceptances []AcceptanceBody `json:"acceptances"`
	}
}

type acceptanceOutput struct{ Body AcceptanceBody }

type acceptInput struct {
	Body struct {
		VersionID    string   `json:"version_id,omitempty" required:"false" maxLength:"64" doc:"Default: the version in force." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		SHA256       string   `json:"sha256,omitempty" required:"false" maxLength:"64" doc:"The text shown; must be the version's." example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
		Acknowledged []string `json:"acknowledged_clauses,omitempty" required:"false" maxItems:"64" doc:"Every key clause, ticked one by one." example:"[\"3.2.1\",\"8\"]"`
		Explained    []string `json:"explained_clauses,omitempty" required:"false" maxItems:"64" example:"[\"3.2.1\"]"`
	}
}

type staffAcceptancesInput struct {
	AccountID string `query:"account_id" maxLength:"64" doc:"Only this account's."`
	Limit     int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type draftInput struct {
	Body struct {
		Source string `json:"source,omitempty" required:"false" maxLength:"524288" doc:"The agreement in Markdown (see package agreement)." example:"---\ntitle: 元序服务协议\n---"`
		Note   string `json:"note,omitempty" required:"false" maxLength:"2000" doc:"What changed, for the revision notice." example:"longer refund window"`
	}
}

type draftUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Source string `json:"source,omitempty" required:"false" maxLength:"524288" example:"---\ntitle: 元序服务协议\n---"`
		Note   string `json:"note,omitempty" required:"false" maxLength:"2000" example:"longer refund window"`
	}
}

// FindingBody is one lint finding.
type FindingBody struct {
	Line    int    `json:"line" example:"12"`
	Code    string `json:"code" example:"agreement.placeholder"`
	Message string `json:"message" example:"placeholder [X]"`
}

type lintOutput struct {
	Body struct {
		Clean    bool          `json:"clean" example:"true"`
		Findings []FindingBody `json:"findings"`
	}
}

func lintBody(fs []agreement.Finding, lang string) *lintOutput {
	out := &lintOutput{}
	out.Body.Clean, out.Body.Findings = len(fs) == 0, make([]FindingBody, 0, len(fs))
	for _, f := range fs {
		msg := f.Msg.ZH
		if lang == "en" || msg == "" {
			msg = f.Msg.EN
		}
		out.Body.Findings = append(out.Body.Findings, FindingBody{Line: f.Line, Code: f.Code, Message: msg})
	}
	return out
}

type scheduleInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		EffectiveAt time.Time `json:"effective_at,omitzero" required:"false" doc:"When it takes effect: at least agreement.notice_days ahead." example:"2026-06-08T00:00:00+08:00"`
		Material    bool      `json:"material,omitempty" required:"false" doc:"Customers must accept it again." example:"true"`
	}
}

// LicenceBody is a licence register entry.
type LicenceBody struct {
	ID           string     `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Type         string     `json:"type" enum:"idc,cdn,isp,ip_vpn" example:"idc"`
	Number       string     `json:"number" example:"B1.B2-20260001"`
	Holder       string     `json:"holder" example:"江西省元素序列信息技术有限公司"`
	Scopes       []string   `json:"scopes" example:"[\"domestic\"]"`
	Regions      []string   `json:"regions" doc:"Empty: nationwide." example:"[]"`
	ProductKinds []string   `json:"product_kinds" example:"[\"cloud_server\"]"`
	ValidFrom    time.Time  `json:"valid_from" example:"2026-01-01T00:00:00+08:00"`
	ValidUntil   time.Time  `json:"valid_until" doc:"Exclusive." example:"2031-01-01T00:00:00+08:00"`
	Note         string     `json:"note,omitempty" example:"renewed 2026"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty" example:"2027-01-01T00:00:00+08:00"`
}

func licenceBody(l app.Licence) LicenceBody {
	return LicenceBody{ID: l.ID, Type: l.Type, Number: l.Number, Holder: l.Holder, Scopes: nonNil(l.Scopes), Regions: nonNil(l.Regions),
		ProductKinds: nonNil(l.ProductKinds), ValidFrom: l.ValidFrom.In(shanghai), ValidUntil: l.ValidUntil.In(shanghai), Note: l.Note,
		RevokedAt: instantPtr(l.RevokedAt)}
}

type licenceFields struct {
	Type         string    `json:"type,omitempty" required:"false" maxLength:"16" example:"idc"`
	Number       string    `json:"number,omitempty" required:"false" maxLength:"64" example:"B1.B2-20260001"`
	Holder       string    `json:"holder,omitempty" required:"false" maxLength:"128" example:"江西省元素序列信息技术有限公司"`
	Scopes       []string  `json:"scopes,omitempty" required:"false" maxItems:"2" example:"[\"domestic\"]"`
	Regions      []string  `json:"regions,omitempty" required:"false" maxItems:"64" example:"[\"36\"]"`
	ProductKinds []string  `json:"product_kinds,omitempty" required:"false" maxItems:"8" example:"[\"cloud_server\"]"`
	ValidFrom    time.Time `json:"valid_from,omitzero" required:"false" example:"2026-01-01T00:00:00+08:00"`
	ValidUntil   time.Time `json:"valid_until,omitzero" required:"false" example:"2031-01-01T00:00:00+08:00"`
	Note         string    `json:"note,omitempty" required:"false" maxLength:"500" example:"renewed 2026"`
}

func (f licenceFields) input() app.LicenceInput {
	return app.LicenceInput{Type: f.Type, Number: f.Number, Holder: f.Holder, Scopes: f.Scopes, Regions: f.Regions,
		ProductKinds: f.ProductKinds, ValidFrom: f.ValidFrom, ValidUntil: f.ValidUntil, Note: f.Note}
}

type licenceCreateInput struct{ Body licenceFields }

type licenceUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body licenceFields
}

type licenceOutput struct{ Body LicenceBody }

type licencesOutput struct {
	Body struct {
		Licences []LicenceBody `json:"licences"`
	}
}

type deadlineInput struct {
	From        string `query:"from" maxLength:"40" required:"true" doc:"Instant of receipt, RFC 3339; its date in Asia/Shanghai is not counted." example:"2026-09-30T10:00:00+08:00"`
	WorkingDays int    `query:"working_days" minimum:"0" maximum:"10000" required:"true" example:"3"`
}

type deadlineOutput struct {
	Body struct {
		Due         string    `json:"due" doc:"The Nth working day, YYYY-MM-DD." example:"2026-10-10"`
		At          time.Time `json:"at" doc:"Exclusive deadline instant: the next day's 00:00 +08:00." example:"2026-10-11T00:00:00+08:00"`
		Provisional bool      `json:"provisional" example:"false"`
		Received    string    `json:"received" example:"2026-09-30"`
		WorkingDays int       `json:"working_days" example:"3"`
		Years       []int     `json:"years" example:"[2026]"`
	}
}

type yearInput struct {
	Year int `query:"year" minimum:"1" maximum:"9999" required:"true" example:"2026"`
}

type yearOutput struct {
	Body struct {
		Year      int            `json:"year" example:"2026"`
		Status    string         `json:"status" enum:"missing,imported,confirmed" example:"confirmed"`
		Notice    string         `json:"notice,omitempty" example:"国务院办公厅关于2026年部分节假日安排的通知"`
		Days      []DayBody      `json:"days"`
		Overrides []OverrideBody `json:"overrides"`
	}
}

// DayBody is a holiday or make-up working day of a year's data.
type DayBody struct {
	Date    string `json:"date" example:"2026-10-10"`
	Working bool   `json:"working" doc:"A make-up working day (true) or a rest day." example:"true"`
	Name    string `json:"name" example:"国庆节、中秋节"`
}

// OverrideBody is an effective or pending calendar override.
type OverrideBody struct {
	ID         string `json:"id,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Date       string `json:"date" example:"2027-10-09"`
	Working    bool   `json:"working" example:"true"`
	Reason     string `json:"reason" example:"State Council notice"`
	ProposedBy string `json:"proposed_by" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	ApprovedBy string `json:"approved_by,omitempty" doc:"Empty while pending." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
}

// ConfirmationBody is a year confirmation.
type ConfirmationBody struct {
	ID         string `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Year       int    `json:"year" example:"2027"`
	Notice     string `json:"notice" example:"国务院办公厅关于2027年部分节假日安排的通知"`
	ProposedBy string `json:"proposed_by" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	ApprovedBy string `json:"approved_by,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
}

type overridesOutput struct {
	Body struct {
		Overrides     []OverrideBody     `json:"overrides"`
		Confirmations []ConfirmationBody `json:"confirmations"`
	}
}

type overrideProposeInput struct {
	Body struct {
		Date    string `json:"date,omitempty" required:"false" maxLength:"10" example:"2027-10-09"`
		Working bool   `json:"working,omitempty" required:"false" example:"true"`
		Reason  string `json:"reason,omitempty" required:"false" maxLength:"500" example:"State Council notice"`
	}
}

type overrideOutput struct{ Body OverrideBody }

type idInput struct {
	ID string `path:"id" maxLength:"64"`
}

type confirmProposeInput struct {
	Body struct {
		Year   int    `json:"year,omitempty" required:"false" example:"2027"`
		Notice string `json:"notice,omitempty" required:"false" maxLength:"300" example:"国务院办公厅关于2027年部分节假日安排的通知"`
	}
}

type confirmationOutput struct{ Body ConfirmationBody }

// optionalPrincipal is the caller's principal on a public operation, nil
// when nobody is signed in.
func optionalPrincipal(ctx context.Context) *account.Principal {
	if p, ok := PrincipalFrom(ctx); ok {
		return &p.Principal
	}
	return nil
}

// registerAgreement adds the agreement, licence and calendar operations.
func registerAgreement(s *server) {
	tag, staffTag := []string{"agreement"}, []string{"staff"}
	register(s, huma.Operation{OperationID: "get-agreement", Method: http.MethodGet, Path: "/agreement", Tags: tag, Security: secNone,
		Summary: "The agreement in force", Description: "Clauses in the request's language; key clauses flagged, with their explanation."},
		func(ctx context.Context, _ *struct{}) (*versionOutput, error) {
			v, err := s.app.AgreementCurrent(ctx)
			if err != nil {
				return nil, err
			}
			return &versionOutput{Body: versionBody(v, string(Lang(ctx)), true)}, nil
		})
	register(s, huma.Operation{OperationID: "list-agreement-versions", Method: http.MethodGet, Path: "/agreement/versions", Tags: tag, Security: secNone,
		Summary: "Every agreement version", Description: "Scheduled, effective and superseded versions; drafts too for staff who draft."},
		func(ctx context.Context, _ *struct{}) (*versionsOutput, error) {
			vs, err := s.app.AgreementVersions(ctx, optionalPrincipal(ctx))
			if err != nil {
				return nil, err
			}
			out := &versionsOutput{}
			out.Body.Versions = make([]AgreementVersionBody, 0, len(vs))
			for _, v := range vs {
				out.Body.Versions = append(out.Body.Versions, versionBody(v, "", false))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-agreement-version", Method: http.MethodGet, Path: "/agreement/versions/{id}", Tags: tag, Security: secNone,
		Summary: "One agreement version", Errors: []int{404}},
		func(ctx context.Context, in *versionIDInput) (*versionOutput, error) {
			v, err := s.app.AgreementVersionGet(ctx, optionalPrincipal(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			return &versionOutput{Body: versionBody(v, string(Lang(ctx)), true)}, nil
		})
	register(s, huma.Operation{OperationID: "diff-agreement-versions", Method: http.MethodGet, Path: "/agreement/diff", Tags: tag, Security: secNone,
		Summary: "Compare two agreement versions clause by clause", Errors: []int{404, 422}},
		func(ctx context.Context, in *diffInput) (*diffOutput, error) {
			from, to, d, err := s.app.AgreementDiff(ctx, optionalPrincipal(ctx), in.From, in.To)
			if err != nil {
				return nil, err
			}
			out := &diffOutput{}
			out.Body.From, out.Body.To, out.Body.Clauses = from.ID, to.ID, make([]ClauseDiffBody, 0, len(d))
			for _, c := range d {
				out.Body.Clauses = append(out.Body.Clauses, ClauseDiffBody{ID: string(c.ID), Change: string(c.Change), Title: diffTitle(c),
					Unified: agreement.Unified(c.Lines, 2)})
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "explain-agreement-clause", Method: http.MethodGet, Path: "/agreement/versions/{id}/explain", Tags: tag, Security: secNone,
		Summary: "Explain a clause", Description: "The plain-language explanation; every request is logged (who, when, which clause).", Errors: []int{404, 422}},
		func(ctx context.Context, in *explainInput) (*explainOutput, error) {
			e, err := s.app.AgreementExplain(ctx, optionalPrincipal(ctx), in.ID, in.Clause, string(Lang(ctx)), "api")
			if err != nil {
				return nil, err
			}
			out := &explainOutput{}
			out.Body.VersionID, out.Body.ClauseID, out.Body.Title, out.Body.Text, out.Body.Key = e.VersionID, e.ClauseID, e.Title, e.Text, e.Key
			return out, nil
		})
	register(s, huma.Operation{OperationID: "calendar-deadline", Method: http.MethodGet, Path: "/calendar/deadline", Tags: tag, Security: secNone,
		Summary: "Deadline N working days after an instant", Description: "PRC statutory calendar with 调休 days and approved overrides; the day of receipt is not counted.",
		Errors: []int{422}},
		func(ctx context.Context, in *deadlineInput) (*deadlineOutput, error) {
			from, err := time.Parse(time.RFC3339, in.From)
			if err != nil {
				return nil, &errs.Error{Kind: errs.Invalid, Code: "calendar.from_invalid", Msg: "from must be an RFC 3339 instant",
					Fields: []errs.FieldError{{Field: "from", Rule: "format"}}}
			}
			d, err := s.app.CalendarDeadline(ctx, from, in.WorkingDays)
			if err != nil {
				return nil, err
			}
			out := &deadlineOutput{}
			b := &out.Body
			b.Due, b.At, b.Provisional, b.Received, b.WorkingDays, b.Years = d.Due.String(), d.At.In(shanghai), d.Provisional, d.Received.String(), d.WorkingDays, d.Years
			return out, nil
		})
	register(s, huma.Operation{OperationID: "calendar-year", Method: http.MethodGet, Path: "/calendar/years", Tags: tag, Security: secNone,
		Summary: "A year's holidays and make-up working days", Errors: []int{422}},
		func(ctx context.Context, in *yearInput) (*yearOutput, error) {
			c, err := s.app.Calendar(ctx)
			if err != nil {
				return nil, err
			}
			out := &yearOutput{}
			out.Body.Year, out.Body.Status, out.Body.Days, out.Body.Overrides = in.Year, c.Status(in.Year).String(), []DayBody{}, []OverrideBody{}
			if y, ok := c.Year(in.Year); ok {
				out.Body.Notice = y.Notice
				for _, d := range y.Days {
					out.Body.Days = append(out.Body.Days, DayBody{Date: d.Date.String(), Working: d.Working, Name: d.Name})
				}
			}
			for _, o := range c.Overrides() {
				if o.Date.Year() == in.Year {
					out.Body.Overrides = append(out.Body.Overrides, OverrideBody{Date: o.Date.String(), Working: o.Working, Reason: o.Reason,
						ProposedBy: o.ProposedBy, ApprovedBy: o.ApprovedBy})
				}
			}
			return out, nil
		})

	// The customer's own acceptances.
	register(s, huma.Operation{OperationID: "my-acceptances", Method: http.MethodGet, Path: "/me/agreement/acceptances", Tags: []string{"me"}, Security: secAny,
		Summary: "My acceptance records", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*acceptancesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			rs, err := s.app.AgreementMyAcceptances(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &acceptancesOutput{}
			out.Body.Acceptances = acceptanceBodies(rs)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "accept-agreement", Method: http.MethodPost, Path: "/me/agreement/acceptances", Tags: []string{"me"}, Security: secAny,
		Summary: "Accept an agreement version", Description: "Every key clause must be acknowledged one by one (after a material revision, for instance).",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *acceptInput) (*acceptanceOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ch := agreement.ChannelWeb
			if p.ViaAPIKey {
				ch = agreement.ChannelAPI
			}
			r, err := s.app.AgreementAccept(ctx, p.Principal, app.AcceptInput{VersionID: in.Body.VersionID, SHA256: in.Body.SHA256,
				Acknowledged: in.Body.Acknowledged, Explained: in.Body.Explained, Channel: ch, UserAgent: userAgent(ctx)})
			if err != nil {
				return nil, err
			}
			return &acceptanceOutput{Body: acceptanceBodies([]app.Acceptance{r})[0]}, nil
		})

	// Staff: drafts, sign-off, acceptances.
	register(s, huma.Operation{OperationID: "create-agreement-draft", Method: http.MethodPost, Path: "/staff/agreement/drafts", Tags: staffTag, Security: secSession,
		Summary: "Create an agreement draft", Description: "Needs agreement.draft. A malformed document is refused whole, naming each line.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *draftInput) (*versionOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.AgreementDraftCreate(ctx, p.Principal, app.DraftInput{Source: in.Body.Source, Note: in.Body.Note})
			if err != nil {
				return nil, err
			}
			return &versionOutput{Body: versionBody(v, string(Lang(ctx)), true)}, nil
		})
	register(s, huma.Operation{OperationID: "update-agreement-draft", Method: http.MethodPut, Path: "/staff/agreement/drafts/{id}", Tags: staffTag, Security: secSession,
		Summary: "Replace a draft's text", Description: "Needs agreement.draft; only the preparer edits a draft.", Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *draftUpdateInput) (*versionOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.AgreementDraftUpdate(ctx, p.Principal, in.ID, app.DraftInput{Source: in.Body.Source, Note: in.Body.Note})
			if err != nil {
				return nil, err
			}
			return &versionOutput{Body: versionBody(v, string(Lang(ctx)), true)}, nil
		})
	register(s, huma.Operation{OperationID: "lint-agreement-version", Method: http.MethodGet, Path: "/staff/agreement/versions/{id}/lint", Tags: staffTag, Security: secSession,
		Summary: "Lint a stored version", Description: "Needs agreement.draft.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *versionIDInput) (*lintOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			fs, err := s.app.AgreementLint(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return lintBody(fs, string(Lang(ctx))), nil
		})
	register(s, huma.Operation{OperationID: "lint-agreement-text", Method: http.MethodPost, Path: "/staff/agreement/lint", Tags: staffTag, Security: secSession,
		Summary: "Lint an agreement text", Description: "Markdown with clause ids, or plain text. Needs agreement.draft.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *draftInput) (*lintOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			fs, err := s.app.AgreementLintSource(ctx, p.Principal, in.Body.Source)
			if err != nil {
				return nil, err
			}
			return lintBody(fs, string(Lang(ctx))), nil
		})
	register(s, huma.Operation{OperationID: "schedule-agreement-version", Method: http.MethodPost, Path: "/staff/agreement/versions/{id}/schedule", Tags: staffTag, Security: secSession,
		Summary: "Sign off and schedule a version", Description: "Needs agreement.publish and the legal role, never by the preparer; notice of at least agreement.notice_days; sends the revision notice to every active customer.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *scheduleInput) (*versionOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.AgreementSchedule(ctx, p.Principal, in.ID, app.ScheduleInput{EffectiveAt: in.Body.EffectiveAt, Material: in.Body.Material})
			if err != nil {
				return nil, err
			}
			return &versionOutput{Body: versionBody(v, string(Lang(ctx)), false)}, nil
		})
	register(s, huma.Operation{OperationID: "list-acceptances", Method: http.MethodGet, Path: "/staff/agreement/acceptances", Tags: staffTag, Security: secSession,
		Summary: "Acceptance records", Description: "Needs account.read_any or agreement.draft. Addresses are masked.", Errors: []int{401, 403}},
		func(ctx context.Context, in *staffAcceptancesInput) (*acceptancesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Kind != account.KindStaff {
				return nil, &errs.Error{Kind: errs.Forbidden, Code: account.ReasonStaffOnly, Msg: "staff only"}
			}
			rs, err := s.app.AgreementAcceptances(ctx, p.Principal, in.AccountID, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &acceptancesOutput{}
			out.Body.Acceptances = acceptanceBodies(rs)
			return out, nil
		})

	// Staff: the licence register.
	register(s, huma.Operation{OperationID: "list-licences", Method: http.MethodGet, Path: "/staff/licences", Tags: staffTag, Security: secSession,
		Summary: "The licence register", Description: "Needs licence.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*licencesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ls, err := s.app.Licences(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &licencesOutput{}
			out.Body.Licences = make([]LicenceBody, 0, len(ls))
			for _, l := range ls {
				out.Body.Licences = append(out.Body.Licences, licenceBody(l))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "create-licence", Method: http.MethodPost, Path: "/staff/licences", Tags: staffTag, Security: secSession,
		Summary: "Register a licence", Description: "Needs licence.manage. An IP-VPN licence states its scopes (domestic, cross_border).",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *licenceCreateInput) (*licenceOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			l, err := s.app.LicenceCreate(ctx, p.Principal, in.Body.input())
			if err != nil {
				return nil, err
			}
			return &licenceOutput{Body: licenceBody(l)}, nil
		})
	register(s, huma.Operation{OperationID: "update-licence", Method: http.MethodPut, Path: "/staff/licences/{id}", Tags: staffTag, Security: secSession,
		Summary: "Replace a licence entry", Description: "Needs licence.manage.", Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *licenceUpdateInput) (*licenceOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			l, err := s.app.LicenceUpdate(ctx, p.Principal, in.ID, in.Body.input())
			if err != nil {
				return nil, err
			}
			return &licenceOutput{Body: licenceBody(l)}, nil
		})
	register(s, huma.Operation{OperationID: "revoke-licence", Method: http.MethodDelete, Path: "/staff/licences/{id}", Tags: staffTag, Security: secSession,
		Summary: "Revoke a licence", Description: "Needs licence.manage; it stops covering sales from now.", Errors: []int{401, 403, 404}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.LicenceRevoke(ctx, p.Principal, in.ID)
		})

	// Staff: calendar overrides and confirmations (two different admins).
	register(s, huma.Operation{OperationID: "list-calendar-overrides", Method: http.MethodGet, Path: "/staff/calendar/overrides", Tags: staffTag, Security: secSession,
		Summary: "Calendar overrides and year confirmations", Description: "Pending ones included. Needs calendar.manage or calendar.approve.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*overridesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			os, err := s.app.CalendarOverrides(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			cs, err := s.app.CalendarConfirmations(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &overridesOutput{}
			out.Body.Overrides, out.Body.Confirmations = make([]OverrideBody, 0, len(os)), make([]ConfirmationBody, 0, len(cs))
			for _, o := range os {
				out.Body.Overrides = append(out.Body.Overrides, OverrideBody{ID: o.ID, Date: o.Day, Working: o.Working, Reason: o.Reason, ProposedBy: o.ProposedBy, ApprovedBy: o.ApprovedBy})
			}
			for _, c := range cs {
				out.Body.Confirmations = append(out.Body.Confirmations, ConfirmationBody{ID: c.ID, Year: c.Year, Notice: c.Notice, ProposedBy: c.ProposedBy, ApprovedBy: c.ApprovedBy})
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "propose-calendar-override", Method: http.MethodPost, Path: "/staff/calendar/overrides", Tags: staffTag, Security: secSession,
		Summary: "Propose a calendar override", Description: "Needs calendar.manage; effective once another admin approves it.", Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *overrideProposeInput) (*overrideOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			o, err := s.app.CalendarOverridePropose(ctx, p.Principal, app.OverrideInput{Date: in.Body.Date, Working: in.Body.Working, Reason: in.Body.Reason})
			if err != nil {
				return nil, err
			}
			return &overrideOutput{Body: OverrideBody{ID: o.ID, Date: o.Day, Working: o.Working, Reason: o.Reason, ProposedBy: o.ProposedBy}}, nil
		})
	register(s, huma.Operation{OperationID: "approve-calendar-override", Method: http.MethodPost, Path: "/staff/calendar/overrides/{id}/approve", Tags: staffTag, Security: secSession,
		Summary: "Approve a calendar override", Description: "Needs calendar.approve; never the proposer.", Errors: []int{401, 403, 404, 409}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.CalendarOverrideApprove(ctx, p.Principal, in.ID)
		})
	register(s, huma.Operation{OperationID: "withdraw-calendar-override", Method: http.MethodDelete, Path: "/staff/calendar/overrides/{id}", Tags: staffTag, Security: secSession,
		Summary: "Withdraw a calendar override", Description: "Needs calendar.manage.", Errors: []int{401, 403, 404}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.CalendarOverrideWithdraw(ctx, p.Principal, in.ID)
		})
	register(s, huma.Operation{OperationID: "propose-calendar-confirmation", Method: http.MethodPost, Path: "/staff/calendar/confirmations", Tags: staffTag, Security: secSession,
		Summary: "Propose confirming a year's data against its notice", Description: "Needs calendar.manage.", Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *confirmProposeInput) (*confirmationOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			c, err := s.app.CalendarConfirmPropose(ctx, p.Principal, in.Body.Year, in.Body.Notice)
			if err != nil {
				return nil, err
			}
			return &confirmationOutput{Body: ConfirmationBody{ID: c.ID, Year: c.Year, Notice: c.Notice, ProposedBy: c.ProposedBy}}, nil
		})
	register(s, huma.Operation{OperationID: "approve-calendar-confirmation", Method: http.MethodPost, Path: "/staff/calendar/confirmations/{id}/approve", Tags: staffTag, Security: secSession,
		Summary: "Approve a year confirmation", Description: "Needs calendar.approve; never the proposer.", Errors: []int{401, 403, 404, 409}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.CalendarConfirmApprove(ctx, p.Principal, in.ID)
		})
}

// diffTitle is the clause's title after the change (before, if removed).
func diffTitle(c agreement.ClauseDiff) string {
	if c.New != nil {
		return c.New.Title
	}
	if c.Old != nil {
		return c.Old.Title
	}
	return ""
}
