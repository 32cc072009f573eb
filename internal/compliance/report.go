package compliance

import (
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Signal sources (issue 16 item 2): each opens or joins a violation case,
// never a measure by itself.
const (
	SourceAbuseReport     = "abuse_report"     // the public form and the operators' API
	SourceStaffFinding    = "staff_finding"    // an inspection by staff
	SourceTrafficDetector = "traffic_detector" // an outbound surge over metering
)

// Report limits.
const (
	MaxDetail      = 4000
	MaxReportAge   = 90 * 24 * time.Hour // older activity is not actionable from a report
	maxTargetLen   = 253
	CodeReport     = "compliance.report_invalid"
	CodeNoSuchCase = "violation_case.not_found"
)

// Report is an abuse report or a staff finding as submitted.
type Report struct {
	Rule       string
	Target     string    // an IP address, a domain name, or a service id (staff)
	ObservedAt time.Time // when the activity happened; zero: now
	Detail     string
	Contact    string // the reporter's email, optional for operators
}

// NormalizeTarget reads an IP address (v4 or v6, zone dropped) or a
// domain name (lower-case, no trailing dot, LDH labels) and returns its
// canonical form and kind ("ip" or "domain"). Anything else is an error
// naming field.
func NormalizeTarget(s, field string) (string, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", errs.Invalidf(CodeReport, field, "required", nil)
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap().String(), "ip", nil
	}
	d := strings.TrimSuffix(strings.ToLower(s), ".")
	if a, err := netip.ParseAddr(d); err == nil {
		// "198.51.100.7." is the address, not a domain (found by fuzzing:
		// reports of one address must join one case).
		return a.WithZone("").Unmap().String(), "ip", nil
	}
	if len(d) == 0 || len(d) > maxTargetLen || !strings.Contains(d, ".") {
		return "", "", errs.Invalidf(CodeReport, field, "ip_or_domain", nil)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", "", errs.Invalidf(CodeReport, field, "ip_or_domain", nil)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", "", errs.Invalidf(CodeReport, field, "ip_or_domain", nil)
			}
		}
	}
	return d, "domain", nil
}

// ValidateReport checks a public abuse report at now and returns it with
// its target normalised and ObservedAt set; every problem is reported at
// once under body.* fields.
func ValidateReport(r Report, now time.Time) (Report, error) {
	var fe []errs.FieldError
	if !Rule(r.Rule).Valid() {
		fe = append(fe, errs.FieldError{Field: "body.rule", Rule: "enum", Params: map[string]any{"allowed": ruleStrings()}})
	}
	t, _, err := NormalizeTarget(r.Target, "body.target")
	if err != nil {
		fe = append(fe, fieldsOf(err)...)
	}
	r.Target = t
	if r.ObservedAt.IsZero() {
		r.ObservedAt = now
	}
	switch {
	case r.ObservedAt.After(now.Add(5 * time.Minute)):
		fe = append(fe, errs.FieldError{Field: "body.observed_at", Rule: "not_future"})
	case r.ObservedAt.Before(now.Add(-MaxReportAge)):
		fe = append(fe, errs.FieldError{Field: "body.observed_at", Rule: "max_age", Params: map[string]any{"days": int(MaxReportAge / (24 * time.Hour))}})
	}
	r.Detail = strings.TrimSpace(r.Detail)
	switch {
	case r.Detail == "":
		fe = append(fe, errs.FieldError{Field: "body.detail", Rule: "required"})
	case !utf8.ValidString(r.Detail) || utf8.RuneCountInString(r.Detail) > MaxDetail:
		fe = append(fe, errs.FieldError{Field: "body.detail", Rule: "max_length", Params: map[string]any{"max": MaxDetail}})
	}
	if len(fe) > 0 {
		return r, &errs.Error{Op: "compliance.ValidateReport", Kind: errs.Invalid, Code: CodeReport, Msg: "the report is incomplete", Fields: fe,
			Params: map[string]any{"clause": "4.2"}}
	}
	return r, nil
}

func ruleStrings() []string {
	out := make([]string, len(Rules))
	for i, r := range Rules {
		out[i] = string(r)
	}
	return out
}

func fieldsOf(err error) []errs.FieldError {
	if e, ok := err.(*errs.Error); ok {
		return e.Fields
	}
	return nil
}
