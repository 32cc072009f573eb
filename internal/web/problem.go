package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"strconv"

	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
)

// ProblemTypeBase prefixes every problem's type URI: the type of code
// "request.unknown_field" is ProblemTypeBase + "request.unknown_field".
const ProblemTypeBase = "https://yuanxu.dev/problems/"

// ProblemContentType is the media type of every error response.
const ProblemContentType = "application/problem+json"

// Codes that the web layer itself emits. The app emits its own ("not_found",
// "sandbox.advance_not_positive", …); every code has an "error.<code>" entry
// in the i18n catalog.
const (
	CodeMalformedJSON    = "request.malformed_json"         // 400: the body is not JSON
	CodeUnknownField     = "request.unknown_field"          // 400: a field the operation does not define
	CodeInvalidType      = "request.invalid_type"           // 400: a value of the wrong JSON type
	CodeInvalidFormat    = "request.invalid_format"         // 400: a string that does not parse (duration, date-time, …)
	CodeInvalidCursor    = "request.invalid_cursor"         // 400: a pagination cursor this server did not issue
	CodeRequired         = "request.required"               // 422: a required field is missing
	CodeExactlyOneOf     = "request.exactly_one_of"         // 422: give exactly one of several fields
	CodeInvalid          = "request.invalid"                // 422: any other rule (length, range, enum, pattern)
	CodeTooLarge         = "request.too_large"              // 413: the body is over the limit
	CodeTimeout          = "request.timeout"                // 408: the body did not arrive in time
	CodeUnsupportedMedia = "request.unsupported_media_type" // 415
	CodeNotAcceptable    = "request.not_acceptable"         // 406
	CodeCrossOrigin      = "request.cross_origin"           // 403: a cross-origin unsafe request with cookies
	CodeRouteNotFound    = "route.not_found"                // 404: no such API route
	CodeMethodNotAllowed = "route.method_not_allowed"       // 405: the route exists for other methods
	CodeInvalidToken     = "auth.invalid_token"             // 401: a bearer token that is unknown or revoked
	CodeNotReady         = "server.not_ready"               // 503: /readyz while the database is down
)

// kindStatus is THE table from errs.Kind to HTTP status. errs.Invalid is
// 422 (the request parsed but breaks a rule) unless its code is in
// syntaxCodes (the request could not be read as the operation's input:
// malformed JSON, unknown field, wrong type, unparsable string), which are
// 400.
var kindStatus = map[errs.Kind]int{
	errs.Internal:        http.StatusInternalServerError,
	errs.Invalid:         http.StatusUnprocessableEntity,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.Forbidden:       http.StatusForbidden,
	errs.RateLimited:     http.StatusTooManyRequests,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Unavailable:     http.StatusServiceUnavailable,
}

// syntaxCodes are the errs.Invalid codes answered with 400 instead of 422.
var syntaxCodes = map[string]bool{
	CodeMalformedJSON: true, CodeUnknownField: true, CodeInvalidType: true,
	CodeInvalidFormat: true, CodeInvalidCursor: true,
}

// StatusOf maps an error to its HTTP status through the one table. Errors
// that are not *errs.Error are 500.
func StatusOf(err error) int {
	e := effective(err)
	if e == nil {
		return http.StatusInternalServerError
	}
	return statusFor(e.Kind, codeOf(e))
}

