package app

import (
	"context"
	"testing"

	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// BenchmarkNotifyOutboxInsert measures writing one legal notice into the
// outbox inside a business transaction, per engine: the notification, three
// delivery rows (sealed, indexed addresses), the inbox item, two River jobs
// and the audit event, committed.
func BenchmarkNotifyOutboxInsert(b *testing.B) {
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			db := h.New(b)
			sec, err := NewSecrets()
			if err != nil {
				b.Fatal(err)
			}
			a, err := New(context.Background(), Config{DB: db, Secrets: sec})
			if err != nil {
				b.Fatal(err)
			}
			req := notify.Request{Event: notify.EventRefundDecided, Vars: refundVars,
				Recipient: notify.Recipient{AccountID: "acct-1", Email: "alice@example.com", Phone: "13812345678"}}
			write := func() error {
				return db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
					_, err := a.Notify(ctx, tx, req)
					return err
				})
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if err := write(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := write(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkNotifyRender measures rendering one event in one language:
// everything (subject, text, HTML, SMS), as a send does, and the subject
// and text alone, as the in-app inbox's item is written.
func BenchmarkNotifyRender(b *testing.B) {
	cat, err := notify.DefaultCatalog()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		o    notify.RenderOptions
	}{
		{"all", notify.RenderOptions{Brand: "元序"}},
		{"text-only", notify.RenderOptions{Brand: "元序", TextOnly: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cat.Render(notify.EventRefundDecided, notify.ZhCN, refundVars, c.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
