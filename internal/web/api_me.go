package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
)

// AccountBody is an account as the API shows it: personal information
// masked.
type AccountBody struct {
	ID              string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Kind            string    `json:"kind" enum:"individual,enterprise,sub_user,reseller,staff" example:"individual"`
	State           string    `json:"state" example:"registered"`
	DisplayName     string    `json:"display_name" example:"李雷"`
	Email           string    `json:"email" doc:"Masked." example:"li***@example.com"`
	Phone           string    `json:"phone" doc:"Masked." example:"138****8000"`
	Lang            string    `json:"lang" enum:"zh-CN,en" example:"zh-CN"`
	EmailVerified   bool      `json:"email_verified" example:"false"`
	PhoneVerified   bool      `json:"phone_verified" example:"false"`
	TOTPEnabled     bool      `json:"totp_enabled" example:"false"`
	MarketingOptOut bool      `json:"marketing_opt_out" example:"false"`
	Roles           []string  `json:"roles" doc:"Staff roles." example:"[\"support\"]"`
	Scopes          []string  `json:"scopes" doc:"Sub-user scopes." example:"[\"may_order\"]"`
	OwnerID         string    `json:"owner_id,omitempty" doc:"The enterprise of a sub-user." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Standing        []string  `json:"standing" doc:"Measures in force: restricted, suspended, banned." example:"[]"`
	CreatedAt       time.Time `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
}

func accountBody(v app.AccountView) AccountBody {
	b := AccountBody{ID: v.ID, Kind: string(v.Kind), State: string(v.State), DisplayName: v.DisplayName, Email: v.EmailMasked,
		Phone: v.PhoneMasked, Lang: v.Lang, EmailVerified: v.EmailVerified, PhoneVerified: v.PhoneVerified, TOTPEnabled: v.TOTPEnabled,
		MarketingOptOut: v.MarketingOptOut, OwnerID: v.OwnerID, CreatedAt: v.CreatedAt,
		Roles: []string{}, Scopes: []string{}, Standing: []string{}}
	for _, r := range v.Roles {
		b.Roles = append(b.Roles, string(r))
	}
	for _, sc := range v.Scopes {
		b.Scopes = append(b.Scopes, string(sc))
	}
	for _, m := range v.Standing.Measures() {
		b.Standing = append(b.Standing, string(m.Flag))
	}
	return b
}

func accountBodies(vs []app.AccountView) []AccountBody {
	out := make([]AccountBody, 0, len(vs))
	for _, v := range vs {
		out = append(out, accountBody(v))
	}
	return out
}

// langCookie is the Set-Cookie value that makes an account's language the
// request language of the pages and the problems; "" for no language.
func langCookie(lang string, secure bool) string {
	l, ok := i18n.Parse(lang)
	if !ok || lang == "" {
		return ""
	}
	c := &http.Cookie{Name: i18n.CookieName, Value: string(l), Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int((365 * 24 * time.Hour) / time.Second)}
	return c.String()
}

type profileInput struct {
	Body struct {
		DisplayName     *string `json:"display_name,omitempty" maxLength:"64" example:"李雷"`
		Lang            *string `json:"lang,omitempty" enum:"zh-CN,en" example:"en"`
		MarketingOptOut *bool   `json:"marketing_opt_out,omitempty" example:"false"`
	}
}

type accountCookieOutput struct {
	SetCookie []string `header:"Set-Cookie"`
	Body      AccountBody
}

type passwordInput struct {
	Body struct {
		NewPassword string `json:"new_password" maxLength:"256" example:"a new long passphrase"`
	}
}

// TOTPSetupBody is a TOTP secret being set up.
type TOTPSetupBody struct {
	Secret string `json:"secret" doc:"Base32 secret, for typing into an authenticator app." example:"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"`
	URL    string `json:"url" doc:"otpauth:// URL (the QR code's content)." example:"otpauth://totp/yuanxu:li***@example.com?secret=JBSWY3DPEHPK3PXP&issuer=yuanxu"`
}

type totpSetupOutput struct{ Body TOTPSetupBody }

type codeInput struct {
	Body struct {
		Code string `json:"code" maxLength:"32" example:"123456"`
	}
}

type recoveryOutput struct {
	Body struct {
		RecoveryCodes []string `json:"recovery_codes" doc:"Shown once: each works once instead of a TOTP code." example:"[\"k7d2-9fq4\"]"`
	}
}

