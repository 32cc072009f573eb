package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// Rate rules of the sign-in surface, per client address. The app limits
// codes per target as well; these bound one address's attempts.
var (
	loginRule = app.RateRule{Name: "web.login", Limit: 30, Window: 10 * time.Minute}
	codesRule = app.RateRule{Name: "web.codes", Limit: 20, Window: 10 * time.Minute}
	resetRule = app.RateRule{Name: "web.reset", Limit: 10, Window: 10 * time.Minute}
)

// DeviceCookie remembers a device that completed a sign-in (the login
// throttle trusts known devices).
const DeviceCookie = "yuanxu_device"

// Security requirements of operations.
var (
	secSession = []map[string][]string{{"cookieAuth": {}}}
	secAny     = []map[string][]string{{"cookieAuth": {}}, {"bearerAuth": {}}}
	secNone    = []map[string][]string{{}}
)

// errUnauthenticated is the answer of an operation that needs a principal.
var errUnauthenticated = &errs.Error{Kind: errs.Unauthenticated, Code: "unauthenticated", Msg: "log in first"}

// principal returns the request's principal or the 401 error.
func principal(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Principal{}, errUnauthenticated
	}
	return p, nil
}

// sessionPrincipal is principal for operations that need a browser session
// (not an API key): re-authentication, password and 2FA changes.
func sessionPrincipal(ctx context.Context) (Principal, error) {
	p, err := principal(ctx)
	if err == nil && p.SessionToken == "" {
		return p, &errs.Error{Kind: errs.Forbidden, Code: "auth.session_required", Msg: "this needs a signed-in session, not an API key"}
	}
	return p, err
}

// SessionCookieFor returns the Set-Cookie value of a session token; an
// empty token clears the cookie.
func SessionCookieFor(token string, secure bool) string {
	c := &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if token == "" {
		c.MaxAge = -1
	}
	return c.String()
}

func deviceCookie(token string, secure bool) string {
	c := &http.Cookie{Name: DeviceCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int((180 * 24 * time.Hour) / time.Second)}
	return c.String()
}

// CodeTicketBody is a sent verification code.
type CodeTicketBody struct {
	ID        string    `json:"id" doc:"Code id: send it back with the code." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	ExpiresAt time.Time `json:"expires_at" doc:"When the code expires." example:"2025-06-01T10:00:00+08:00"`
	Channel   string    `json:"channel" enum:"email,sms" doc:"Where it was sent." example:"email"`
	SentTo    string    `json:"sent_to" doc:"The masked address it was sent to." example:"138****8000"`
}

func ticketBody(t app.CodeTicket) CodeTicketBody {
	return CodeTicketBody{ID: t.ID, ExpiresAt: t.ExpiresAt, Channel: t.Channel, SentTo: t.SentToMasked}
}

type sendCodeInput struct {
	Body struct {
		Purpose string `json:"purpose" enum:"register_email,register_phone,change_email,change_phone,login_challenge,login_2fa_sms" doc:"What the code proves." example:"register_email"`
		Target  string `json:"target" maxLength:"254" doc:"Email address or mainland mobile number to send it to." example:"li.lei@example.com"`
		Lang    string `json:"lang,omitempty" enum:"zh-CN,en" doc:"Language of the message (default: the request's)." example:"zh-CN"`
	}
}

type ticketOutput struct{ Body CodeTicketBody }

type registerInput struct {
	Body struct {
		Kind            string `json:"kind" enum:"individual,enterprise,reseller" doc:"Account kind; reseller: a company applying to resell, which sells only once staff authorise it." example:"individual"`
		DisplayName     string `json:"display_name" maxLength:"64" example:"李雷"`
		Email           string `json:"email" maxLength:"254" example:"li.lei@example.com"`
		Phone           string `json:"phone" maxLength:"20" example:"13800138000"`
		Password        string `json:"password" maxLength:"256" example:"correct horse battery staple"`
		EnterpriseName  string `json:"enterprise_name,omitempty" maxLength:"128" doc:"Enterprise and reseller kinds only." example:"元序示例科技有限公司"`
		USCC            string `json:"uscc,omitempty" maxLength:"18" doc:"Unified social credit code, enterprise and reseller kinds only." example:"91350100M000100Y43"`
		Lang            string `json:"lang,omitempty" enum:"zh-CN,en" example:"zh-CN"`
		EmailCodeID     string `json:"email_code_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		EmailCode       string `json:"email_code" example:"123456"`
		PhoneCodeID     string `json:"phone_code_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		PhoneCode       string `json:"phone_code" example:"654321"`
		AcceptAgreement bool   `json:"accept_agreement" doc:"The customer accepted the service agreement, key clauses included." example:"false"`
		// The agreement (api_agreement.go): every key clause of GET /agreement, ticked one by one.
		AcknowledgedClauses []string `json:"acknowledged_clauses,omitempty" required:"false" maxItems:"64" doc:"Every key clause of the agreement in force (GET /agreement key_clauses)." example:"[\"3.2.1\"]"`
		AgreementSHA256     string   `json:"agreement_sha256,omitempty" required:"false" maxLength:"64" doc:"The sha256 of the agreement shown." example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	}
}

