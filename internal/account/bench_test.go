package account_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/account"
)

func normNFKC(s string) string { return norm.NFKC.String(s) }

// BenchmarkHashProduction measures one argon2id hash at ProductionParams
// (64 MiB, t=3, p=4): the cost of a login or a password change.
func BenchmarkHashProduction(b *testing.B) {
	h, err := account.NewHasher(account.ProductionParams, account.HasherOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashProductionParallel shows throughput under the default
// concurrency bound (GOMAXPROCS hashes at once).
func BenchmarkHashProductionParallel(b *testing.B) {
	h, err := account.NewHasher(account.ProductionParams, account.HasherOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyTestParams(b *testing.B) {
	h := testHasher(b)
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := h.Verify(ctx, "correct horse battery staple", enc); !ok {
			b.Fatal("refused")
		}
	}
}

func BenchmarkCan(b *testing.B) {
	obj := account.Object{OwnerAccountID: "ent"}
	b.ReportAllocs()
	for b.Loop() {
		if !account.Can(subAll, "refund.request", obj).Allowed {
			b.Fatal("refused")
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	pc := account.PasswordContext{Email: "a@example.com", Phone: "13812345678"}
	b.ReportAllocs()
	for b.Loop() {
		if err := account.CheckPassword("correct horse battery staple", pc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyTOTP(b *testing.B) {
	now := time.Unix(59, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := account.VerifyTOTP(rfc6238Secret, "287082", now, 0); err != nil {
			b.Fatal(err)
		}
	}
}
