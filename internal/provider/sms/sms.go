// Package sms is the one interface yuanxu sends SMS through, with two real
// providers beneath it: aliyun (our own ACS3-HMAC-SHA256 signer, SendSms
// 2017-05-25) and tencent (TC3-HMAC-SHA256 through tencentcloud-sdk-go's
// common client). sandbox is an embedded server that speaks both
// protocols, checks signatures the way the providers do, and keeps what it
// received in an outbox.
package sms

import (
	"context"
	"fmt"
)

// Message is one SMS to one phone number.
type Message struct {
	// Phone is the recipient: 11 mainland digits or E.164 ("+44…").
	Phone string
	// SignName and TemplateCode are registered with the provider and come
	// from configuration.
	SignName     string
	TemplateCode string
	// Params are the template parameters in template order (Tencent takes
	// the values by position, Aliyun the pairs as a JSON object).
	Params []Param
	// IdempotencyKey is the same on every attempt of one delivery (Aliyun
	// OutId, Tencent SessionContext), so a resend after a crash is
	// recognisable as one.
	IdempotencyKey string
}

// Param is a template parameter.
type Param struct{ Name, Value string }

// Result is what the provider answered on acceptance.
type Result struct {
	// ProviderMessageID identifies the message at the provider (Aliyun
	// BizId, Tencent SerialNo).
	ProviderMessageID string
	RequestID         string
}

// Sender sends SMS. Implementations are safe for concurrent use.
type Sender interface {
	// Send sends m. A provider refusal is an *Error; transport failures
	// are returned as they are (and are worth retrying).
	Send(ctx context.Context, m Message) (Result, error)
	// Provider names the provider ("aliyun", "tencent").
	Provider() string
}

// Error is a provider's refusal, with its own error code.
type Error struct {
	Provider  string
	Code      string // the provider's code: "isv.MOBILE_NUMBER_ILLEGAL", "LimitExceeded.PhoneNumberDailyLimit"
	Message   string
	RequestID string
	// Retry is true when sending again later can help (rate limits,
	// provider outages, an empty balance); false for permanent refusals
	// (a bad number, a bad template, bad credentials).
	Retry bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s sms: %s: %s", e.Provider, e.Code, e.Message)
}

// Temporary reports whether retrying can help.
func (e *Error) Temporary() bool { return e.Retry }