type accountOutput struct{ Body AccountBody }

type loginInput struct {
	Device string `cookie:"yuanxu_device" doc:"Remembered device (set by a previous sign-in)."`
	Body   struct {
		Login           string `json:"login" maxLength:"254" doc:"Email or mainland mobile number." example:"li.lei@example.com"`
		Password        string `json:"password" maxLength:"256" example:"correct horse battery staple"`
		ChallengeCodeID string `json:"challenge_code_id,omitempty" doc:"When a previous answer asked for a challenge code." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		ChallengeCode   string `json:"challenge_code,omitempty" example:"123456"`
		Staff           bool   `json:"staff,omitempty" doc:"Console sign-in: only staff may use it." example:"false"`
	}
}

// LoginBody is the answer of a sign-in. NeedsTOTP: the session cookie is
// set but only POST /auth/second-factor works with it until the code is
// given. NeedsChallenge: no session; send the password again with the code
// sent to the account's address.
type LoginBody struct {
	NeedsTOTP      bool            `json:"needs_totp" example:"false"`
	NeedsChallenge bool            `json:"needs_challenge" example:"false"`
	Challenge      *CodeTicketBody `json:"challenge,omitempty"`
	Account        *AccountBody    `json:"account,omitempty"`
}

type loginOutput struct {
	SetCookie []string `header:"Set-Cookie"`
	Body      LoginBody
}

type secondFactorInput struct {
	Session string `cookie:"yuanxu_session"`
	Body    struct {
		Code string `json:"code" maxLength:"32" doc:"TOTP code or a recovery code." example:"123456"`
	}
}

type cookieOutput struct {
	SetCookie []string `header:"Set-Cookie"`
}

type reauthInput struct {
	Body struct {
		Password string `json:"password" maxLength:"256" example:"correct horse battery staple"`
		TOTP     string `json:"totp,omitempty" maxLength:"32" doc:"Required when two-factor is on." example:"123456"`
	}
}

type resetStartInput struct {
	Body struct {
		Login string `json:"login" maxLength:"254" example:"li.lei@example.com"`
		Lang  string `json:"lang,omitempty" enum:"zh-CN,en" example:"zh-CN"`
	}
}

type resetConfirmInput struct {
	Body struct {
		Login       string `json:"login" maxLength:"254" example:"li.lei@example.com"`
		CodeID      string `json:"code_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		Code        string `json:"code" example:"123456"`
		NewPassword string `json:"new_password" maxLength:"256" example:"a new long passphrase"`
		TOTP        string `json:"totp,omitempty" maxLength:"32" doc:"Required when two-factor is on (or a recovery code)." example:"123456"`
	}
}

