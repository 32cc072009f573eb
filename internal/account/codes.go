package account

import (
	"errors"

	"yuanxu/internal/errs"
)

// Stable error codes of this package. Each is the key of a message in the
// web layer's bilingual catalog; none of them ever changes meaning.
const (
	CodeKindInvalid     = "account.kind_invalid"
	CodeStateTransition = "account.state_transition"
	CodeRegistration    = "account.registration_invalid"
	CodeSubUserInvalid  = "account.sub_user_invalid"
	CodeScopeInvalid    = "account.scope_invalid"
	CodeRoleInvalid     = "account.role_invalid"

	CodePasswordTooShort   = "password.too_short"
	CodePasswordTooLong    = "password.too_long"
	CodePasswordCommon     = "password.common"
	CodePasswordTooSimple  = "password.too_simple"
	CodePasswordIdentifier = "password.matches_identifier"
	CodePasswordEncoding   = "password.invalid_encoding"

	CodeTOTPInvalid       = "totp.invalid"
	CodeTOTPReused        = "totp.reused"
	CodeRecoveryInvalid   = "recovery_code.invalid"
	CodeCodeExpired       = "code.expired"
	CodeCodeMismatch      = "code.mismatch"
	CodeCodeUsed          = "code.used"
	CodeCodeTooMany       = "code.too_many_attempts"
	CodeCodeMalformed     = "code.malformed"
	CodeCodeResendTooSoon = "code.resend_too_soon"

	CodeSessionInvalid    = "session.invalid"
	CodeSessionEnded      = "session.ended"
	CodeSessionExpired    = "session.expired"
	CodeSessionIdle       = "session.idle_timeout"
	CodeSessionMFAPending = "session.mfa_pending"
	CodeReauthRequired    = "session.reauth_required"

	CodeAPIKeyInvalid = "api_key.invalid"
	CodeAPIKeyRevoked = "api_key.revoked"
	CodeAPIKeyExpired = "api_key.expired"
	CodeAPIKeyScope   = "api_key.scope_invalid"
	CodeAPIKeyName    = "api_key.name_invalid"

	CodeLoginInvalid   = "login.invalid_credentials"
	CodeLoginThrottled = "login.throttled"
	CodeLoginChallenge = "login.challenge_required"
)

// ErrInvalidCredentials is the one answer to a failed login, whether the
// account is unknown, the password wrong, or the account disabled: nothing
// distinguishes them (no account enumeration).
var ErrInvalidCredentials = &errs.Error{Kind: errs.Unauthenticated, Code: CodeLoginInvalid, Msg: "wrong login or password"}

// fieldErrors collects every problem of a form so that one *errs.Error can
// report them all.
type fieldErrors []errs.FieldError

func (f *fieldErrors) add(field, rule string, params map[string]any) {
	*f = append(*f, errs.FieldError{Field: field, Rule: rule, Params: params})
}

// addFrom appends the fields of err when it is an *errs.Error, or a bare
// "invalid" rule on field otherwise.
func (f *fieldErrors) addFrom(field string, err error) {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		*f = append(*f, e.Fields...)
		return
	}
	f.add(field, "invalid", nil)
}

// err returns nil when nothing was collected, else an Invalid *errs.Error
// with code and every field.
func (f fieldErrors) err(code, msg string) error {
	if len(f) == 0 {
		return nil
	}
	return &errs.Error{Kind: errs.Invalid, Code: code, Msg: msg, Fields: f}
}
