package kyc

import (
	"context"
	"errors"
	"time"

	"yuanxu/internal/errs"
)

// Subject says whose identity a submission proves.
type Subject string

const (
	SubjectIndividual Subject = "individual"
	SubjectEnterprise Subject = "enterprise"
)

// Submission is what a [Verifier] checks: one form, the business time it
// was submitted at, and the limits of the policy in force for the customer
// then (kyc.min_age_years; the licence size limit), so that every verifier
// validates it the same way.
type Submission struct {
	Subject         Subject
	Individual      IndividualInput // when Subject is SubjectIndividual
	Enterprise      EnterpriseInput // when Subject is SubjectEnterprise
	At              time.Time
	MinAge          int
	MaxLicenceBytes int
}

// Validate runs the form's own Validate. An unknown Subject is Invalid
// (code kyc.submission_invalid, field "body.subject", rule "enum").
func (s Submission) Validate() ([]Warning, error) {
	switch s.Subject {
	case SubjectIndividual:
		_, w, err := s.Individual.Validate(s.At, s.MinAge, s.MaxLicenceBytes)
		return w, err
	case SubjectEnterprise:
		_, w, err := s.Enterprise.Validate(s.At, s.MinAge, s.MaxLicenceBytes)
		return w, err
	}
	var fe fieldErrors
	fe.add("body.subject", "enum", map[string]any{"values": string(SubjectIndividual) + ", " + string(SubjectEnterprise)})
	return nil, fe.err("unknown verification subject")
}

// Decision is a verifier's answer.
type Decision string

const (
	DecisionApprove Decision = "approve" // → approved at once
	DecisionReject  Decision = "reject"  // → rejected, with a reason
	DecisionManual  Decision = "manual"  // stays pending for a reviewer; a reason says what to look at
)

// Verdict is a verifier's decision on one submission. Reason is required
// for a rejection (a code the catalog allows for rejections) and optional
// for manual review; an approval has none. Ref is the provider's reference
// for the check, kept for the audit trail; it never holds personal
// information.
type Verdict struct {
	Decision Decision
	Reason   ReasonCode
	Ref      string
}

// Check reports whether v is well formed, as [CheckReason] does for the
// state it leads to; an unknown decision is Invalid (code
// kyc.reason_invalid, field "decision"). The app checks every verdict
// before acting on it, whichever verifier gave it.
func (v Verdict) Check() error {
	switch v.Decision {
	case DecisionApprove:
		return CheckReason(StateApproved, v.Reason)
	case DecisionReject:
		return CheckReason(StateRejected, v.Reason)
	case DecisionManual:
		if v.Reason == "" {
			return nil
		}
		if _, ok := LookupReason(v.Reason); !ok {
			return reasonErr("enum", nil)
		}
		return nil
	}
	return &errs.Error{Kind: errs.Invalid, Code: CodeReasonInvalid, Msg: "unknown verdict decision",
		Fields: []errs.FieldError{{Field: "decision", Rule: "enum"}}}
}

// Target returns the state a pending submission moves to on this verdict:
// approved, rejected, or pending (no move) for manual review.
func (v Verdict) Target() State {
	switch v.Decision {
	case DecisionApprove:
		return StateApproved
	case DecisionReject:
		return StateRejected
	}
	return StatePending
}

// Verifier checks a submission against an identity service (a third-party
// real-name API: name + ID number against the public-security database,
// company data against the enterprise credit register). Implementations
// live outside the domain (provider/…) and must be safe for concurrent use.
//
// Verify returns a Verdict for every submission it could check, including
// the ones it refuses; an error means the check did not happen (the
// service is down: errs.Unavailable; the context ended), and the app
// leaves the submission pending and retries through a job. It is called
// outside any store transaction (DESIGN §6: no network inside InTx).
type Verifier interface {
	Verify(ctx context.Context, s Submission) (Verdict, error)
}

// SandboxVerifier is the verifier of sandbox mode: it runs the same
// parsers and validation as production and then decides at once, without
// any outside service. Well-formed data is approved; data with a warning
// (a USCC whose inner organisation-code check fails) goes to manual
// review with [ReasonOrgCodeCheck]; malformed data is rejected with
// [ReasonUnderage] or [ReasonDataInvalid]. Its Ref is "sandbox".
type SandboxVerifier struct{}

var _ Verifier = SandboxVerifier{}

// Verify implements [Verifier]. It fails only when ctx has ended or the
// submission cannot be validated at all (an Internal error such as an
// unset licence limit).
func (SandboxVerifier) Verify(ctx context.Context, s Submission) (Verdict, error) {
	if err := ctx.Err(); err != nil {
		return Verdict{}, err
	}
	warns, err := s.Validate()
	if err != nil {
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.Invalid {
			return Verdict{}, err
		}
		reason := ReasonDataInvalid
		for _, f := range e.Fields {
			if f.Rule == ruleOf(CodeIDUnderage) {
				reason = ReasonUnderage
			}
		}
		return Verdict{Decision: DecisionReject, Reason: reason, Ref: "sandbox"}, nil
	}
	if len(warns) > 0 {
		return Verdict{Decision: DecisionManual, Reason: ReasonOrgCodeCheck, Ref: "sandbox"}, nil
	}
	return Verdict{Decision: DecisionApprove, Ref: "sandbox"}, nil
}