type contactInput struct {
	Body struct {
		Address string `json:"address" maxLength:"254" doc:"The new email address or mobile number." example:"han.meimei@example.com"`
		CodeID  string `json:"code_id" doc:"From POST /auth/codes with purpose change_email or change_phone." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		Code    string `json:"code" example:"123456"`
	}
}

// SessionBody is one session of the account.
type SessionBody struct {
	ID          string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Current     bool      `json:"current" example:"false"`
	CreatedAt   time.Time `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	LastSeenAt  time.Time `json:"last_seen_at" example:"2025-06-01T10:00:00+08:00"`
	ExpiresAt   time.Time `json:"expires_at" example:"2025-06-01T10:00:00+08:00"`
	ClientIP    string    `json:"client_ip" example:"203.0.113.7"`
	UserAgent   string    `json:"user_agent" example:"Mozilla/5.0"`
	MFAComplete bool      `json:"mfa_complete" example:"false"`
}

type sessionsOutput struct {
	Body struct {
		Sessions []SessionBody `json:"sessions"`
	}
}

type idPath struct {
	ID string `path:"id" maxLength:"64" doc:"Object id."`
}

// registerMe adds the operations on the signed-in account.
func registerMe(s *server) {
	tag := []string{"me"}
	// Not with an API key: profile.manage is no key scope (403 authz.api_key_scope).
	register(s, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/me", Tags: tag, Security: secSession,
		Summary: "The signed-in account", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*accountOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.Me(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	register(s, huma.Operation{OperationID: "update-me", Method: http.MethodPatch, Path: "/me", Tags: tag, Security: secSession,
		Summary: "Update the profile", Description: "Display name, language (also the language of pages and errors from now on) and marketing opt-out.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *profileInput) (*accountCookieOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.UpdateProfile(ctx, p.Principal, app.ProfileUpdate{DisplayName: in.Body.DisplayName, Lang: in.Body.Lang, MarketingOptOut: in.Body.MarketingOptOut})
			if err != nil {
				return nil, err
			}
			out := &accountCookieOutput{Body: accountBody(v)}
			if in.Body.Lang != nil {
				if c := langCookie(v.Lang, s.tls); c != "" {
					out.SetCookie = []string{c}
				}
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "change-password", Method: http.MethodPut, Path: "/me/password", Tags: tag, Security: secSession,
		Summary: "Change the password", Description: "Needs a re-authentication within 5 minutes; ends every other session.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *passwordInput) (*struct{}, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.ChangePassword(ctx, p.Principal, p.SessionToken, in.Body.NewPassword)
		})
	register(s, huma.Operation{OperationID: "totp-begin", Method: http.MethodPost, Path: "/me/totp", Tags: tag, Security: secSession,
		Summary: "Begin two-factor setup", Description: "Needs a recent re-authentication. Returns the secret once; enable with a code from it.",
		Errors: []int{401, 403, 409}},
		func(ctx context.Context, _ *struct{}) (*totpSetupOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			k, err := s.app.TOTPBegin(ctx, p.Principal, p.SessionToken)
			if err != nil {
				return nil, err
			}
			return &totpSetupOutput{Body: TOTPSetupBody{Secret: k.Secret, URL: k.URL}}, nil
		})
	register(s, huma.Operation{OperationID: "totp-enable", Method: http.MethodPost, Path: "/me/totp/enable", Tags: tag, Security: secSession,
		Summary: "Enable two-factor", Description: "Proves the authenticator works; returns the recovery codes, once.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *codeInput) (*recoveryOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			codes, err := s.app.TOTPEnable(ctx, p.Principal, p.SessionToken, in.Body.Code)
			if err != nil {
				return nil, err
			}
			out := &recoveryOutput{}
			out.Body.RecoveryCodes = append([]string{}, codes...)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "totp-disable", Method: http.MethodPost, Path: "/me/totp/disable", Tags: tag, Security: secSession,
		Summary: "Disable two-factor", Errors: []int{401, 403, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *codeInput) (*struct{}, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.TOTPDisable(ctx, p.Principal, p.SessionToken, in.Body.Code)
		})
	for _, c := range []struct{ id, path, summary string }{{"change-email", "/me/email", "Change the email address"}, {"change-phone", "/me/phone", "Change the mobile number"}} {
		register(s, huma.Operation{OperationID: c.id, Method: http.MethodPost, Path: c.path, Tags: tag, Security: secSession,
			Summary: c.summary, Description: "Needs a recent re-authentication and a code sent to the new address.",
			Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusNoContent},
			func(ctx context.Context, in *contactInput) (*struct{}, error) {
				p, err := sessionPrincipal(ctx)
				if err != nil {
					return nil, err
				}
				if c.path == "/me/email" {
					return nil, s.app.ChangeEmail(ctx, p.Principal, p.SessionToken, in.Body.Address, in.Body.CodeID, in.Body.Code)
				}
				return nil, s.app.ChangePhone(ctx, p.Principal, p.SessionToken, in.Body.Address, in.Body.CodeID, in.Body.Code)
			})
	}
	register(s, huma.Operation{OperationID: "list-sessions", Method: http.MethodGet, Path: "/me/sessions", Tags: tag, Security: secSession,
		Summary: "List sessions", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ss, err := s.app.Sessions(ctx, p.Principal, p.SessionToken)
			if err != nil {
				return nil, err
			}
			out := &sessionsOutput{}
			out.Body.Sessions = []SessionBody{}
			for _, v := range ss {
				out.Body.Sessions = append(out.Body.Sessions, SessionBody{ID: v.ID, Current: v.Current, CreatedAt: v.CreatedAt, LastSeenAt: v.LastSeenAt,
					ExpiresAt: v.ExpiresAt, ClientIP: v.ClientIP, UserAgent: v.UserAgent, MFAComplete: v.MFAComplete})
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "end-session", Method: http.MethodDelete, Path: "/me/sessions/{id}", Tags: tag, Security: secSession,
		Summary: "End a session", Errors: []int{401, 403, 404}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.EndSession(ctx, p.Principal, in.ID)
		})
	register(s, huma.Operation{OperationID: "get-account", Method: http.MethodGet, Path: "/accounts/{id}", Tags: []string{"accounts"}, Security: secSession,
		Summary: "Read an account", Description: "A customer reads only its own account (others are not found); staff with account.read_any read any.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *idPath) (*accountOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.AccountGet(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	registerKeys(s)
	registerInbox(s)
}

// scopes converts wire scopes; the app validates them.
func scopes(ss []string) []account.Scope {
	out := make([]account.Scope, 0, len(ss))
	for _, s := range ss {
		out = append(out, account.Scope(s))
	}
	return out
}
