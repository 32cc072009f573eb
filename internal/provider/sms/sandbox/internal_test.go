package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestVerifierCanonicalisesPublishedExample: the server's own
// canonicalisation, fed Aliyun's published example as an HTTP request,
// hashes to the document's HashedCanonicalRequest (see the aliyun
// package's golden test for the source).
func TestVerifierCanonicalisesPublishedExample(t *testing.T) {
	t.Parallel()
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	r, err := http.NewRequest("POST", "https://ecs.cn-shanghai.aliyuncs.com/?RegionId=cn-shanghai&ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"x-acs-action": "RunInstances", "x-acs-content-sha256": empty, "x-acs-date": "2023-10-26T10:22:32Z",
		"x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d", "x-acs-version": "2014-05-26"} {
		r.Header.Set(k, v)
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	c := aliyunCanonical(r, q, strings.Split("host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version", ";"), nil)
	sum := sha256.Sum256([]byte(c))
	if got := hex.EncodeToString(sum[:]); got != "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259" {
		t.Fatalf("hashed canonical request = %s\n%s", got, c)
	}
}

// FuzzParseAuthorization: Authorization headers are outside bytes.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=" + strings.Repeat("ab", 32))
	f.Add("TC3-HMAC-SHA256 Credential=a/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, h string) {
		if id, signed, sig, ok := ParseACS3(h); ok && (id == "" || len(signed) == 0 || len(sig) != 64) {
			t.Fatal("ParseACS3 accepted an incomplete header")
		}
		if id, _, _, signed, sig, ok := ParseTC3(h); ok && (id == "" || len(signed) == 0 || len(sig) != 64) {
			t.Fatal("ParseTC3 accepted an incomplete header")
		}
	})
}
