package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/provider/sms"
)

// ParseACS3 parses an Aliyun V3 Authorization header:
// "ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=a;b,Signature=HEX".
func ParseACS3(h string) (keyID string, signed []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, "ACS3-HMAC-SHA256 ")
	if !found {
		return "", nil, "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, "", false
		}
		switch k {
		case "Credential":
			keyID = v
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		case "Signature":
			sig = v
		default:
			return "", nil, "", false
		}
	}
	if keyID == "" || len(signed) == 0 || len(sig) != 64 {
		return "", nil, "", false
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return "", nil, "", false
	}
	return keyID, signed, sig, true
}

// rfc3986 encodes as Aliyun specifies, written independently of the
// client's encoder so that a shared mistake cannot pass unnoticed.
func rfc3986(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// aliyunCanonical rebuilds the canonical request from r as received.
func aliyunCanonical(r *http.Request, q url.Values, signed []string, body []byte) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	sort.Strings(pairs)
	var ch strings.Builder
	for _, n := range signed {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		ch.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	sum := sha256.Sum256(body)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	return strings.Join([]string{r.Method, path, strings.Join(pairs, "&"), ch.String(), strings.Join(signed, ";"), hex.EncodeToString(sum[:])}, "\n")
}

type aliyunAnswer struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId,omitempty"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId,omitempty"`
	Recommend string `json:"Recommend,omitempty"`
}

func aliyunReply(w http.ResponseWriter, status int, a aliyunAnswer) {
	if a.RequestID == "" {
		a.RequestID = requestID()
	}
	if status != http.StatusOK {
		a.HostID = "dysmsapi.aliyuncs.com"
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

func (s *Server) serveAliyun(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) { aliyunReply(w, status, aliyunAnswer{Code: code, Message: msg}) }
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(http.StatusBadRequest, "InvalidParameter", "request body too large or unreadable")
		return
	}
	keyID, signed, sig, ok := ParseACS3(r.Header.Get("Authorization"))
	if !ok {
		fail(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
		return
	}
	secret, ok := s.Aliyun[keyID]
	if !ok {
		fail(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return
	}
	// Every x-acs-* header and host must be signed; signed names sorted.
	need := map[string]bool{"host": true}
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-acs-") {
			need[lk] = true
		}
	}
	for _, n := range signed {
		delete(need, n)
	}
	if len(need) > 0 || !sort.StringsAreSorted(signed) {
		fail(http.StatusBadRequest, "IncompleteSignature", "SignedHeaders must list host and every x-acs- header, sorted.")
		return
	}
	bodySum := sha256.Sum256(body)
	if r.Header.Get("x-acs-content-sha256") != hex.EncodeToString(bodySum[:]) {
		fail(http.StatusBadRequest, "ContentSHA256NotMatch", "x-acs-content-sha256 does not match the body.")
		return
	}
	now := s.now()
	at, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	if err != nil || at.Sub(now) > AliyunMaxSkew || now.Sub(at) > AliyunMaxSkew {
		fail(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		fail(http.StatusBadRequest, "InvalidParameter", "malformed query string")
		return
	}
	canonical := aliyunCanonical(r, q, signed, body)
	cr := sha256.Sum256([]byte(canonical))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(cr[:])))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		aliyunReply(w, http.StatusBadRequest, aliyunAnswer{Code: "SignatureDoesNotMatch",
			Message:   "Specified signature does not match our calculation.",
			Recommend: "server string to sign is: ACS3-HMAC-SHA256\n" + hex.EncodeToString(cr[:])})
		return
	}
	if !s.useNonce("aliyun:"+r.Header.Get("x-acs-signature-nonce"), now, AliyunMaxSkew) || r.Header.Get("x-acs-signature-nonce") == "" {
		fail(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
		return
	}
	if r.Header.Get("x-acs-action") != "SendSms" || r.Header.Get("x-acs-version") != "2017-05-25" {
		fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	rec := Received{Provider: "aliyun", At: now, Phone: q.Get("PhoneNumbers"), SignName: q.Get("SignName"),
		TemplateCode: q.Get("TemplateCode"), IdempotencyKey: q.Get("OutId")}
	for _, p := range []struct{ name, val string }{{"PhoneNumbers", rec.Phone}, {"SignName", rec.SignName}, {"TemplateCode", rec.TemplateCode}} {
		if p.val == "" {
			fail(http.StatusBadRequest, "Missing"+p.name, p.name+" is mandatory for this action.")
			return
		}
	}
	var params map[string]string
	if tp := q.Get("TemplateParam"); tp != "" {
		if err := json.Unmarshal([]byte(tp), &params); err != nil {
			aliyunReply(w, http.StatusOK, aliyunAnswer{Code: "isv.INVALID_JSON_PARAM", Message: "JSON参数不合法，只接受字符串值"})
			return
		}
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		rec.Params = append(rec.Params, sms.Param{Name: k, Value: params[k]})
	}
	if !aliyunPhoneOK(rec.Phone) {
		aliyunReply(w, http.StatusOK, aliyunAnswer{Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "非法手机号"})
		return
	}
	if s.Fault != nil {
		if code := s.Fault(rec); code != "" {
			aliyunReply(w, http.StatusOK, aliyunAnswer{Code: code, Message: "sandbox fault " + code})
			return
		}
	}
	rec.RequestID = requestID()
	rec.ProviderMessageID = hex.EncodeToString(bodySum[:4]) + "^" + itoa(s.seq.Add(1))
	if err := s.put(r.Context(), rec); err != nil {
		aliyunReply(w, http.StatusInternalServerError, aliyunAnswer{Code: "isp.SYSTEM_ERROR", Message: "sandbox outbox: " + err.Error()})
		return
	}
	aliyunReply(w, http.StatusOK, aliyunAnswer{RequestID: rec.RequestID, Code: "OK", Message: "OK", BizID: rec.ProviderMessageID})
}

// aliyunPhoneOK accepts what SendSms accepts: digits only; a mainland
// mobile (11 digits, 1[3-9]…, optionally prefixed 86) or an international
// number with its country code first (8 to 15 digits, not starting 0 or 86).
func aliyunPhoneOK(p string) bool {
	if len(p) < 8 || len(p) > 15 || strings.Trim(p, "0123456789") != "" {
		return false
	}
	if len(p) == 13 && strings.HasPrefix(p, "86") {
		p = p[2:]
	}
	if len(p) == 11 && p[0] == '1' {
		return p[1] >= '3'
	}
	return p[0] != '0' && !strings.HasPrefix(p, "86")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
