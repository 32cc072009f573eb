package sandbox

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/provider/sms"
	"yuanxu/internal/provider/sms/tencent"
)

// ParseTC3 parses a Tencent Cloud TC3 Authorization header:
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request,
// SignedHeaders=content-type;host, Signature=HEX".
func ParseTC3(h string) (secretID, date, service string, signed []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, "TC3-HMAC-SHA256 ")
	if !found {
		return
	}
	var cred string
	for _, part := range strings.Split(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		case "Signature":
			sig = v
		default:
			return
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 4 || parts[3] != "tc3_request" || parts[0] == "" || len(sig) != 64 || len(signed) == 0 {
		return "", "", "", nil, "", false
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return "", "", "", nil, "", false
	}
	return parts[0], parts[1], parts[2], signed, sig, true
}

type tcError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func tencentReply(w http.ResponseWriter, resp map[string]any) {
	if _, ok := resp["RequestId"]; !ok {
		resp["RequestId"] = strings.ToLower(requestID())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
}

func tencentFail(w http.ResponseWriter, code, msg string) {
	tencentReply(w, map[string]any{"Error": tcError{Code: code, Message: msg}})
}

type tcSendSms struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet"`
	SessionContext   string   `json:"SessionContext"`
}

// serveTencent answers as Tencent Cloud API 3.0 does: HTTP 200 with either
// Response.Error or the action's result.
func (s *Server) serveTencent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		tencentFail(w, "InvalidParameter", "request body too large or unreadable")
		return
	}
	if r.Method != http.MethodPost {
		tencentFail(w, "UnsupportedProtocol", "the sandbox accepts POST only")
		return
	}
	id, date, service, signed, sig, ok := ParseTC3(r.Header.Get("Authorization"))
	if !ok {
		tencentFail(w, "AuthFailure.InvalidAuthorization", "Authorization header is malformed.")
		return
	}
	key, ok := s.Tencent[id]
	if !ok {
		tencentFail(w, "AuthFailure.SecretIdNotFound", "The SecretId is not found.")
		return
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	now := s.now()
	if err != nil || time.Unix(ts, 0).Sub(now).Abs() > TencentMaxSkew {
		tencentFail(w, "AuthFailure.SignatureExpire", "Signature expired: the timestamp is more than 5 minutes from the server's time.")
		return
	}
	if date != time.Unix(ts, 0).UTC().Format("2006-01-02") || service != "sms" {
		tencentFail(w, "AuthFailure.InvalidAuthorization", "Credential scope does not match the timestamp or the service.")
		return
	}
	hasCT, hasHost := false, false
	for _, n := range signed {
		hasCT = hasCT || n == "content-type"
		hasHost = hasHost || n == "host"
	}
	if !hasCT || !hasHost || !sort.StringsAreSorted(signed) {
		tencentFail(w, "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host, sorted.")
		return
	}
	headers := map[string]string{}
	for _, n := range signed {
		headers[n] = r.Header.Get(n)
	}
	headers["host"] = r.Host
	want := tencent.Sign(key, tencent.SignInput{Method: r.Method, Path: "/", Headers: headers, SignedNames: signed, Payload: body, Service: service, Timestamp: ts})
	if !hmac.Equal([]byte(want.Signature), []byte(sig)) {
		tencentFail(w, "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.")
		return
	}
	if r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" {
		tencentFail(w, "InvalidAction", "The action or version is not supported by the sandbox.")
		return
	}
	var req tcSendSms
	if err := json.Unmarshal(body, &req); err != nil {
		tencentFail(w, "InvalidParameter", "The request body is not valid JSON for SendSms.")
		return
	}
	if len(req.PhoneNumberSet) != 1 || req.SmsSdkAppID == "" || req.TemplateID == "" {
		tencentFail(w, "MissingParameter", "PhoneNumberSet (one number), SmsSdkAppId and TemplateId are required.")
		return
	}
	if s.TencentAppID != "" && req.SmsSdkAppID != s.TencentAppID {
		tencentFail(w, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
		return
	}
	rec := Received{Provider: "tencent", At: now, Phone: req.PhoneNumberSet[0], SignName: req.SignName,
		TemplateCode: req.TemplateID, IdempotencyKey: req.SessionContext}
	for i, v := range req.TemplateParamSet {
		rec.Params = append(rec.Params, sms.Param{Name: strconv.Itoa(i + 1), Value: v})
	}
	status := map[string]any{"PhoneNumber": rec.Phone, "SessionContext": req.SessionContext, "IsoCode": "CN", "Fee": 0, "SerialNo": ""}
	code := ""
	if !tencentPhoneOK(rec.Phone) {
		code = "InvalidParameterValue.IncorrectPhoneNumber"
	} else if s.Fault != nil {
		code = s.Fault(rec)
	}
	if code != "" {
		status["Code"], status["Message"] = code, "sandbox: "+code
		tencentReply(w, map[string]any{"SendStatusSet": []any{status}})
		return
	}
	rec.RequestID = strings.ToLower(requestID())
	rec.ProviderMessageID = "2640:" + itoa(s.seq.Add(1))
	if err := s.put(r.Context(), rec); err != nil {
		tencentFail(w, "InternalError", "sandbox outbox: "+err.Error())
		return
	}
	status["Code"], status["Message"], status["Fee"], status["SerialNo"] = "Ok", "send success", 1, rec.ProviderMessageID
	tencentReply(w, map[string]any{"SendStatusSet": []any{status}, "RequestId": rec.RequestID})
}

// tencentPhoneOK accepts E.164: "+", 8 to 15 digits, not starting 0.
func tencentPhoneOK(p string) bool {
	d, ok := strings.CutPrefix(p, "+")
	if !ok || len(d) < 8 || len(d) > 15 || d[0] == '0' || strings.Trim(d, "0123456789") != "" {
		return false
	}
	if strings.HasPrefix(d, "86") {
		return len(d) == 13 && d[2] == '1' && d[3] >= '3'
	}
	return true
}
