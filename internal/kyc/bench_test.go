package kyc_test

import (
	"testing"

	"yuanxu/internal/kyc"
)

func BenchmarkParseResidentID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kyc.ParseResidentID("11010519491231002x", testNow, 18); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseUSCC(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := kyc.ParseUSCC("91350100m000100y43"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSniffLicence(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kyc.SniffLicence(pdfFile, 5<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnterpriseInputValidate(b *testing.B) {
	in := kyc.EnterpriseInput{CompanyName: "福建示例科技有限公司", USCC: "91350100M000100Y43", Representative: "李四", Phone: "13800138000", Licence: pngFile}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := in.Validate(testNow, 18, 5<<20); err != nil {
			b.Fatal(err)
		}
	}
}
