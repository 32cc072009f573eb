package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// Authorities (issue 16 item 6; clause 4.2; Cybersecurity Law arts. 21,
// 28): the disclosure register and authority holds
// (compliance.disclosure.manage), who held an address at an instant
// (compliance.case.read, with a purpose), the case-file export, and
// compliance's re-verification flags (kyc.review). Every step is audited.

type disclosureInput struct{ Body app.DisclosureInput }

type disclosureOutput struct{ Body app.DisclosureView }

type disclosuresOutput struct {
	Body struct {
		Items []app.DisclosureView `json:"items"`
	}
}

type authorityIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The entry id."`
}

type holdInput struct{ Body app.HoldInput }

type holdOutput struct{ Body app.HoldView }

type holdsInput struct {
	AccountID string `query:"account_id" maxLength:"64" doc:"Only this account's holds."`
	InForce   bool   `query:"in_force" doc:"Only holds in force."`
}

type holdsOutput struct {
	Body struct {
		Items []app.HoldView `json:"items"`
	}
}

type holdLiftInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The hold id."`
	Body struct {
		Reason string `json:"reason" maxLength:"500" example:"released by the bureau's notice 京公（海）解冻字〔2026〕9号"`
	}
}

type lookupInput struct{ Body app.LookupInput }

type lookupOutput struct{ Body app.LookupView }

type reverifyInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The account id."`
	Body app.ReverifyInput
}

type reverifyOutput struct{ Body app.ReverifyView }

type flagAccountInput struct {
	ID string `path:"id" maxLength:"64" doc:"The customer's account id."`
}

type exportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	ManifestSHA256     string `header:"X-Manifest-SHA256"`
	Body               []byte
}

func disclosureOut(v app.DisclosureView) app.DisclosureView {
	v.DisclosedAt, v.CreatedAt = inCST(v.DisclosedAt), inCST(v.CreatedAt)
	return v
}

func holdOut(v app.HoldView) app.HoldView {
	v.PlacedAt, v.LiftedAt = inCST(v.PlacedAt), inCST(v.LiftedAt)
	return v
}

