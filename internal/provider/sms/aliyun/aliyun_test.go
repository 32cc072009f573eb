package aliyun_test

import (
	"errors"
	"testing"

	"yuanxu/internal/provider/sms"
	"yuanxu/internal/provider/sms/aliyun"
)

// TestSignPublishedExample is Aliyun's published worked example of
// ACS3-HMAC-SHA256 (help.aliyun.com, "V3版本请求体&签名机制", section
// "签名机制", and its English edition "Request syntax and signature method
// V3"): RunInstances on ecs.cn-shanghai.aliyuncs.com with AccessKeyId
// "YourAccessKeyId", secret "YourAccessKeySecret", x-acs-date
// 2023-10-26T10:22:32Z, nonce 3156853299f313e23d1673dc12e1703d, an empty
// body and the two query parameters below. The document prints the
// canonical request, HashedCanonicalRequest 7ea06492…e259 and Signature
// 06563a9e…83c0; all three are asserted byte for byte.
func TestSignPublishedExample(t *testing.T) {
	t.Parallel()
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	s := aliyun.Sign("YourAccessKeySecret", aliyun.SignInput{
		Method: "POST", Path: "/",
		Query: map[string]string{"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"},
		Headers: map[string]string{
			"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-content-sha256": empty,
			"x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d", "x-acs-version": "2014-05-26",
		},
	})
	wantCanonical := "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n" +
		"host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:" + empty + "\n" +
		"x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\n" +
		"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + empty
	if s.CanonicalRequest != wantCanonical {
		t.Errorf("canonical request:\n%s\nwant:\n%s", s.CanonicalRequest, wantCanonical)
	}
	if want := "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"; s.StringToSign != want {
		t.Errorf("string to sign = %q, want %q", s.StringToSign, want)
	}
	if want := "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"; s.Signature != want {
		t.Errorf("signature = %s, want %s", s.Signature, want)
	}
	if got, want := aliyun.Authorization("YourAccessKeyId", s), "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"; got != want {
		t.Errorf("authorization = %s", got)
	}
}

func TestPercentEncode(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"a b": "a%20b", "a*b": "a%2Ab", "a~b": "a~b", "{\"code\":\"1\"}": "%7B%22code%22%3A%221%22%7D", "元": "%E5%85%83", "a+b/c=d&e": "a%2Bb%2Fc%3Dd%26e"}
	for in, want := range tests {
		if got := aliyun.PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := aliyun.CanonicalQuery(map[string]string{"b": "2", "a": "", "A": "x y"}); got != "A=x%20y&a=&b=2" {
		t.Errorf("CanonicalQuery = %q", got)
	}
}

func TestParseResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		id     string
		code   string
		retry  bool
		other  bool
	}{
		{"OK", 200, `{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}`, "900619746936498440^0", "", false, false},
		{"IllegalNumber", 200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号","RequestId":"R"}`, "", "isv.MOBILE_NUMBER_ILLEGAL", false, false},
		{"FlowControl", 200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控","RequestId":"R"}`, "", "isv.BUSINESS_LIMIT_CONTROL", true, false},
		{"SystemError", 200, `{"Code":"isp.SYSTEM_ERROR","Message":"x"}`, "", "isp.SYSTEM_ERROR", true, false},
		{"Throttled", 400, `{"Code":"Throttling.User","Message":"x"}`, "", "Throttling.User", true, false},
		{"BadSignature", 400, `{"RequestId":"R","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"x"}`, "", "SignatureDoesNotMatch", false, false},
		{"Gateway5xx", 503, `{"Code":"ServiceUnavailable","Message":"x"}`, "", "ServiceUnavailable", true, false},
		{"HTML", 502, `<html>bad gateway</html>`, "", "", false, true},
		{"OKWithoutBizId", 200, `{"Code":"OK"}`, "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := aliyun.ParseResponse(tt.status, []byte(tt.body))
			var se *sms.Error
			switch {
			case tt.other:
				if !errors.Is(err, aliyun.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
			case tt.code == "":
				if err != nil || res.ProviderMessageID != tt.id {
					t.Fatalf("= %+v, %v", res, err)
				}
			default:
				if !errors.As(err, &se) || se.Code != tt.code || se.Temporary() != tt.retry {
					t.Fatalf("err = %#v, want code %s retry %v", err, tt.code, tt.retry)
				}
			}
		})
	}
}

// FuzzParseResponse: provider bytes never panic the parser, and an
// acceptance always carries a message id.
func FuzzParseResponse(f *testing.F) {
	f.Add(200, []byte(`{"Code":"OK","BizId":"1^0"}`))
	f.Add(400, []byte(`{"Code":"SignatureDoesNotMatch"}`))
	f.Add(500, []byte(`nope`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res, err := aliyun.ParseResponse(status, body)
		if err == nil && res.ProviderMessageID == "" {
			t.Fatal("acceptance without a message id")
		}
	})
}

func BenchmarkSign(b *testing.B) {
	in := aliyun.SignInput{Method: "POST", Path: "/", Query: map[string]string{"PhoneNumbers": "13812345678", "SignName": "元序", "TemplateCode": "SMS_1", "TemplateParam": `{"code":"284913"}`},
		Headers: map[string]string{"host": "dysmsapi.aliyuncs.com", "x-acs-action": "SendSms", "x-acs-version": "2017-05-25", "x-acs-date": "2026-06-01T00:00:00Z", "x-acs-signature-nonce": "n"}}
	b.ReportAllocs()
	for b.Loop() {
		aliyun.Sign("secret", in)
	}
}
