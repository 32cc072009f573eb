// Package webhook is the pure part of yuanxu's webhooks to resellers
// (issue 11 item 4): the event envelope, the HMAC-SHA256 signature a
// receiver checks, and the retry schedule. Delivery (the outbox, leases,
// HTTP) lives in the app.
//
// A delivery is an HTTP POST of the JSON envelope with the headers
//
//	Yuanxu-Event: order.paid
//	Yuanxu-Delivery: <delivery id>
//	Yuanxu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// A receiver recomputes v1 over the raw body with its secret, compares in
// constant time and refuses a t older than its tolerance (replays). A
// 2xx answer acknowledges; anything else, or no answer within the
// timeout, is retried on [Schedule] until [MaxAttempts].
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// Header names.
const (
	HeaderEvent     = "Yuanxu-Event"
	HeaderDelivery  = "Yuanxu-Delivery"
	HeaderSignature = "Yuanxu-Signature"
)

// Event types. Append only; receivers key on them.
const (
	CustomerJoined = "customer.joined" // an invited customer registered and accepted the agreement
	OrderCreated   = "order.created"   // the reseller placed an order for a customer
	OrderPaid      = "order.paid"      // it was paid (by the reseller or the customer)
	RefundDecided  = "refund.decided"  // it was refunded or swapped; the customer is notified by us
)

// Types lists every event type.
func Types() []string { return []string{CustomerJoined, OrderCreated, OrderPaid, RefundDecided} }

// ValidType reports whether t is an event type.
func ValidType(t string) bool {
	for _, x := range Types() {
		if x == t {
			return true
		}
	}
	return false
}

// Envelope is what is POSTed: the event, when it happened and its data.
type Envelope struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Data       map[string]any `json:"data"`
}

// NewSecret returns a random signing secret ("whsec_" and 48 hex digits).
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the Yuanxu-Signature header value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Signature is a parsed Yuanxu-Signature header.
type Signature struct {
	Timestamp int64
	V1        [][]byte // one per v1 entry (several during a secret rotation)
}

// CodeSignatureInvalid is the code of every signature failure.
const CodeSignatureInvalid = "webhook.signature_invalid"

func sigErr(rule string) error {
	return errs.Invalidf(CodeSignatureInvalid, "header."+HeaderSignature, rule, nil)
}

// ParseSignature reads a header value "t=<unix>,v1=<hex>[,v1=<hex>…]".
// Unknown keys are ignored (forward compatibility); a missing or
// malformed t or no v1 is an error.
func ParseSignature(h string) (Signature, error) {
	var s Signature
	if len(h) > 4096 {
		return s, sigErr("max_length")
	}
	haveT := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, sigErr("format")
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 || haveT {
				return s, sigErr("timestamp")
			}
			s.Timestamp, haveT = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return s, sigErr("format")
			}
			s.V1 = append(s.V1, b)
		}
	}
	if !haveT {
		return s, sigErr("timestamp")
	}
	if len(s.V1) == 0 {
		return s, sigErr("format")
	}
	return s, nil
}

// Verify checks header against body and secret at now: a signature made
// more than tolerance away from now is refused (a replay), as is one whose
// MAC does not match.
func Verify(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	s, err := ParseSignature(header)
	if err != nil {
		return err
	}
	d := now.Sub(time.Unix(s.Timestamp, 0))
	if d > tolerance || d < -tolerance {
		return sigErr("tolerance")
	}
	want := mac(secret, s.Timestamp, body)
	for _, v := range s.V1 {
		if hmac.Equal(v, want) {
			return nil
		}
	}
	return sigErr("mismatch")
}

// MaxAttempts is how many times a delivery is tried before it is marked
// failed (staff or the reseller may retry it by hand).
const MaxAttempts = 8

// Schedule is the wait after the n-th failed attempt (n ≥ 1): 30 s, 2 min,
// 10 min, 30 min, 1 h, 3 h, 6 h — about 11 hours in all.
func Schedule(n int) time.Duration {
	steps := []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}
	if n < 1 {
		n = 1
	}
	if n > len(steps) {
		n = len(steps)
	}
	return steps[n-1]
}
