// Package tencent sends SMS through Tencent Cloud's SendSms API (version
// 2021-01-11), signed TC3-HMAC-SHA256 by tencentcloud-sdk-go's common
// client (v1.3.211), so the production signing code is Tencent's own.
// Sign is an independent TC3 implementation used by the sandbox verifier
// and checked against Tencent's published worked example.
package tencent

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"yuanxu/internal/provider/sms"
)

// API constants of SendSms.
const (
	DefaultEndpoint = "sms.tencentcloudapi.com"
	Service         = "sms"
	Version         = "2021-01-11"
	Action          = "SendSms"
	DefaultRegion   = "ap-guangzhou"
	Algorithm       = "TC3-HMAC-SHA256"
)

// Config configures a Client.
type Config struct {
	SecretID, SecretKey string
	AppID               string // SmsSdkAppId
	Region              string // default ap-guangzhou
	Endpoint            string // host[:port]; default sms.tencentcloudapi.com
	// Insecure sends plain HTTP: only for the sandbox server on loopback.
	Insecure bool
	Timeout  time.Duration // default 30s
	// Transport replaces the SDK's HTTP transport (tests).
	Transport http.RoundTripper
}

// Client sends SMS through SendSms. It is safe for concurrent use.
type Client struct {
	cfg Config
	c   *common.Client
}

// New builds a client. The SDK's region breaker (which would fail over to
// another endpoint) is off: requests go to Endpoint only.
func New(cfg Config) (*Client, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" || cfg.AppID == "" {
		return nil, errors.New("tencent sms: secret id, secret key and app id are required")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	p := profile.NewClientProfile()
	p.DisableRegionBreaker = true
	p.HttpProfile.Endpoint = cfg.Endpoint
	p.HttpProfile.ReqMethod = http.MethodPost
	p.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	if cfg.Insecure {
		p.HttpProfile.Scheme = "HTTP"
	}
	c := common.NewCommonClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, p)
	if cfg.Transport != nil {
		c.WithHttpTransport(cfg.Transport)
	}
	return &Client{cfg: cfg, c: c}, nil
}

// Provider names the provider.
func (c *Client) Provider() string { return "tencent" }

// Send sends m with SendSms. A refusal (of the request, or of the number in
// SendStatusSet) is an *sms.Error; transport failures are *sms.Error with
// Retry set, because the SDK wraps them in its own error type.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Result, error) {
	values := make([]string, len(m.Params))
	for i, p := range m.Params {
		values[i] = p.Value
	}
	req := tchttp.NewCommonRequest(Service, Version, Action)
	req.SetContext(ctx)
	params := map[string]interface{}{
		"PhoneNumberSet":   []string{E164(m.Phone)},
		"SmsSdkAppId":      c.cfg.AppID,
		"SignName":         m.SignName,
		"TemplateId":       m.TemplateCode,
		"TemplateParamSet": values,
	}
	if m.IdempotencyKey != "" {
		params["SessionContext"] = m.IdempotencyKey
	}
	if err := req.SetActionParameters(params); err != nil {
		return sms.Result{}, err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.c.Send(req, resp); err != nil {
		var te *tcerr.TencentCloudSDKError
		if errors.As(err, &te) {
			return sms.Result{}, &sms.Error{Provider: "tencent", Code: te.Code, Message: te.Message, RequestID: te.RequestId, Retry: Temporary(te.Code)}
		}
		return sms.Result{}, fmt.Errorf("tencent sms: %w", err)
	}
	return ParseSendStatus(resp.GetBody())
}

// E164 turns an 11-digit mainland number into "+86…"; other numbers are
// expected in E.164 already.
func E164(phone string) string {
	if strings.HasPrefix(phone, "+") {
		return phone
	}
	return "+86" + phone
}

// SendResponse is SendSms's answer.
type SendResponse struct {
	Response struct {
		SendStatusSet []SendStatus `json:"SendStatusSet"`
		RequestID     string       `json:"RequestId"`
		Error         *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error,omitempty"`
	} `json:"Response"`
}

