package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"yuanxu/internal/errs"
)

// Huma reports request errors through two package-level hooks; yuanxu
// replaces both (once, at package init) so that every error huma writes —
// body parse and validation failures, body limits, handler errors — is a
// localized *Problem. The hooks are process-wide: any huma API in this
// process answers yuanxu problems.
func init() {
	huma.NewError = func(status int, msg string, es ...error) huma.StatusError {
		return humaProblem(context.Background(), status, msg, es)
	}
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, es ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		return humaProblem(ctx, status, msg, es)
	}
}

// humaProblem classifies huma's error details into one stable code and
// field rules. Huma's details carry only English messages; they are matched
// against huma's own message formats (package validation), so a huma
// upgrade that rewords them degrades to rule "invalid", never to a 500.
func humaProblem(ctx context.Context, status int, msg string, es []error) *Problem {
	for _, e := range es {
		var p *Problem
		if errors.As(e, &p) {
			return p
		}
		var tooBig *http.MaxBytesError
		if errors.As(e, &tooBig) {
			return problemFromError(ctx, e)
		}
	}
	switch status {
	case http.StatusRequestEntityTooLarge:
		return newProblem(ctx, status, CodeTooLarge, nil, nil)
	case http.StatusRequestTimeout:
		return newProblem(ctx, status, CodeTimeout, nil, nil)
	case http.StatusUnsupportedMediaType:
		return newProblem(ctx, status, CodeUnsupportedMedia, nil, nil)
	case http.StatusNotAcceptable:
		return newProblem(ctx, status, CodeNotAcceptable, nil, nil)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		// classified below
	default:
		if status >= 500 || status < 400 {
			var cause error = errors.New(msg)
			if len(es) > 0 {
				cause = errors.Join(append([]error{cause}, es...)...)
			}
			return internalProblem(ctx, cause)
		}
		return newProblem(ctx, status, kindCodeForStatus(status), nil, nil)
	}
	if len(es) == 0 && strings.Contains(msg, "body is required") {
		return newProblem(ctx, http.StatusUnprocessableEntity, CodeRequired, nil,
			[]errs.FieldError{{Field: "body", Rule: "required"}})
	}
	best := ""
	var fields []errs.FieldError
	var params map[string]any
	for _, e := range es {
		if e == nil {
			continue
		}
		if ue := effective(e); ue != nil && ue.Kind != errs.Invalid {
			return problemFromError(ctx, e) // a resolver's NotFound, Forbidden, …
		} else if ue != nil {
			c := codeOf(ue)
			fields = append(fields, ue.Fields...)
			if params == nil {
				params = ue.Params
			}
			best = moreSpecific(best, c)
			continue
		}
		var d *huma.ErrorDetail
		if !errors.As(e, &d) {
			d = &huma.ErrorDetail{Message: e.Error()}
		}
		c, f := classifyDetail(status, d)
		fields = append(fields, f)
		best = moreSpecific(best, c)
	}
	if best == "" {
		best = CodeInvalid
		if status == http.StatusBadRequest {
			best = CodeMalformedJSON
		}
	}
	return newProblem(ctx, statusFor(errs.Invalid, best), best, params, fields)
}

// codeRank orders codes by how fundamental the mistake is: the problem's
// code is the most fundamental among its fields.
var codeRank = map[string]int{
	CodeMalformedJSON: 7, CodeUnknownField: 6, CodeInvalidType: 5, CodeInvalidFormat: 4,
	CodeInvalidCursor: 4, CodeRequired: 3, CodeExactlyOneOf: 2, CodeInvalid: 1,
}

func moreSpecific(a, b string) string {
	if codeRank[b] > codeRank[a] || a == "" {
		return b
	}
	return a
}

func kindCodeForStatus(status int) string {
	for k, s := range kindStatus {
		if s == status {
			return k.String()
		}
	}
	return "invalid"
}

// detailMatcher recognises one of huma's message formats.
type detailMatcher struct {
	re     *regexp.Regexp
	code   string
	rule   string
	params []string // names of the captured arguments; "+field" appends to the field
	fixed  map[string]any
}

