package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/store/storetest"
)

// Benchmarks of the domain hot paths through their use cases, per engine,
// without HTTP (yuanxu bench measures them over HTTP against the engine's
// ceiling; docs/BENCHMARKS.md).

// benchApp is a sandbox app on a fresh database of h with the bench
// fixture: buyers funded and verified, and services delivered on the
// sandbox node (the app runs its jobs when services > 0).
func benchApp(b testing.TB, h storetest.Harness, buyers, services int) (*app.App, app.BenchFixture) {
	b.Helper()
	ctx := context.Background()
	sec, err := app.NewSecrets()
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: h.New(b), Secrets: sec, Sandbox: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams}); err != nil {
		b.Fatal(err)
	}
	if services > 0 {
		if err := a.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Stop(sctx)
		})
	}
	f, err := a.SeedBench(ctx, buyers, services)
	if err != nil {
		b.Fatal(err)
	}
	return a, f
}

func benchPrincipal(b *testing.B, a *app.App, buyer app.BenchBuyer) account.Principal {
	b.Helper()
	p, _, err := a.Authenticate(context.Background(), buyer.Session)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCheckout is one checkout paid by balance (app.Checkout then
// app.PayOrder: pricing, agreement acknowledgement, the order, the ledger
// spend, delivery enqueued, audit), serially and with one buyer per
// goroutine.
func BenchmarkCheckout(b *testing.B) {
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			a, f := benchApp(b, h, 8, 0)
			ctx := app.WithActor(context.Background(), app.Actor{ClientIP: "127.0.0.1"})
			req := app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: f.ProductID, PlanID: f.PlanID, Cycle: f.Cycle, Quantity: 1}},
				Agreement: app.AgreementAck{Acknowledged: f.Acknowledged}}
			checkout := func(p account.Principal) error {
				o, _, err := a.Checkout(ctx, p, req, app.Idem{})
				if err != nil {
					return err
				}
				_, err = a.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance})
				return err
			}
			ps := make([]account.Principal, len(f.Buyers))
			for i, buyer := range f.Buyers {
				ps[i] = benchPrincipal(b, a, buyer)
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if err := checkout(ps[0]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					p := ps[int(n.Add(1))%len(ps)]
					for pb.Next() {
						if err := checkout(p); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkRefundPreview is the refund-eligibility decision of a paid
// order as GET /orders/{id}/refund-eligibility takes it: the order, its
// payments, standing, metered traffic and the policy read, then
// refund.Evaluate.
func BenchmarkRefundPreview(b *testing.B) {
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			a, f := benchApp(b, h, 1, 0)
			ctx := context.Background()
			p := benchPrincipal(b, a, f.Buyers[0])
			o, _, err := a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: f.ProductID, PlanID: f.PlanID, Cycle: f.Cycle, Quantity: 1}},
				Agreement: app.AgreementAck{Acknowledged: f.Acknowledged}}, app.Idem{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := a.RefundPreview(ctx, p, o.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIngestUsage is one node batch of 100 one-second samples for a
// traffic-billed service (app.IngestUsage: parse, validate, store each
// sample and its hourly roll-ups, check the quota); samples/s is reported.
func BenchmarkIngestUsage(b *testing.B) {
	const size = 100
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			a, f := benchApp(b, h, 1, 1)
			ctx := context.Background()
			svc := f.Services[0]
			next := 0
			batch := func() []byte {
				var s strings.Builder
				s.WriteString(`{"samples":[`)
				for k := range size {
					if k > 0 {
						s.WriteByte(',')
					}
					at := svc.StartsAt.Add(-30*24*time.Hour + time.Duration(next+k)*time.Second).UTC().Format(time.RFC3339)
					fmt.Fprintf(&s, `{"service_id":%q,"interval_start":%q,"interval_seconds":1,"rx_bytes":100,"tx_bytes":1000}`, svc.ID, at)
				}
				next += size
				s.WriteString(`]}`)
				return []byte(s.String())
			}
			for b.Loop() {
				res, err := a.IngestUsage(ctx, f.NodeToken, batch())
				if err != nil || res.Accepted != size {
					b.Fatalf("ingest: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkAcceptSweepInsideWindows is one run of the acceptance sweep
// (clause 2.3) while 600 deliveries are inside their inspection window
// and none is due: what every instance pays every sweep interval on any
// day with that many sales (ADR 20).
func BenchmarkAcceptSweepInsideWindows(b *testing.B) {
	const open = 600
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			a, f := benchApp(b, h, 8, 0)
			ctx := app.WithActor(context.Background(), app.Actor{ClientIP: "127.0.0.1"})
			req := app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: f.ProductID, PlanID: f.PlanID, Cycle: f.Cycle, Quantity: 1}},
				Agreement: app.AgreementAck{Acknowledged: f.Acknowledged}, Pay: &app.CheckoutPay{Method: app.MethodBalance}}
			for i := range open {
				p := benchPrincipal(b, a, f.Buyers[i%len(f.Buyers)])
				v, _, err := a.Checkout(ctx, p, req, app.Idem{})
				if err != nil {
					b.Fatal(err)
				}
				if err := a.DeliverOrderForTest(ctx, v.ID); err != nil { // no provisioning job runs here
					b.Fatal(err)
				}
			}
			now := time.Now().Add(time.Hour)
			for b.Loop() {
				if n, err := a.RunSweepForTest(ctx, "delivery.accept", now); err != nil || n != 0 {
					b.Fatalf("sweep: %d accepted, %v", n, err)
				}
			}
		})
	}
}