func rateLimited(s *server, rule app.RateRule) huma.Middlewares {
	return huma.Middlewares{humaMiddleware(RateLimited(s.app, rule, ByClientIP))}
}

// registerAuth adds the sign-in, registration and reset operations.
func registerAuth(s *server) {
	tag := []string{"auth"}
	register(s, huma.Operation{OperationID: "send-code", Method: http.MethodPost, Path: "/auth/codes", Tags: tag, Security: secNone,
		Summary: "Send a verification code", Description: "Sends a 6-digit code by email or SMS. Rate limited per address and per target.",
		Errors: []int{422, 429}, Middlewares: rateLimited(s, codesRule), DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *sendCodeInput) (*ticketOutput, error) {
			t, err := s.app.SendCode(ctx, account.Purpose(in.Body.Purpose), in.Body.Target, langOr(ctx, in.Body.Lang))
			if err != nil {
				return nil, err
			}
			return &ticketOutput{Body: ticketBody(t)}, nil
		})
	register(s, huma.Operation{OperationID: "register", Method: http.MethodPost, Path: "/accounts", Tags: tag, Security: secNone,
		Summary: "Register a customer account", Description: "Both the email and the SMS code are required, and the agreement must be accepted.",
		Errors: []int{409, 422, 429}, Middlewares: rateLimited(s, codesRule), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *registerInput) (*accountOutput, error) {
			b := in.Body
			v, err := s.app.Register(ctx, app.RegisterInput{Kind: b.Kind, DisplayName: b.DisplayName, Email: b.Email, Phone: b.Phone,
				Password: b.Password, EnterpriseName: b.EnterpriseName, USCC: b.USCC, Lang: langOr(ctx, b.Lang),
				EmailCodeID: b.EmailCodeID, EmailCode: b.EmailCode, PhoneCodeID: b.PhoneCodeID, PhoneCode: b.PhoneCode,
				AcceptAgreement: b.AcceptAgreement, AcknowledgedClauses: b.AcknowledgedClauses, AgreementSHA256: b.AgreementSHA256, UserAgent: userAgent(ctx)})
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	register(s, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/auth/login", Tags: tag, Security: secNone,
		Summary: "Sign in", Description: "Sets the session cookie. With two-factor on, the session is pending until POST /auth/second-factor.",
		Errors: []int{401, 422, 429}, Middlewares: rateLimited(s, loginRule)},
		func(ctx context.Context, in *loginInput) (*loginOutput, error) {
			b := in.Body
			res, err := s.app.Login(ctx, app.LoginInput{Login: b.Login, Password: b.Password, DeviceToken: in.Device,
				ChallengeCodeID: b.ChallengeCodeID, ChallengeCode: b.ChallengeCode, Staff: b.Staff, UserAgent: userAgent(ctx)})
			if err != nil {
				return nil, err
			}
			out := &loginOutput{Body: LoginBody{NeedsTOTP: res.NeedsTOTP, NeedsChallenge: res.NeedsChallenge}}
			if res.NeedsChallenge {
				t := ticketBody(res.Challenge)
				out.Body.Challenge = &t
				return out, nil
			}
			a := accountBody(res.Account)
			out.Body.Account = &a
			if res.SessionToken != "" {
				out.SetCookie = append(out.SetCookie, SessionCookieFor(res.SessionToken, s.tls))
			}
			if res.DeviceToken != "" {
				out.SetCookie = append(out.SetCookie, deviceCookie(res.DeviceToken, s.tls))
			}
			if c := langCookie(res.Account.Lang, s.tls); c != "" {
				out.SetCookie = append(out.SetCookie, c)
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "login-second-factor", Method: http.MethodPost, Path: "/auth/second-factor", Tags: tag, Security: secSession,
		Summary: "Complete sign-in with a second factor", Description: "A TOTP code (each time step once) or a recovery code. The session token rotates: the answer sets the new cookie.",
		Errors: []int{401, 422, 429}, Middlewares: rateLimited(s, loginRule), DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *secondFactorInput) (*cookieOutput, error) {
			if in.Session == "" {
				return nil, errUnauthenticated
			}
			tok, err := s.app.LoginSecondFactor(ctx, in.Session, in.Body.Code)
			if err != nil {
				return nil, err
			}
			// The token rotates when the session completes its second factor.
			return &cookieOutput{SetCookie: []string{SessionCookieFor(tok, s.tls)}}, nil
		})
	register(s, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout", Tags: tag, Security: secSession,
		Summary: "Sign out", Description: "Ends this session and clears its cookie. Signing out without a session succeeds.",
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *struct {
			Session string `cookie:"yuanxu_session"`
		}) (*cookieOutput, error) {
			if in.Session != "" {
				if err := s.app.Logout(ctx, in.Session); err != nil && !rejected(err) {
					return nil, err
				}
			}
			return &cookieOutput{SetCookie: []string{SessionCookieFor("", s.tls)}}, nil
		})
	register(s, huma.Operation{OperationID: "logout-all", Method: http.MethodPost, Path: "/auth/logout-all", Tags: tag, Security: secSession,
		Summary: "Sign out everywhere", Description: "Ends every session of the account, this one included.",
		Errors: []int{401}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, _ *struct{}) (*cookieOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.app.LogoutEverywhere(ctx, p.Principal); err != nil {
				return nil, err
			}
			return &cookieOutput{SetCookie: []string{SessionCookieFor("", s.tls)}}, nil
		})
	register(s, huma.Operation{OperationID: "reauth", Method: http.MethodPost, Path: "/auth/reauth", Tags: tag, Security: secSession,
		Summary: "Re-authenticate", Description: "Opens a 5-minute window for sensitive changes (password, two-factor, email, phone).",
		Errors: []int{401, 403, 422, 429}, Middlewares: rateLimited(s, loginRule), DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *reauthInput) (*struct{}, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.Reauthenticate(ctx, p.SessionToken, in.Body.Password, in.Body.TOTP)
		})
	register(s, huma.Operation{OperationID: "password-reset-start", Method: http.MethodPost, Path: "/auth/password-reset", Tags: tag, Security: secNone,
		Summary: "Start a password reset", Description: "Sends a code to the account's email or phone. The answer is the same whether or not the account exists.",
		Errors: []int{422, 429}, Middlewares: rateLimited(s, resetRule), DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *resetStartInput) (*ticketOutput, error) {
			t, err := s.app.StartPasswordReset(ctx, in.Body.Login, langOr(ctx, in.Body.Lang))
			if err != nil {
				return nil, err
			}
			return &ticketOutput{Body: ticketBody(t)}, nil
		})
	register(s, huma.Operation{OperationID: "password-reset-confirm", Method: http.MethodPost, Path: "/auth/password-reset/confirm", Tags: tag, Security: secNone,
		Summary: "Set a new password with a reset code", Description: "Needs the TOTP (or a recovery code) when two-factor is on. Ends every session.",
		Errors: []int{401, 422, 429}, Middlewares: rateLimited(s, resetRule), DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *resetConfirmInput) (*struct{}, error) {
			b := in.Body
			return nil, s.app.ResetPassword(ctx, app.ResetInput{Login: b.Login, CodeID: b.CodeID, Code: b.Code, NewPassword: b.NewPassword, TOTP: b.TOTP})
		})
}

// langOr returns l, or the request's language when l is empty.
func langOr(ctx context.Context, l string) string {
	if l != "" {
		return l
	}
	return string(Lang(ctx))
}

// userAgent is the request's User-Agent, bounded, for the session list.
func userAgent(ctx context.Context) string {
	ua := infoFrom(ctx).userAgent
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return ua
}