var detailMatchers = sync.OnceValue(func() []detailMatcher {
	var ms []detailMatcher
	add := func(format, code, rule string, fixed map[string]any, params ...string) {
		q := regexp.QuoteMeta(format)
		for _, verb := range []string{"%s", "%v", "%d"} {
			q = strings.ReplaceAll(q, verb, "(.*?)")
		}
		ms = append(ms, detailMatcher{re: regexp.MustCompile("^" + q + "$"), code: code, rule: rule, params: params, fixed: fixed})
	}
	typ := func(t string) map[string]any { return map[string]any{"expected": t} }
	format := func(f string) map[string]any { return map[string]any{"format": f} }
	add(validation.MsgUnexpectedProperty, CodeUnknownField, "unknown_field", nil)
	add("unknown query parameter", CodeUnknownField, "unknown_field", nil)
	add(validation.MsgExpectedRequiredProperty, CodeRequired, "required", nil, "+field")
	add(validation.MsgExpectedDependentRequiredProperty, CodeRequired, "required", nil, "+field", "with")
	add("required %s parameter is missing", CodeRequired, "required", nil, "")
	add(validation.MsgExpectedBoolean, CodeInvalidType, "type", typ("boolean"))
	add(validation.MsgExpectedNumber, CodeInvalidType, "type", typ("number"))
	add(validation.MsgExpectedInteger, CodeInvalidType, "type", typ("integer"))
	add(validation.MsgExpectedString, CodeInvalidType, "type", typ("string"))
	add(validation.MsgExpectedArray, CodeInvalidType, "type", typ("array"))
	add(validation.MsgExpectedObject, CodeInvalidType, "type", typ("object"))
	add("expected at most one value, but received multiple values", CodeInvalidType, "single_value", nil)
	for f, m := range map[string]string{
		"date-time": validation.MsgExpectedRFC3339DateTime, "date-time-http": validation.MsgExpectedRFC1123DateTime,
		"date": validation.MsgExpectedRFC3339Date, "time": validation.MsgExpectedRFC3339Time,
		"email": validation.MsgExpectedRFC5322Email, "hostname": validation.MsgExpectedRFC5890Hostname,
		"ipv4": validation.MsgExpectedRFC2673IPv4, "ipv6": validation.MsgExpectedRFC2373IPv6,
		"ip": validation.MsgExpectedRFCIPAddr, "uri": validation.MsgExpectedRFC3986URI,
		"uuid": validation.MsgExpectedRFC4122UUID, "uri-template": validation.MsgExpectedRFC6570URITemplate,
		"json-pointer": validation.MsgExpectedRFC6901JSONPointer, "relative-json-pointer": validation.MsgExpectedRFC6901RelativeJSONPointer,
		"regex": validation.MsgExpectedRegexp, "base64": validation.MsgExpectedBase64String,
	} {
		add(m, CodeInvalidFormat, "format", format(f), "")
	}
	add(validation.MsgExpectedDuration, CodeInvalidFormat, "duration", nil, "")
	add(validation.MsgExpectedMinLength, CodeInvalid, "min_length", nil, "min")
	add(validation.MsgExpectedMaxLength, CodeInvalid, "max_length", nil, "max")
	add(validation.MsgExpectedMinimumNumber, CodeInvalid, "minimum", nil, "min")
	add(validation.MsgExpectedExclusiveMinimumNumber, CodeInvalid, "exclusive_minimum", nil, "min")
	add(validation.MsgExpectedMaximumNumber, CodeInvalid, "maximum", nil, "max")
	add(validation.MsgExpectedExclusiveMaximumNumber, CodeInvalid, "exclusive_maximum", nil, "max")
	add(validation.MsgExpectedNumberBeMultipleOf, CodeInvalid, "multiple_of", nil, "multiple")
	add(validation.MsgExpectedMinItems, CodeInvalid, "min_items", nil, "min")
	add(validation.MsgExpectedMaxItems, CodeInvalid, "max_items", nil, "max")
	add(validation.MsgExpectedMinProperties, CodeInvalid, "min_properties", nil, "min")
	add(validation.MsgExpectedMaxProperties, CodeInvalid, "max_properties", nil, "max")
	add(validation.MsgExpectedOneOf, CodeInvalid, "enum", nil, "values")
	add(validation.MsgExpectedArrayItemsUnique, CodeInvalid, "unique_items", nil)
	add(validation.MsgExpectedMatchPattern, CodeInvalid, "pattern", nil, "pattern")
	add(validation.MsgExpectedMatchAtLeastOneSchema, CodeInvalid, "schema", nil)
	add(validation.MsgExpectedMatchExactlyOneSchema, CodeInvalid, "schema", nil)
	add(validation.MsgExpectedNotMatchSchema, CodeInvalid, "schema", nil)
	// Last: "expected string to be %s" would swallow the format messages.
	add(validation.MsgExpectedBePattern, CodeInvalid, "pattern", nil, "pattern")
	return ms
})

// classifyDetail maps one huma detail to a code and a field rule. Values
// are never echoed back (they may hold secrets).
func classifyDetail(status int, d *huma.ErrorDetail) (string, errs.FieldError) {
	field := d.Location
	if field == "" {
		field = "body"
	}
	for _, m := range detailMatchers() {
		sub := m.re.FindStringSubmatch(d.Message)
		if sub == nil {
			continue
		}
		fe := errs.FieldError{Field: field, Rule: m.rule}
		if len(m.fixed) > 0 {
			fe.Params = map[string]any{}
			for k, v := range m.fixed {
				fe.Params[k] = v
			}
		}
		for i, name := range m.params {
			if i+1 >= len(sub) || name == "" {
				continue
			}
			if name == "+field" {
				fe.Field = field + "." + sub[i+1]
				continue
			}
			if fe.Params == nil {
				fe.Params = map[string]any{}
			}
			fe.Params[name] = sub[i+1]
		}
		return m.code, fe
	}
	inBody := field == "body" || strings.HasPrefix(field, "body.") || strings.HasPrefix(field, "body[")
	if status == http.StatusBadRequest && inBody {
		// The body did not parse: the message is the JSON decoder's.
		return CodeMalformedJSON, errs.FieldError{Field: "body", Rule: "json"}
	}
	if !inBody && (strings.HasPrefix(d.Message, "invalid ") || d.Message == "unparsable value") {
		// A path, query, header or cookie parameter did not parse.
		return CodeInvalidType, errs.FieldError{Field: field, Rule: "parse"}
	}
	return CodeInvalid, errs.FieldError{Field: field, Rule: "invalid"}
}
