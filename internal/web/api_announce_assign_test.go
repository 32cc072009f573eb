package web_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// TestAssignmentObjectionPaysTheUnusedTermToTheOriginalRoute (clause 9.3):
// operations notice an assignment 31 days ahead; ten days later a customer
// with a balance-paid server and a server paid by a split (¥10 balance,
// the rest by WeChat Pay) objects and leaves. Each order gets one refund
// of kind assignment for the pro-rata unused term, spread over its
// payments: the balance parts back to the balance, the WeChat Pay part
// refunded at the gateway; both orders end refunded, their services
// terminated. Objecting again and replaying the gateway's notifications
// pay nothing more: one refund_to_* and one payout per refund on the
// ledger, which verifies (newCommerceServer).
func TestAssignmentObjectionPaysTheUnusedTermToTheOriginalRoute(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, cust := verifiedCustomer(t, s, langs[1])

	topUp(t, c, 10000)
	split := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	at := *payOrder(t, c, split.ID, map[string]any{"method": "split", "balance_fen": 1000, "gateway": "wechatpay"}).PendingAttempt
	if err := s.Gateway.Pay("wechatpay", at.Ref); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, c, split.ID)
	bal := pay(t, c, checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1)).ID)
	expires := map[string]time.Time{}
	eventually(t, "both servers delivered", func() bool {
		for _, sv := range webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", "/api/v1/services?limit=100", nil), http.StatusOK).Items {
			if sv.State == "active" {
				expires[sv.OrderID] = sv.ExpiresAt
			}
		}
		return len(expires) == 2
	})
	cash0 := walletOf(t, c).Balance.CashFen // 10000 - 1000 - 3900

	as := webtest.Decode[app.AssignmentView](t, staffClient(t, s, account.RoleOperations).Do(t, "POST", "/api/v1/staff/assignments", map[string]any{"assignee": "示例受让科技有限公司",
		"effective_at": s.App.Now().AddDate(0, 0, 31).Format(time.RFC3339)}), http.StatusCreated)
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"advance": "240h"}), http.StatusOK)
	// Ten days on, the sessions have lapsed: sign in again.
	c = signIn(t, s, langs[1], cust.Email, cust.Password, false)
	ops := staffClient(t, s, account.RoleOperations)
	fin := staffClient(t, s, account.RoleFinance)
	now := s.App.Now()
	want := map[string]int64{}
	for oid, exp := range expires {
		want[oid] = announce.ProRata(3900, exp.AddDate(0, -1, 0), exp, now)
	}
	o := webtest.Decode[app.ObjectionView](t, c.Do(t, "POST", "/api/v1/assignments/"+as.ID+"/objection", nil), http.StatusCreated)
	if len(o.Amounts) != 2 || len(o.Refunds) != 2 {
		t.Fatalf("objection %+v", o)
	}
	refundOf := map[string]app.ObjectionRefund{}
	for _, r := range o.Refunds {
		refundOf[r.OrderID] = r
		if d := r.AmountFen - want[r.OrderID]; d < -1 || d > 1 || r.AmountFen < 2500 {
			t.Errorf("order %s refunded %d, pro rata %d", r.OrderID, r.AmountFen, want[r.OrderID])
		}
	}
	if refundOf[bal.ID].State != "paid" || o.TotalFen != refundOf[bal.ID].AmountFen+refundOf[split.ID].AmountFen {
		t.Fatalf("refunds %+v total %d", o.Refunds, o.TotalFen)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/assignments/"+as.ID+"/objection", nil), http.StatusConflict, "announce.already_objected", "", "")

	// The split's refund: its ¥10 balance part back at once, the rest by a
	// WeChat Pay refund of the same trade.
	splitFen := refundOf[split.ID].AmountFen
	eventually(t, "the gateway refund settled", func() bool {
		for _, a := range webtest.Decode[page[app.AssignmentView]](t, c.Do(t, "GET", "/api/v1/assignments", nil), http.StatusOK).Items {
			for _, ob := range a.Objections {
				for _, r := range ob.Refunds {
					if r.OrderID == split.ID {
						return r.State == "paid" && !r.PaidAt.IsZero()
					}
				}
			}
		}
		return false
	})
	tr, _ := s.Gateway.Trade("wechatpay", at.Ref)
	gwPart := int64(tr.Refunded())
	if gwPart < splitFen*2900/3900 || gwPart > splitFen*2900/3900+1 {
		t.Fatalf("refunded at the gateway %d of %d", gwPart, splitFen)
	}
	if err := s.Gateway.Replay("wechatpay", at.Ref, 3); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if cash := walletOf(t, c).Balance.CashFen; cash != cash0+refundOf[bal.ID].AmountFen+splitFen-gwPart {
		t.Fatalf("cash %d, before %d", cash, cash0)
	}
	for _, oid := range []string{bal.ID, split.ID} {
		if v := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+oid, nil), http.StatusOK); v.State != "refunded" {
			t.Errorf("order %s %s", oid, v.State)
		}
		if st := servicesOfOrder(t, c, oid); !slices.Equal(st, []string{"terminated"}) {
			t.Errorf("services of %s: %v", oid, st)
		}
		r := webtest.Decode[app.RefundView](t, c.Do(t, "GET", "/api/v1/refunds/"+refundOf[oid].ID, nil), http.StatusOK)
		if r.Kind != "assignment" || r.State != "paid" || r.Destination != "original_route" || r.AmountFen != refundOf[oid].AmountFen {
			t.Errorf("refund %+v", r)
		}
	}

	// The ledger: one refund transaction per refund, and one payout (the
	// gateway part), whatever the replays.
	count := func(acct, reason, refundID string) int {
		n := 0
		l := webtest.Decode[page[app.LedgerEntryView]](t, fin.Do(t, "GET", "/api/v1/staff/ledger?account="+acct+"&limit=100", nil), http.StatusOK)
		for _, e := range l.Items {
			if e.Reason == reason && e.Links["refund"] == refundID {
				n++
			}
		}
		return n
	}
	if n := count("revenue", "refund_to_balance", refundOf[bal.ID].ID); n != 1 {
		t.Errorf("%d balance refunds of the balance order", n)
	}
	if n := count("revenue", "refund_to_balance", refundOf[split.ID].ID) + count("revenue", "refund_to_route", refundOf[split.ID].ID); n != 2 {
		t.Errorf("%d refund transactions of the split order", n)
	}
	if n := count("refunds_payable", "payout", refundOf[split.ID].ID); n != 1 {
		t.Errorf("%d payouts of the split order", n)
	}
	staff := webtest.Decode[page[app.AssignmentView]](t, ops.Do(t, "GET", "/api/v1/staff/assignments", nil), http.StatusOK)
	if len(staff.Items) != 1 || len(staff.Items[0].Objections) != 1 || len(staff.Items[0].Objections[0].Refunds) != 2 {
		t.Errorf("staff view %+v", staff)
	}
}
