package tencent_test

import (
	"errors"
	"testing"

	"yuanxu/internal/provider/sms"
	"yuanxu/internal/provider/sms/tencent"
)

// TestSignPublishedExample is the worked example of Tencent Cloud's
// "签名方法 v3" / "Signature v3" document (API 3.0 common documentation,
// English edition): CVM DescribeInstances, POST to cvm.tencentcloudapi.com,
// X-TC-Timestamp 1551113065, Content-Type "application/json;
// charset=utf-8", signed headers content-type;host, the payload below, and
// SecretKey "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE" (SecretId
// AKID**********************0123456789EXAMPLE). The document prints
// HashedRequestPayload 35e9c5b0…f064, HashedCanonicalRequest 5ffe6a04…7031
// and Signature 72e494ea…5168. (The current zh-CN edition masks its demo
// key with asterisks and signs x-tc-action too, so its final signature
// cannot be reproduced; the English edition's can, and is asserted here.)
func TestSignPublishedExample(t *testing.T) {
	t.Parallel()
	payload := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	s := tencent.Sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", tencent.SignInput{
		Method: "POST", Path: "/",
		Headers:     map[string]string{"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"},
		SignedNames: []string{"content-type", "host"},
		Payload:     []byte(payload), Service: "cvm", Timestamp: 1551113065,
	})
	wantCanonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	if s.CanonicalRequest != wantCanonical {
		t.Errorf("canonical request:\n%q\nwant\n%q", s.CanonicalRequest, wantCanonical)
	}
	wantSTS := "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
	if s.StringToSign != wantSTS {
		t.Errorf("string to sign = %q, want %q", s.StringToSign, wantSTS)
	}
	if want := "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"; s.Signature != want {
		t.Errorf("signature = %s, want %s", s.Signature, want)
	}
}

func TestParseSendStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		id    string
		code  string
		retry bool
	}{
		{"Ok", `{"Response":{"SendStatusSet":[{"SerialNo":"2640:1","PhoneNumber":"+8613812345678","Fee":1,"Code":"Ok","Message":"send success"}],"RequestId":"r"}}`, "2640:1", "", false},
		{"BadNumber", `{"Response":{"SendStatusSet":[{"Code":"InvalidParameterValue.IncorrectPhoneNumber","Message":"x"}],"RequestId":"r"}}`, "", "InvalidParameterValue.IncorrectPhoneNumber", false},
		{"DailyLimit", `{"Response":{"SendStatusSet":[{"Code":"LimitExceeded.PhoneNumberDailyLimit"}]}}`, "", "LimitExceeded.PhoneNumberDailyLimit", true},
		{"AuthFailure", `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"x"},"RequestId":"r"}}`, "", "AuthFailure.SignatureFailure", false},
		{"Internal", `{"Response":{"Error":{"Code":"InternalError.Timeout","Message":"x"}}}`, "", "InternalError.Timeout", true},
		{"Balance", `{"Response":{"SendStatusSet":[{"Code":"FailedOperation.InsufficientBalanceInSmsPackage"}]}}`, "", "FailedOperation.InsufficientBalanceInSmsPackage", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := tencent.ParseSendStatus([]byte(tt.body))
			if tt.code == "" {
				if err != nil || res.ProviderMessageID != tt.id {
					t.Fatalf("= %+v, %v", res, err)
				}
				return
			}
			var se *sms.Error
			if !errors.As(err, &se) || se.Code != tt.code || se.Temporary() != tt.retry {
				t.Fatalf("err = %#v", err)
			}
		})
	}
	for _, bad := range []string{`nope`, `{"Response":{}}`, `{"Response":{"SendStatusSet":[{"Code":"Ok"}]}}`} {
		if _, err := tencent.ParseSendStatus([]byte(bad)); !errors.Is(err, tencent.ErrMalformed) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	if tencent.E164("13812345678") != "+8613812345678" || tencent.E164("+447700900123") != "+447700900123" {
		t.Error("E164")
	}
}

// FuzzParseSendStatus: provider bytes never panic the parser.
func FuzzParseSendStatus(f *testing.F) {
	f.Add([]byte(`{"Response":{"SendStatusSet":[{"SerialNo":"1","Code":"Ok"}]}}`))
	f.Add([]byte(`{"Response":{"Error":{"Code":"X"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := tencent.ParseSendStatus(body)
		if err == nil && res.ProviderMessageID == "" {
			t.Fatal("acceptance without a serial number")
		}
	})
}