// registerAuthority adds the authority operations.
func registerAuthority(s *server) {
	tag := []string{"compliance", "staff"}
	const perm = "compliance.disclosure.manage"
	register(s, huma.Operation{OperationID: "staff-list-disclosures", Method: http.MethodGet, Path: "/staff/compliance/disclosures", Tags: tag,
		Security: secAny, Summary: "The disclosure register", Description: "What was handed to which authority, on which legal document, " +
			"when and by whom; newest first; the authority officer masked. Needs compliance.disclosure.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*disclosuresOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Disclosures(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &disclosuresOutput{}
			out.Body.Items = make([]app.DisclosureView, 0, len(vs))
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, disclosureOut(v))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "staff-record-disclosure", Method: http.MethodPost, Path: "/staff/compliance/disclosures", Tags: tag,
		Security: secAny, Summary: "Record a disclosure to an authority",
		Description: "The legal document (type, number, its scan stored by SHA-256), the officer (sealed; shown masked), the accounts, services " +
			"and categories disclosed, the case if one. Every problem at once (compliance.authority_invalid, 422). Audited. Needs " +
			"compliance.disclosure.manage.",
		Errors: []int{401, 403, 413, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *disclosureInput) (*disclosureOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			v, err := s.app.RecordDisclosure(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &disclosureOutput{Body: disclosureOut(v)}, nil
		})
	register(s, huma.Operation{OperationID: "staff-get-disclosure", Method: http.MethodGet, Path: "/staff/compliance/disclosures/{id}", Tags: tag,
		Security: secAny, Summary: "A register entry", Description: "Needs compliance.disclosure.manage.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *authorityIDInput) (*disclosureOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			v, err := s.app.Disclosure(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &disclosureOutput{Body: disclosureOut(v)}, nil
		})
	for _, kind := range []string{"disclosure", "hold"} {
		register(s, huma.Operation{OperationID: "staff-get-" + kind + "-document", Method: http.MethodGet,
			Path: "/staff/compliance/" + kind + "s/{id}/document", Tags: tag, Security: secAny, Summary: "Download the legal document of a " + kind,
			Description: "Checked against its SHA-256; each download is audited. Needs compliance.disclosure.manage.", Errors: []int{401, 403, 404}},
			func(ctx context.Context, in *authorityIDInput) (*attachmentOutput, error) {
				p, err := staffCaller(ctx, perm)
				if err != nil {
					return nil, err
				}
				name, ct, b, err := s.app.LegalDocContent(ctx, p.Principal, kind, in.ID)
				if err != nil {
					return nil, err
				}
				return &attachmentOutput{ContentType: ct, Options: "nosniff", Body: b, ContentDisposition: "attachment; filename*=UTF-8''" + urlPathEscape(name)}, nil
			})
	}
	register(s, huma.Operation{OperationID: "staff-list-holds", Method: http.MethodGet, Path: "/staff/compliance/holds", Tags: tag, Security: secAny,
		Summary: "Authority holds", Description: "Newest first. Needs compliance.disclosure.manage.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *holdsInput) (*holdsOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Holds(ctx, p.Principal, in.AccountID, in.InForce)
			if err != nil {
				return nil, err
			}
			out := &holdsOutput{}
			out.Body.Items = make([]app.HoldView, 0, len(vs))
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, holdOut(v))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "staff-place-hold", Method: http.MethodPost, Path: "/staff/compliance/holds", Tags: tag, Security: secAny,
		Summary: "Place an authority hold on an account",
		Description: "With the legal document. Until lifted the account cannot be closed (account.closure_held) and its balance is not paid " +
			"out (compliance.authority_hold, 409); a gateway payout not yet sent (a refund to its original route, a withdrawal being paid) " +
			"is held, not failed: the refund stays paying with payout_held authority_hold (clause 4.2), audited payment.payout_held. " +
			"Audited. Needs compliance.disclosure.manage.",
		Errors: []int{401, 403, 413, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *holdInput) (*holdOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			v, err := s.app.PlaceHold(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &holdOutput{Body: holdOut(v)}, nil
		})
	register(s, huma.Operation{OperationID: "staff-lift-hold", Method: http.MethodPost, Path: "/staff/compliance/holds/{id}/lift", Tags: tag,
		Security: secAny, Summary: "Lift an authority hold", Description: "With the reason (the authority's release). When no other hold on the account " +
			"remains, the payouts it held go out with the next sweep, each once. Audited. Needs compliance.disclosure.manage.", Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *holdLiftInput) (*holdOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			v, err := s.app.LiftHold(ctx, p.Principal, in.ID, in.Body.Reason)
			if err != nil {
				return nil, err
			}
			return &holdOutput{Body: holdOut(v)}, nil
		})
	register(s, huma.Operation{OperationID: "staff-address-lookup", Method: http.MethodPost, Path: "/staff/compliance/address-lookups", Tags: tag,
		Security: secAny, Summary: "Who held an address at an instant",
		Description: "From the address history (IPv4, IPv6 and WireGuard peer addresses): the service and the account, its contact masked. " +
			"A purpose is required and every lookup is audited with it (compliance.lookup_invalid, 422). Needs compliance.case.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *lookupInput) (*lookupOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.read")
			if err != nil {
				return nil, err
			}
			v, err := s.app.LookupAddress(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			v.At, v.From, v.Until = inCST(v.At), inCST(v.From), inCST(v.Until)
			return &lookupOutput{Body: v}, nil
		})
	register(s, huma.Operation{OperationID: "staff-export-case", Method: http.MethodGet, Path: "/staff/compliance/cases/{id}/export", Tags: tag,
		Security: secAny, Summary: "Export a case file",
		Description: "A zip archive: case.json, evidence/*, measures.json, audit.json and manifest.json with the SHA-256 of each part (the " +
			"manifest's own hash in X-Manifest-SHA256). Audited. Needs compliance.disclosure.manage.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *caseIDInput) (*exportOutput, error) {
			p, err := staffCaller(ctx, perm)
			if err != nil {
				return nil, err
			}
			x, err := s.app.ExportCase(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &exportOutput{ContentType: "application/zip", ContentDisposition: "attachment; filename=" + x.Filename,
				ManifestSHA256: x.ManifestSHA256, Body: x.Archive}, nil
		})
	register(s, huma.Operation{OperationID: "staff-flag-reverify", Method: http.MethodPost, Path: "/staff/compliance/accounts/{id}/reverify", Tags: tag,
		Security: secAny, Summary: "Require an account to verify again",
		Description: "Anti-Telecom-Fraud Law art. 22, clause 4.2: checkout refuses (compliance.reverify_required, 409) until a reviewer " +
			"approves a new real-name submission, which clears the flag. Audited. Needs kyc.review.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *reverifyInput) (*reverifyOutput, error) {
			p, err := staffCaller(ctx, "kyc.review")
			if err != nil {
				return nil, err
			}
			v, err := s.app.FlagReverify(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			v.FlaggedAt = inCST(v.FlaggedAt)
			return &reverifyOutput{Body: v}, nil
		})
	register(s, huma.Operation{OperationID: "staff-get-reverify", Method: http.MethodGet, Path: "/staff/compliance/accounts/{id}/reverify", Tags: tag,
		Security: secAny, Summary: "An account's open re-verification flag", Description: "404 when none is open. Needs kyc.review.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *flagAccountInput) (*reverifyOutput, error) {
			p, err := staffCaller(ctx, "kyc.review")
			if err != nil {
				return nil, err
			}
			v, ok, err := s.app.ReverifyFlag(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, &errs.Error{Kind: errs.NotFound, Code: "reverify_flag.not_found", Msg: "no open re-verification flag"}
			}
			v.FlaggedAt = inCST(v.FlaggedAt)
			return &reverifyOutput{Body: v}, nil
		})
}
