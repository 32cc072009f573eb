package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/errs"
)

type clockBody struct {
	Now time.Time `json:"now" example:"2026-07-02T01:00:00+08:00" doc:"The sandbox clock's instant (RFC 3339, +08:00)."`
}

type clockOutput struct {
	Body clockBody
}

type clockMoveBody struct {
	Advance *string    `json:"advance,omitempty" maxLength:"64" example:"25h" doc:"Move forward by this duration: Go syntax (90m, 25h) with an optional leading days part (2d, 1d12h). Positive, at most 43920h."`
	Set     *time.Time `json:"set,omitempty" example:"2026-07-01T00:00:00+08:00" doc:"Move to this instant (RFC 3339), later than now and at most 5 years ahead."`
}

type clockMoveInput struct {
	Body clockMoveBody
}

// registerSandbox adds the sandbox clock routes; NewServer calls it only in
// sandbox mode, so elsewhere they are 404 and undocumented.
func registerSandbox(s *server) {
	register(s, huma.Operation{
		OperationID: "get-sandbox-clock",
		Method:      http.MethodGet,
		Path:        "/sandbox/clock",
		Summary:     "Read the sandbox test clock",
		Description: "Business time of this sandbox: wall time plus every advance made so far.",
		Tags:        []string{"sandbox"},
	}, func(ctx context.Context, _ *struct{}) (*clockOutput, error) {
		now, err := s.app.SandboxNow(ctx)
		if err != nil {
			return nil, err
		}
		return &clockOutput{Body: clockBody{Now: now.In(shanghai)}}, nil
	})
	register(s, huma.Operation{
		OperationID: "move-sandbox-clock",
		Method:      http.MethodPost,
		Path:        "/sandbox/clock",
		Summary:     "Move the sandbox test clock forward",
		Description: "Give exactly one of advance or set. The clock never moves back. Every sweep that became due " +
			"(deadlines, expiries, reminders) has run when the response arrives. Limited to 120 requests a minute per client address.",
		Tags:        []string{"sandbox"},
		Errors:      []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
		Middlewares: huma.Middlewares{humaMiddleware(RateLimited(s.app, sandboxClockRule, ByClientIP))},
	}, func(ctx context.Context, in *clockMoveInput) (*clockOutput, error) {
		b := in.Body
		var (
			now time.Time
			err error
		)
		switch {
		case b.Advance != nil && b.Set != nil:
			return nil, oneOfError(CodeExactlyOneOf, "exactly_one_of")
		case b.Advance == nil && b.Set == nil:
			return nil, oneOfError(CodeRequired, "one_of_required")
		case b.Advance != nil:
			d, perr := ParseDuration(*b.Advance)
			if perr != nil {
				return nil, &errs.Error{Kind: errs.Invalid, Code: CodeInvalidFormat, Msg: perr.Error(),
					Fields: []errs.FieldError{{Field: "body.advance", Rule: "duration"}}}
			}
			now, err = s.app.SandboxAdvance(ctx, d)
		default:
			now, err = s.app.SandboxSet(ctx, *b.Set)
		}
		if err != nil {
			return nil, err
		}
		return &clockOutput{Body: clockBody{Now: now.In(shanghai)}}, nil
	})
}

// oneOfError reports that advance and set were both given, or neither.
func oneOfError(code, rule string) error {
	p := map[string]any{"fields": "advance, set"}
	return &errs.Error{Kind: errs.Invalid, Code: code, Msg: "give exactly one of advance and set", Params: p,
		Fields: []errs.FieldError{{Field: "body.advance", Rule: rule, Params: p}, {Field: "body.set", Rule: rule, Params: p}}}
}

// errBadDuration is ParseDuration's only error.
var errBadDuration = errors.New("invalid duration")

// ParseDuration parses Go duration syntax ("90m", "25h", "1h30m", "-2h")
// with an optional leading whole-days part ("2d", "1d12h", "-1d"); a day is
// 24 hours. The sign, if any, comes first and applies to the whole. It
// fails on anything else, including overflow.
func ParseDuration(s string) (time.Duration, error) {
	rest := s
	neg := false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var days time.Duration
	hasDays := false
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseUint(rest[:i], 10, 63)
		if err != nil || i == 0 || rest[0] == '+' || n > uint64(math.MaxInt64/int64(24*time.Hour)) {
			return 0, errBadDuration
		}
		days, rest, hasDays = time.Duration(n)*24*time.Hour, rest[i+1:], true
	}
	var d time.Duration
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, errBadDuration
		}
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, errBadDuration
		}
	} else if !hasDays {
		return 0, errBadDuration
	}
	if d > math.MaxInt64-days {
		return 0, errBadDuration
	}
	d += days
	if neg {
		d = -d
	}
	return d, nil
}
