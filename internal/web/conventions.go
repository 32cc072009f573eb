// Package web is yuanxu's HTTP frame: the JSON API under /api/v1 (huma on
// the standard ServeMux, OpenAPI 3.1 at /api/v1/openapi.json), payment
// gateway callbacks under /callbacks/, /healthz, /readyz, /metrics, and the
// server-rendered portal and console. NewServer composes all of it behind
// one protection chain; handlers call app, never the store.
//
// # API conventions
//
// These hold for every operation under /api/v1.
//
// Strictness. Bodies and query strings are strict: a field or query
// parameter the operation does not define is 400 request.unknown_field,
// never silently ignored.
//
// Errors. Every error is application/problem+json (RFC 9457):
//
//	{"type": "https://yuanxu.dev/problems/<code>", "title": "…", "status": 422,
//	 "code": "<stable code>", "detail": "<localized message>",
//	 "errors": [{"field": "body.advance", "rule": "duration", "message": "…", "params": {}}],
//	 "request_id": "…"}
//
// code is stable across releases and is what clients branch on; detail and
// message are for people. A request that cannot be read as the operation's
// input is 400: request.malformed_json, request.unknown_field,
// request.invalid_type, request.invalid_format, request.invalid_cursor. A
// request that reads fine but breaks a rule is 422 (request.required,
// request.invalid, and domain codes such as sandbox.set_not_later). Then
// 401 unauthenticated, 403 forbidden, 404 not_found, 409 conflict, 413
// request.too_large (JSON bodies are limited to 1 MiB by default), 429
// rate_limited with Retry-After, 503 unavailable (retry), 500 internal (a
// bug: quote request_id to support). A user's mistake is never a 500.
//
// Language. Messages are zh-CN by default, or English when the
// Accept-Language header prefers it (q-values honoured; the yuanxu_lang
// cookie, set by the portal's language switch, wins over the header).
// Codes, field names and rule names are never translated.
//
// Request ids. Every response carries X-Request-Id: the request's own if it
// sent a sane one (1–64 characters of A–Z a–z 0–9 . _ : -), else a fresh
// UUIDv7. Problems repeat it as request_id.
//
// Authentication. Browsers use the yuanxu_session cookie (securityScheme
// cookieAuth); programs send "Authorization: Bearer <api key>" (bearerAuth).
// A bearer request ignores any cookie. Cookie-authenticated unsafe requests
// must be same-origin (Sec-Fetch-Site / Origin checks); bearer requests and
// /callbacks/ are exempt.
//
// Pagination. Lists take ?limit= (1–100, default 20) and ?cursor= and answer
//
//	{"items": [...], "next_cursor": "eyJrIjoiMDE5N2E1ZDIifQ"}
//
// next_cursor is absent on the last page. Cursors are opaque base64url
// strings issued by the server: clients pass them back unchanged and never
// build or parse them; a cursor from another list, or a tampered one, is
// 400 request.invalid_cursor. Cursors are not secrets and are not signed:
// every page re-applies the caller's authorisation. Pages are keyset-based,
// so items created while paging are neither skipped nor repeated.
//
// Filtering. ?filter[<field>]=<value>, for the fields each operation
// documents (e.g. ?filter[status]=paid); several filters combine with AND;
// an undocumented field is 400 request.unknown_field (field
// "query.filter[<field>]").
//
// Sorting. ?sort=<field> ascending, ?sort=-<field> descending, several
// comma-separated (?sort=-created_at,id); only documented fields; the id
// is always the final tie-breaker. Default: -created_at.
//
// Idempotency. Operations that create something or move money accept an
// Idempotency-Key header (1–255 printable ASCII characters, e.g. a UUID;
// today: checkout, POST /api/v1/orders). The first response for a key is
// stored for 24 hours per account, in the same transaction as what it
// created; a retry with the same key and the same body gets that response
// again with Idempotent-Replayed: true; the same key with a different body
// is 422 idempotency.body_mismatch; a duplicate while the first request is
// still running is 409 idempotency.in_flight. A request that failed leaves
// no record, so the corrected request may reuse its key (ADR 5). Retrying
// without a key may act twice. Paying an order needs no key: a second
// payment of a paid order is refused by its state.
//
// Time. Instants are RFC 3339 strings with an offset; the server answers in
// Asia/Shanghai (+08:00). Durations are Go syntax ("90m", "25h") with days
// allowed as a leading "Nd" ("2d", "1d12h"). Money is an integer number of
// fen with a currency.
package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"

	"yuanxu/internal/errs"
)

// Page is the body of every list response.
type Page[T any] struct {
	Items      []T    `json:"items" doc:"This page's items, in the requested order; empty, never null, when there are none."`
	NextCursor string `json:"next_cursor,omitempty" example:"eyJrIjoiMDE5N2E1ZDIifQ" doc:"Pass as ?cursor= for the next page; absent on the last page."`
}

// ListParams are the pagination query parameters; embed them in an
// operation's input struct.
type ListParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" example:"20" doc:"Page size."`
	Cursor string `query:"cursor" maxLength:"1024" example:"eyJrIjoiMDE5N2E1ZDIifQ" doc:"next_cursor of the previous page; omit for the first page."`
}

// maxCursorLen bounds a cursor so that decoding it costs little.
const maxCursorLen = 1024

// EncodeCursor makes an opaque cursor of v (a small struct of the last
// item's sort keys): base64url, unpadded, of its JSON.
func EncodeCursor(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeCursor reads a cursor made by EncodeCursor into v, a pointer to the
// same struct type. Any cursor that is not exactly that — too long, not
// base64url, not a JSON object, with unknown or extra fields — fails with
// a 400 request.invalid_cursor naming query.cursor. v is only written on
// success.
func DecodeCursor(s string, v any) error {
	if len(s) == 0 || len(s) > maxCursorLen {
		return errInvalidCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return errInvalidCursor
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("web.DecodeCursor: v must be a non-nil pointer")
	}
	tmp := reflect.New(rv.Elem().Type())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(tmp.Interface()); err != nil {
		return errInvalidCursor
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errInvalidCursor
	}
	rv.Elem().Set(tmp.Elem())
	return nil
}

var errInvalidCursor = &errs.Error{Kind: errs.Invalid, Code: CodeInvalidCursor, Msg: "invalid cursor",
	Fields: []errs.FieldError{{Field: "query.cursor", Rule: "cursor"}}}
