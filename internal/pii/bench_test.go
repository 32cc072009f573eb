package pii_test

import (
	"testing"

	"yuanxu/internal/pii"
)

func BenchmarkSeal(b *testing.B) {
	r := mustRing(b, entry("k1", 1))
	pt := []byte("110101199003078515")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Seal(pt, testAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := mustRing(b, entry("k1", 1))
	env, err := r.SealString("110101199003078515", testAAD)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(env, testAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	bi := mustIndex(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		_ = bi.Sum(pii.KindPhone, "13812345678")
	}
}
