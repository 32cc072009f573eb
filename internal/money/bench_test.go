package money_test

import (
	"testing"

	"yuanxu/internal/money"
)

func BenchmarkParseYuan(b *testing.B) {
	for b.Loop() {
		if _, err := money.ParseYuan("12345.67"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkYuan(b *testing.B) {
	f := money.Fen(1234567)
	for b.Loop() {
		_ = f.Yuan()
	}
}

func BenchmarkFormat(b *testing.B) {
	f := money.Fen(1234567)
	for b.Loop() {
		_ = f.Format("zh-CN")
	}
}

func BenchmarkPercent(b *testing.B) {
	for b.Loop() {
		if _, err := money.Percent(1999, 1500, money.RoundHalfUp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllocate(b *testing.B) {
	ws := []money.Fen{3333, 6667, 1, 99999}
	for b.Loop() {
		if _, err := money.Allocate(54321, ws); err != nil {
			b.Fatal(err)
		}
	}
}
