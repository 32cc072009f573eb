package wallet_test

import (
	"testing"

	"yuanxu/internal/money"
	"yuanxu/internal/wallet"
)

func BenchmarkSpendApply(b *testing.B) {
	bal := wallet.Balances{Customer: cust, Cash: 1 << 40, RefundCredit: 500}
	for b.Loop() {
		tx, _, err := wallet.Spend(bal, 1000, "o")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := wallet.Apply(bal, tx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckInvariants(b *testing.B) {
	var txns []wallet.Txn
	for i := range 1000 {
		tx, err := wallet.TopUp(wallet.TopUpParams{Customer: string(rune('a' + i%26)), Provider: "alipay", Amount: money.Fen(i + 1), PaymentID: "p"})
		if err != nil {
			b.Fatal(err)
		}
		txns = append(txns, tx)
	}
	sums, _ := wallet.Sums(txns)
	b.ResetTimer()
	for b.Loop() {
		if vs := wallet.CheckInvariants(txns, sums); vs != nil {
			b.Fatal(vs)
		}
	}
}