// SendStatus is the outcome for one number.
type SendStatus struct {
	SerialNo       string `json:"SerialNo"`
	PhoneNumber    string `json:"PhoneNumber"`
	Fee            int    `json:"Fee"`
	SessionContext string `json:"SessionContext"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	IsoCode        string `json:"IsoCode"`
}

// ErrMalformed is returned (wrapped) for a body that is not SendSms's JSON.
var ErrMalformed = errors.New("tencent sms: malformed response")

// ParseSendStatus interprets a SendSms response body for one number: Code
// "Ok" is acceptance (SerialNo is the provider message id); another code,
// or a request-level Error, is an *sms.Error.
func ParseSendStatus(body []byte) (sms.Result, error) {
	var r SendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return sms.Result{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e := r.Response.Error; e != nil {
		return sms.Result{}, &sms.Error{Provider: "tencent", Code: e.Code, Message: e.Message, RequestID: r.Response.RequestID, Retry: Temporary(e.Code)}
	}
	if len(r.Response.SendStatusSet) != 1 {
		return sms.Result{}, fmt.Errorf("%w: %d send statuses for one number", ErrMalformed, len(r.Response.SendStatusSet))
	}
	st := r.Response.SendStatusSet[0]
	if st.Code != "Ok" {
		return sms.Result{}, &sms.Error{Provider: "tencent", Code: st.Code, Message: st.Message, RequestID: r.Response.RequestID, Retry: Temporary(st.Code)}
	}
	if st.SerialNo == "" {
		return sms.Result{}, fmt.Errorf("%w: no SerialNo", ErrMalformed)
	}
	return sms.Result{ProviderMessageID: st.SerialNo, RequestID: r.Response.RequestID}, nil
}

// Temporary reports whether a Tencent error code is worth retrying:
// internal errors, rate and frequency limits, an exhausted package, and
// the SDK's transport errors. Authentication, parameter and template
// problems are permanent.
func Temporary(code string) bool {
	for _, p := range []string{"InternalError", "RequestLimitExceeded", "LimitExceeded.", "ResourceUnavailable", "ClientError.NetworkError", "ClientError.HttpStatusCodeError", "ClientError.IOError", "ClientError.CircuitBreakerError"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return code == "FailedOperation.InsufficientBalanceInSmsPackage"
}

// SignInput is everything a TC3 signature covers.
type SignInput struct {
	Method      string
	Path        string // always "/" for API 3.0
	Query       string // canonical query string (GET only; "" for POST)
	Headers     map[string]string
	SignedNames []string // lower-case header names, sorted
	Payload     []byte
	Service     string
	Timestamp   int64
}

// Signed is the intermediate and final results of TC3 signing.
type Signed struct {
	CanonicalRequest string
	StringToSign     string
	CredentialScope  string
	Signature        string
}

// Sign computes a TC3-HMAC-SHA256 signature (Tencent Cloud "签名方法 v3"):
// canonical headers are "name:value\n" with lower-case, trimmed names and
// values; the credential scope is the UTC date of Timestamp, the service
// and "tc3_request"; the signing key is derived by HMAC chain from
// "TC3"+secretKey.
func Sign(secretKey string, in SignInput) Signed {
	lower := map[string]string{}
	for k, v := range in.Headers {
		lower[strings.ToLower(k)] = v
	}
	var ch strings.Builder
	for _, n := range in.SignedNames {
		ch.WriteString(n + ":" + strings.ToLower(strings.TrimSpace(lower[n])) + "\n")
	}
	var s Signed
	s.CanonicalRequest = strings.Join([]string{in.Method, in.Path, in.Query, ch.String(), strings.Join(in.SignedNames, ";"), hexSHA256(in.Payload)}, "\n")
	date := time.Unix(in.Timestamp, 0).UTC().Format("2006-01-02")
	s.CredentialScope = date + "/" + in.Service + "/tc3_request"
	s.StringToSign = fmt.Sprintf("%s\n%d\n%s\n%s", Algorithm, in.Timestamp, s.CredentialScope, hexSHA256([]byte(s.CanonicalRequest)))
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, in.Service)
	k = hmacSHA256(k, "tc3_request")
	s.Signature = hex.EncodeToString(hmacSHA256(k, s.StringToSign))
	return s
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