func statusFor(k errs.Kind, code string) int {
	if k == errs.Invalid && syntaxCodes[code] {
		return http.StatusBadRequest
	}
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details body, the only shape of an error
// response. Code is stable across releases and keys the localized Detail;
// Errors lists offending fields (possibly none, never null).
type Problem struct {
	Type      string         `json:"type" format:"uri" example:"https://yuanxu.dev/problems/request.unknown_field" doc:"URI of the problem type: https://yuanxu.dev/problems/ followed by code."`
	Title     string         `json:"title" example:"Invalid request" doc:"Short summary of the problem class, localized."`
	Status    int            `json:"status" example:"400" doc:"HTTP status code."`
	Code      string         `json:"code" example:"request.unknown_field" doc:"Stable machine-readable code."`
	Detail    string         `json:"detail" example:"The request has a field this operation does not accept: body.colour." doc:"Localized explanation (zh-CN or English by Accept-Language)."`
	Errors    []FieldProblem `json:"errors" doc:"Offending fields; empty when the problem is not about a field."`
	RequestID string         `json:"request_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69" doc:"The X-Request-Id of this request, for support."`

	headers http.Header // Retry-After, Allow: sent, not serialized
}

// FieldProblem is one offending field. Field is a path such as
// "body.advance" or "query.cursor"; Rule is a stable lower_snake name.
type FieldProblem struct {
	Field   string         `json:"field" example:"body.advance" doc:"Where: body.<path>, query.<name>, path.<name> or header.<name>."`
	Rule    string         `json:"rule" example:"duration" doc:"Stable rule name: required, unknown_field, type, format, duration, max_length, …"`
	Message string         `json:"message" example:"Not a valid duration: use Go syntax such as 90m or 25h, or days such as 2d." doc:"Localized message."`
	Params  map[string]any `json:"params,omitempty" doc:"The rule's parameters (limits, expected type)."`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter: problems are problem+json.
func (p *Problem) ContentType(string) string { return ProblemContentType }

// GetHeaders implements huma.HeadersError (Retry-After, Allow).
func (p *Problem) GetHeaders() http.Header {
	if p.headers == nil {
		p.headers = http.Header{}
	}
	return p.headers
}

// newProblem builds a localized problem. params fill the detail's
// placeholders; fields are localized by rule.
func newProblem(ctx context.Context, status int, code string, params map[string]any, fields []errs.FieldError) *Problem {
	info := infoFrom(ctx)
	lang := info.lang
	p := &Problem{
		Type: ProblemTypeBase + code, Status: status, Code: code,
		Title: i18n.T(lang, titleKey(status), nil), RequestID: info.id, Errors: []FieldProblem{},
	}
	// The detail may use the error's params, the first field's params,
	// the first field's name and the request id.
	all := map[string]any{}
	if len(fields) > 0 {
		maps.Copy(all, fields[0].Params)
		all["field"] = fields[0].Field
	}
	maps.Copy(all, params)
	all["request_id"] = info.id
	key := "error." + code
	if !i18n.Has(key) {
		key = titleKey(status) // a code without a catalog entry: the generic text
	}
	p.Detail = i18n.T(lang, key, all)
	for _, f := range fields {
		fp := map[string]any{"field": f.Field}
		maps.Copy(fp, f.Params)
		rk := "rule." + f.Rule
		if _, ok := fp[f.Rule]; !ok && i18n.Has(rk+".bare") {
			rk += ".bare" // e.g. rule.format without the expected format to name
		}
		if !i18n.Has(rk) {
			rk = "rule.invalid"
		}
		p.Errors = append(p.Errors, FieldProblem{Field: f.Field, Rule: f.Rule, Message: i18n.T(lang, rk, fp), Params: f.Params})
	}
	return p
}

// titleKey is the catalog key of a status's title.
func titleKey(status int) string {
	switch status {
	case 400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 422, 429, 503:
		return "error.title." + strconv.Itoa(status)
	}
	return "error.title.500"
}

// effective returns the *errs.Error that describes err: the first in the
// chain, or the one it wraps when the first is a code-less internal wrapper
// (errs.E(errs.Op("x"), err)).
func effective(err error) *errs.Error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return nil
	}
	for e.Kind == errs.Internal && e.Code == "" && e.Err != nil {
		var inner *errs.Error
		if !errors.As(e.Err, &inner) {
			break
		}
		e = inner
	}
	return e
}

func codeOf(e *errs.Error) string {
	if e.Code != "" {
		return e.Code
	}
	return e.Kind.String()
}

// problemFromError turns any error into a problem: *errs.Error through the
// kind table, a *Problem as is, anything else as an internal error whose
// cause goes to the log only.
func problemFromError(ctx context.Context, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return newProblem(ctx, http.StatusRequestEntityTooLarge, CodeTooLarge, map[string]any{"limit": tooBig.Limit}, nil)
	}
	e := effective(err)
	if e == nil || e.Kind == errs.Internal {
		return internalProblem(ctx, err)
	}
	code := codeOf(e)
	status := statusFor(e.Kind, code)
	p = newProblem(ctx, status, code, e.Params, e.Fields)
	if e.Kind == errs.RateLimited {
		if s := retryAfter(e.Params); s != "" {
			p.GetHeaders().Set("Retry-After", s)
		}
	}
	if e.Kind == errs.Unavailable {
		logFrom(ctx).LogAttrs(ctx, slog.LevelWarn, "unavailable", slog.String("request_id", infoFrom(ctx).id), slog.String("err", err.Error()))
	}
	return p
}

// internalProblem logs the cause and answers a generic 500.
func internalProblem(ctx context.Context, cause error) *Problem {
	msg := "unknown"
	if cause != nil {
		msg = cause.Error()
	}
	level := slog.LevelError
	if errors.Is(cause, context.Canceled) && ctx.Err() != nil {
		level = slog.LevelInfo // the client went away; nobody reads this answer
	}
	logFrom(ctx).LogAttrs(ctx, level, "internal error", slog.String("request_id", infoFrom(ctx).id), slog.String("err", msg))
	return newProblem(ctx, http.StatusInternalServerError, "internal", nil, nil)
}

func retryAfter(params map[string]any) string {
	switch v := params["retry_after_seconds"].(type) {
	case int64:
		return strconv.FormatInt(max(v, 1), 10)
	case int:
		return strconv.Itoa(max(v, 1))
	case float64:
		return strconv.FormatInt(max(int64(v), 1), 10)
	}
	return ""
}

// writeProblem writes p as problem+json, with its headers.
func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	for k, vs := range p.headers {
		h[k] = vs
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteError writes err as a problem+json response localized for r. For
// handlers outside huma (callbacks, pages) that want the API's error shape.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, problemFromError(r.Context(), err))
}
