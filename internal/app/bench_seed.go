package app

import (
	"context"
	"fmt"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// BenchFixture is what `yuanxu bench` drives a fresh sandbox server with:
// funded, verified buyers with a session each, the plan they check out,
// the key clauses a checkout acknowledges, and traffic-billed services on
// the sandbox node with the node's token, for usage ingestion.
type BenchFixture struct {
	Buyers []BenchBuyer
	// ProductID, PlanID and Cycle name an unlimited-stock, sandbox-delivered
	// plan of the demo catalog (no coupon, no stock row: checkouts of
	// different buyers share no row but the revenue account, ADR 5).
	ProductID, PlanID, Cycle string
	Acknowledged             []string
	NodeToken                string
	Services                 []BenchService
}

// BenchBuyer is one customer of the fixture: an active individual with
// approved real-name verification and the largest cash balance the ledger
// allows, signed in (Session is its session token).
type BenchBuyer struct {
	AccountID string
	Session   string
}

// BenchService is a delivered traffic-billed service on the sandbox node.
type BenchService struct {
	ID       string
	StartsAt time.Time
}

// SeedBench seeds the demo catalog and n buyers, and buys services
// traffic-billed servers for the first buyer through the real checkout,
// waiting (up to a minute) until the sandbox driver has delivered them.
// The app must be started (delivery runs as jobs) and in sandbox mode:
// it refuses a production database. It is meant for a fresh database.
func (a *App) SeedBench(ctx context.Context, n, services int) (BenchFixture, error) {
	f := BenchFixture{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month"}
	if a.sandbox == nil {
		return f, errNotSandbox
	}
	if err := a.SeedDemoCatalog(ctx); err != nil {
		return f, err
	}
	ctx = WithActor(ctx, Actor{ID: "system:bench", ClientIP: "127.0.0.1"})
	f.Acknowledged = a.keyClausesInForce(ctx)
	hash, err := a.acc().hasher.Hash(ctx, "bench-"+fmt.Sprint(time.Now().UnixNano()))
	if err != nil {
		return f, err
	}
	for i := range n {
		b, err := a.seedBenchBuyer(ctx, i, hash)
		if err != nil {
			return f, fmt.Errorf("bench buyer %d: %w", i, err)
		}
		f.Buyers = append(f.Buyers, b)
	}
	if services == 0 || n == 0 {
		return f, nil
	}
	l, err := loadAccount(ctx, a.db, f.Buyers[0].AccountID)
	if err != nil {
		return f, err
	}
	p := l.principal()
	for range services {
		o, _, err := a.Checkout(ctx, p, CheckoutRequest{Lines: []LineRequest{{ProductID: "cs-nc-traffic", PlanID: "t2", Cycle: "month", Quantity: 1}},
			Agreement: AgreementAck{Acknowledged: f.Acknowledged}}, Idem{})
		if err != nil {
			return f, err
		}
		if _, err := a.PayOrder(ctx, p, o.ID, PayRequest{Method: MethodBalance}); err != nil {
			return f, err
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ids, err := store.ServicesOnNode(ctx, a.db, SandboxNode, p.AccountID)
		if err != nil {
			return f, err
		}
		if len(ids) >= services {
			for _, sid := range ids {
				r, err := store.ServiceGet(ctx, a.db, sid)
				if err != nil {
					return f, err
				}
				f.Services = append(f.Services, BenchService{ID: sid, StartsAt: r.StartsAt})
			}
			break
		}
		if time.Now().After(deadline) {
			return f, fmt.Errorf("bench: %d of %d services delivered after a minute", len(ids), services)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.NodeToken, err = a.nodeToken(ctx, SandboxNode, "sandbox", "sandbox")
	return f, err
}

// seedBenchBuyer creates buyer i (bench-i@bench.yuanxu.test), verifies it
// through the sandbox verifier (approving a submission left pending),
// funds it and signs it in.
func (a *App) seedBenchBuyer(ctx context.Context, i int, hash string) (BenchBuyer, error) {
	s := demoSpec{kind: account.KindIndividual, email: fmt.Sprintf("bench-%d@bench.yuanxu.test", i), phone: fmt.Sprintf("1390%07d", i),
		name: fmt.Sprintf("bench buyer %d", i)}
	c, err := a.parseContact(s.email, "email")
	if err != nil {
		return BenchBuyer{}, err
	}
	aid, err := a.seedAccount(ctx, s, c, hash, "", "")
	if err != nil {
		return BenchBuyer{}, err
	}
	l, err := loadAccount(ctx, a.db, aid)
	if err != nil {
		return BenchBuyer{}, err
	}
	v, err := a.KYCSubmit(ctx, l.principal(), aid, KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "测试",
		IDNumber: pii.Secret(DemoResidentID(fmt.Sprintf("1985%02d%02d", 1+i/28%12, 1+i%28), i)), Phone: pii.Secret(s.phone)})
	if err != nil {
		return BenchBuyer{}, err
	}
	if v.State == kyc.StatePending && v.Current != nil {
		if _, err := a.kycDecide(ctx, "system", v.Current.ID, kyc.StateApproved, KYCDecision{Decision: KYCApprove}); err != nil {
			return BenchBuyer{}, err
		}
	}
	b := BenchBuyer{AccountID: aid}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := a.seedBalance(ctx, tx, aid, wallet.MaxAmount, "bench-seed"); err != nil {
			return err
		}
		_, tok, err := a.newSession(ctx, tx, l.row, false, "yuanxu bench")
		b.Session = tok
		return err
	})
	return b, err
}
