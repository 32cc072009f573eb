package sandboxgw

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// AlipayContent is the text Alipay signs for a set of parameters, written
// from Alipay's documentation rather than any SDK: every parameter except
// those named in omit and those with an empty value, as name=value with
// the raw (decoded) value, sorted by name in byte order, joined by "&".
// Requests omit "sign"; notifications and page-pay returns omit "sign"
// and "sign_type". A name given twice is an error.
func AlipayContent(v url.Values, omit ...string) (string, error) {
	names := make([]string, 0, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			return "", errors.New("parameter " + k + " given more than once")
		}
		skip := vs[0] == ""
		for _, o := range omit {
			skip = skip || k == o
		}
		if !skip {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v[k][0])
	}
	return b.String(), nil
}

// WeChatMessage is the text WeChat Pay API v3 signs: each part followed
// by "\n". A request is (method, URI with query, timestamp, nonce, body);
// an answer or a notification is (timestamp, nonce, body).
func WeChatMessage(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.String()
}

// signRSA is RSASSA-PKCS1-v1_5 over SHA-256, base64 (both gateways).
func signRSA(k *rsa.PrivateKey, msg string) string {
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	if err != nil {
		panic(err) // a 2048-bit key signs any SHA-256 digest
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// verifyRSA checks a base64 RSASSA-PKCS1-v1_5 SHA-256 signature.
func verifyRSA(pub *rsa.PublicKey, msg, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(msg))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], raw)
}

// sealGCM encrypts a WeChat Pay notification resource: AEAD_AES_256_GCM
// with the APIv3 key, a 12-character nonce and the associated data,
// base64 of ciphertext‖tag.
func sealGCM(key, nonce, ad string, plain []byte) string {
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		panic(err) // the APIv3 key is 32 bytes
	}
	g, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(g.Seal(nil, []byte(nonce), plain, []byte(ad)))
}

// parseAuthorization reads a WeChat Pay Authorization header:
// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"`.
// Every field must appear once and be quoted.
func parseAuthorization(h string) (map[string]string, error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || scheme != "WECHATPAY2-SHA256-RSA2048" {
		return nil, errors.New("authorization scheme is not WECHATPAY2-SHA256-RSA2048")
	}
	out := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, errors.New("authorization field " + k + " malformed")
		}
		if _, dup := out[k]; dup {
			return nil, errors.New("authorization field " + k + " repeated")
		}
		out[k] = v[1 : len(v)-1]
	}
	for _, k := range []string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"} {
		if out[k] == "" {
			return nil, errors.New("authorization lacks " + k)
		}
	}
	return out, nil
}
