// Package aliyun sends SMS through Aliyun's SendSms API (version
// 2017-05-25) with our own ACS3-HMAC-SHA256 signer: Aliyun's Go SDK is not
// served by the module proxy, and the signer is small.
//
// Signing (Aliyun "V3 请求体&签名机制"): CanonicalRequest = method, URI,
// canonical query (RFC 3986-encoded, sorted), canonical headers (host,
// content-type and every x-acs-* header: lower-case names, trimmed values,
// sorted, one "name:value\n" each), the signed header names, and the hex
// SHA-256 of the body; StringToSign = "ACS3-HMAC-SHA256\n" + hex
// SHA-256(CanonicalRequest); Signature = hex HMAC-SHA256(secret,
// StringToSign).
package aliyun

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"yuanxu/internal/provider/sms"
)

// Algorithm is the signature algorithm name.
const Algorithm = "ACS3-HMAC-SHA256"

// API constants of SendSms.
const (
	DefaultEndpoint = "https://dysmsapi.aliyuncs.com"
	Action          = "SendSms"
	Version         = "2017-05-25"
)

// PercentEncode encodes s by RFC 3986 as Aliyun specifies: unreserved
// characters stay, space is %20, '*' is %2A, '~' stays.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// CanonicalQuery encodes params sorted by encoded name ("a=1&b=2"); a
// parameter without value is "name=".
func CanonicalQuery(params map[string]string) string {
	pairs := make([]string, 0, len(params))
	for k, v := range params {
		pairs = append(pairs, PercentEncode(k)+"="+PercentEncode(v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// SignInput is everything a signature covers.
type SignInput struct {
	Method string // upper case
	Path   string // "/" for RPC APIs
	Query  map[string]string
	// Headers to sign: host, content-type, x-acs-*; names in any case.
	Headers map[string]string
	Body    []byte
}

// Signed is the intermediate and final results of signing.
type Signed struct {
	CanonicalRequest string
	StringToSign     string
	SignedHeaders    string
	Signature        string
}

// Sign computes the ACS3-HMAC-SHA256 signature of in with secret. The
// x-acs-content-sha256 header, when present, must already hold the body's
// hash (Client does so).
func Sign(secret string, in SignInput) Signed {
	names := make([]string, 0, len(in.Headers))
	vals := map[string]string{}
	for k, v := range in.Headers {
		lk := strings.ToLower(strings.TrimSpace(k))
		if lk == "host" || lk == "content-type" || strings.HasPrefix(lk, "x-acs-") {
			names = append(names, lk)
			vals[lk] = strings.TrimSpace(v)
		}
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n + ":" + vals[n] + "\n")
	}
	var s Signed
	s.SignedHeaders = strings.Join(names, ";")
	s.CanonicalRequest = strings.Join([]string{in.Method, in.Path, CanonicalQuery(in.Query), ch.String(), s.SignedHeaders, hexSHA256(in.Body)}, "\n")
	s.StringToSign = Algorithm + "\n" + hexSHA256([]byte(s.CanonicalRequest))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s.StringToSign))
	s.Signature = hex.EncodeToString(m.Sum(nil))
	return s
}

// Authorization formats the Authorization header value.
func Authorization(accessKeyID string, s Signed) string {
	return Algorithm + " Credential=" + accessKeyID + ",SignedHeaders=" + s.SignedHeaders + ",Signature=" + s.Signature
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Client sends SMS through SendSms. The zero value is not usable: set the
// credentials; Endpoint defaults to DefaultEndpoint.
type Client struct {
	Endpoint        string // scheme://host[:port]
	AccessKeyID     string
	AccessKeySecret string
	HTTP            *http.Client     // default: a client with a 30s timeout
	Now             func() time.Time // wall time for x-acs-date (default time.Now)
	Nonce           func() string    // default: 16 random bytes in hex
}

// Provider names the provider.
func (c *Client) Provider() string { return "aliyun" }

// Send sends m with SendSms. It fails with *sms.Error when Aliyun refuses
// (Retry set for throttling, balance and server errors) and with the
// transport error otherwise.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Result, error) {
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return sms.Result{}, fmt.Errorf("aliyun sms: bad endpoint %q", endpoint)
	}
	params := map[string]string{}
	for _, p := range m.Params {
		params[p.Name] = p.Value
	}
	tp, err := json.Marshal(params)
	if err != nil {
		return sms.Result{}, err
	}
	query := map[string]string{
		"PhoneNumbers":  strings.TrimPrefix(m.Phone, "+"),
		"SignName":      m.SignName,
		"TemplateCode":  m.TemplateCode,
		"TemplateParam": string(tp),
	}
	if m.IdempotencyKey != "" {
		query["OutId"] = m.IdempotencyKey
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	nonce := c.nonce()
	headers := map[string]string{
		"host":                  u.Host,
		"x-acs-action":          Action,
		"x-acs-version":         Version,
		"x-acs-date":            now().UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce": nonce,
		"x-acs-content-sha256":  hexSHA256(nil),
	}
	signed := Sign(c.AccessKeySecret, SignInput{Method: http.MethodPost, Path: "/", Query: query, Headers: headers})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/?"+CanonicalQuery(query), nil)
	if err != nil {
		return sms.Result{}, err
	}
	for k, v := range headers {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Authorization", Authorization(c.AccessKeyID, signed))
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return sms.Result{}, fmt.Errorf("aliyun sms: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sms.Result{}, fmt.Errorf("aliyun sms: reading response: %w", err)
	}
	return ParseResponse(resp.StatusCode, body)
}

func (c *Client) nonce() string {
	if c.Nonce != nil {
		return c.Nonce()
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Response is SendSms's answer, and the gateway's error body.
type Response struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
}

// ErrMalformed is returned (wrapped) for a response that is not Aliyun's
// JSON.
var ErrMalformed = errors.New("aliyun sms: malformed response")

// ParseResponse interprets a SendSms response: Code "OK" is acceptance;
// any other code is an *sms.Error classified by Temporary; a body that is
// not the expected JSON is ErrMalformed (wrapped; worth retrying on a 5xx).
func ParseResponse(status int, body []byte) (sms.Result, error) {
	var r Response
	if err := json.Unmarshal(body, &r); err != nil || r.Code == "" {
		return sms.Result{}, fmt.Errorf("%w (HTTP %d)", ErrMalformed, status)
	}
	if r.Code == "OK" && status == http.StatusOK {
		if r.BizID == "" {
			return sms.Result{}, fmt.Errorf("%w: no BizId", ErrMalformed)
		}
		return sms.Result{ProviderMessageID: r.BizID, RequestID: r.RequestID}, nil
	}
	return sms.Result{}, &sms.Error{Provider: "aliyun", Code: r.Code, Message: r.Message, RequestID: r.RequestID, Retry: Temporary(r.Code) || status >= 500}
}

// Temporary reports whether an Aliyun error code is worth retrying:
// throttling and flow control, an empty balance, and server-side errors.
// Everything else (an illegal number, a template or signature problem,
// bad credentials) is permanent for this message.
func Temporary(code string) bool {
	switch code {
	case "isv.BUSINESS_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "SignatureNonceUsed", "ServiceUnavailable", "InternalError":
		return true
	}
	return strings.HasPrefix(code, "isp.") || strings.HasPrefix(code, "Throttling")
}
