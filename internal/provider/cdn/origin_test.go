package cdn_test

import (
	"testing"

	"yuanxu/internal/provider/cdn"
)

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		private bool // AllowPrivateOrigins
		want    string
		rule    string
	}{
		{"https://origin.example.com", false, "https://origin.example.com", ""},
		{"HTTP://Origin.Example.com:8080/", false, "http://origin.example.com:8080", ""},
		{"http://203.0.114.9", false, "http://203.0.114.9", ""},
		{"https://[2400:3200::1]:8443", false, "https://[2400:3200::1]:8443", ""},
		{"http://[::ffff:8.8.8.8]", false, "http://8.8.8.8", ""},
		{"http://127.0.0.1:9000", true, "http://127.0.0.1:9000", ""},
		{"http://intranet", true, "http://intranet", ""},
		{"", false, "", "required"},
		{"origin.example.com", false, "", "scheme"},
		{"ftp://origin.example.com", false, "", "scheme"},
		{"mailto:ops@example.com", false, "", "format"},
		{"http://user:pw@origin.example.com", false, "", "userinfo"},
		{"http://origin.example.com/shop", false, "", "path"},
		{"http://origin.example.com/?a=1", false, "", "path"},
		{"http://origin.example.com/#x", false, "", "path"},
		{"http://origin.example.com:0", false, "", "port"},
		{"http://origin.example.com:70000", false, "", "port"},
		{"http://origin.example.com:", false, "", "port"},
		{"http://", false, "", "host"},
		{"http://bad_host.example.com", false, "", "host"},
		{"http://origin.example.com%3B/", false, "", "format"},
		{"http://origin.example.com;return 200", false, "", "format"},
		{"http://origin.example.com\n", false, "http://origin.example.com", ""},
		{"http://origin.example.com\n}", false, "", "format"},
		{"http://origin.example.com/\tfoo", false, "", "format"},
		{"http://[fe80::1%25eth0]", true, "", "host"},
		{"http://127.0.0.1", false, "", "private"},
		{"http://10.1.2.3", false, "", "private"},
		{"http://172.16.0.1", false, "", "private"},
		{"http://192.168.1.1", false, "", "private"},
		{"http://100.64.0.1", false, "", "private"},
		{"http://169.254.169.254", false, "", "private"},
		{"http://0.0.0.0", false, "", "private"},
		{"http://[::1]", false, "", "private"},
		{"http://[fd00::1]", false, "", "private"},
		{"http://[::ffff:127.0.0.1]", false, "", "private"},
		{"http://localhost", false, "", "private"},
		{"http://db.localhost", false, "", "private"},
		{"http://intranet", false, "", "private"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			o, err := cdn.ParseOrigin(tc.in, cdn.OriginOptions{AllowPrivateOrigins: tc.private})
			checkErr(t, err, "cdn.origin_invalid", "origin", tc.rule)
			if err == nil && o.String() != tc.want {
				t.Fatalf("ParseOrigin(%q) = %s, want %s", tc.in, o, tc.want)
			}
		})
	}
}
