package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/refund"
	"yuanxu/internal/store"
)

// nodeToken sets the sandbox node's token.
func (s commerceSUT) nodeToken(t *testing.T) string {
	t.Helper()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	tok, err := s.a.NodeToken(context.Background(), ops, app.SandboxNode, "sandbox", "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newMeteredServer is a commerce app with a buyer that owns a delivered
// bandwidth server on the sandbox node, and the node's token.
func newMeteredServer(t *testing.T) (commerceSUT, account.Principal, app.ServiceView, string) {
	t.Helper()
	s := newCommerceApp(t)
	_, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	return s, p, sv, s.nodeToken(t)
}

func batch(samples ...string) []byte {
	return []byte(`{"samples":[` + strings.Join(samples, ",") + `]}`)
}

func sample(svc string, start time.Time, secs int, rx, tx uint64) string {
	return fmt.Sprintf(`{"service_id":%q,"interval_start":%q,"interval_seconds":%d,"rx_bytes":%d,"tx_bytes":%d}`, svc, start.Format(time.RFC3339Nano), secs, rx, tx)
}

func TestUsageIngestionDuplicatesConflictsAndNodes(t *testing.T) {
	t.Parallel()
	s, p, sv, tok := newMeteredServer(t)
	ctx := context.Background()
	t0 := s.clock.Now().Truncate(time.Minute)
	s.clock.Advance(time.Hour)
	b := batch(sample(sv.ID, t0, 300, 100, 1000), sample(sv.ID, t0.Add(5*time.Minute), 300, 0, 2000))
	res, err := s.a.IngestUsage(ctx, tok, b)
	if err != nil || res.Accepted != 2 {
		t.Fatalf("first batch: %+v, %v", res, err)
	}
	// The same again: duplicates, counted once.
	res, err = s.a.IngestUsage(ctx, tok, b)
	if err != nil || res.Duplicates != 2 || res.Accepted != 0 {
		t.Fatalf("resend: %+v, %v", res, err)
	}
	// A conflicting figure for a stored interval is quarantined, not summed.
	res, err = s.a.IngestUsage(ctx, tok, batch(sample(sv.ID, t0, 300, 100, 999999)))
	if err != nil || res.Quarantined != 1 {
		t.Fatalf("conflict: %+v, %v", res, err)
	}
	// Unknown services, bad samples; a wrong token.
	res, err = s.a.IngestUsage(ctx, tok, batch(sample("nope", t0, 60, 1, 1), sample(sv.ID, t0.Add(24*time.Hour), 60, 1, 1)))
	if err != nil || len(res.Rejected) != 2 || res.Rejected[0].Reason != "unknown_service" || res.Rejected[1].Reason != "invalid" {
		t.Fatalf("bad samples: %+v, %v", res, err)
	}
	_, err = s.a.IngestUsage(ctx, "ynode_wrong", b)
	wantKind(t, err, errs.Unauthenticated)
	_, err = s.a.IngestUsage(ctx, tok, []byte(`{"samples":[{"service_id":"x","rx_bytes":-5}]}`))
	wantCode(t, err, "usage.batch_invalid")
	// A service not on this node (a manual-driver product has none).
	home := s.buyService(t, p, "cs-gz-home", "h4")
	res, err = s.a.IngestUsage(ctx, tok, batch(sample(home.ID, t0, 60, 1, 1)))
	if err != nil || res.Quarantined != 1 || res.Rejected[0].Reason != "not_on_node" {
		t.Fatalf("not on node: %+v, %v", res, err)
	}
	used, err := s.a.UsageBetween(ctx, s.db, sv.ID, t0, s.clock.Now())
	if err != nil || used != 100+1000+2000 { // a bandwidth server bills the sum
		t.Fatalf("used %d, %v", used, err)
	}
	// As of an instant: a later interval is ignored, a straddling one pro rata.
	if got, _ := s.a.UsageBetween(ctx, s.db, sv.ID, t0, t0.Add(5*time.Minute)); got != 1100 {
		t.Fatalf("as of the first interval's end: %d", got)
	}
	if got, _ := s.a.UsageBetween(ctx, s.db, sv.ID, t0, t0.Add(150*time.Second)); got != 550 {
		t.Fatalf("half the first interval: %d", got)
	}
}

func TestRefundThresholdIsExactlyTwoToTheThirty(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	tok := s.nodeToken(t)
	for _, c := range []struct {
		bytes uint64
		want  refund.Outcome
	}{{1 << 30, refund.Eligible}, {1<<30 + 1, refund.Ineligible}} {
		o := s.paidOrder(t, p, "cs-nc-traffic", "t2", "month") // billed direction tx
		svcs, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
		var sid string
		for _, sv := range svcs {
			if sv.OrderID == o.ID {
				sid = sv.ID
			}
		}
		start := s.clock.Now()
		s.clock.Advance(time.Hour)
		// rx never counts for a tx-billed server; provider traffic never counts.
		if _, err := s.a.IngestUsage(ctx, tok, batch(sample(sid, start, 600, 50<<30, c.bytes),
			`{"service_id":"`+sid+`","interval_start":"`+start.Add(10*time.Minute).Format(time.RFC3339Nano)+`","interval_seconds":60,"rx_bytes":0,"tx_bytes":999999999,"class":"provider"}`)); err != nil {
			t.Fatal(err)
		}
		d, err := s.a.RefundPreview(ctx, p, o.ID)
		if err != nil || d.Outcome != c.want {
			t.Fatalf("%d bytes: %+v, %v", c.bytes, d, err)
		}
	}
}

func TestQuotaExhaustionSuspendsAndAPackResumes(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-traffic", "t2") // 500 GiB a month, tx
	tok := s.nodeToken(t)
	start := s.clock.Now()
	s.clock.Advance(2 * time.Hour)
	const gib = uint64(1) << 30
	if _, err := s.a.IngestUsage(ctx, tok, batch(sample(sv.ID, start, 3600, 0, 400*gib))); err != nil {
		t.Fatal(err)
	}
	if n := s.notices(t, r.view.ID, "usage.quota_level"); n != 1 {
		t.Fatalf("80%% alerts = %d", n)
	}
	if _, err := s.a.IngestUsage(ctx, tok, batch(sample(sv.ID, start.Add(time.Hour), 3600, 0, 100*gib))); err != nil {
		t.Fatal(err)
	}
	got, _ := s.a.Service(ctx, p, sv.ID)
	if got.State != "suspended" || got.Suspensions[0].Reason != "quota" || s.notices(t, r.view.ID, "usage.quota_level") != 2 {
		t.Fatalf("at 100%%: %+v", got)
	}
	// A pack for this server lifts the suspension.
	pack := app.LineRequest{ProductID: "pack-100g", PlanID: "p100", Cycle: "one_off", Quantity: 1, AttachTo: sv.ID}
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{pack}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.a.Service(ctx, p, sv.ID); got.State != "active" {
		t.Fatalf("after the pack: %+v", got)
	}
}

// TestUsageBatchStoresNeighboursOfRefusedSamplesAndExactHours: a batch is
// stored in one transaction, and one sample's fate never decides its
// neighbours': with a sample repeated in the same batch (a duplicate), a
// conflicting figure for it (quarantined), an unknown service and an
// invalid sample in the middle, the valid samples are stored, and the
// hourly roll-ups summed in memory for the batch equal, hour by hour, what
// the samples hold — samples straddling an hour split pro rata.
func TestUsageBatchStoresNeighboursOfRefusedSamplesAndExactHours(t *testing.T) {
	t.Parallel()
	s, _, sv, tok := newMeteredServer(t)
	ctx := context.Background()
	h0 := s.clock.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	s.clock.Advance(time.Hour)
	res, err := s.a.IngestUsage(ctx, tok, batch(
		sample(sv.ID, h0.Add(50*time.Minute), 1200, 100, 1200), // 10 min in h0, 10 in h0+1
		sample(sv.ID, h0.Add(50*time.Minute), 1200, 100, 1200), // the same again: a duplicate
		sample(sv.ID, h0.Add(50*time.Minute), 1200, 100, 7),    // another figure: quarantined
		sample("nope", h0, 60, 1, 1),                           // unknown service
		sample(sv.ID, h0.Add(24*time.Hour), 60, 1, 1),          // in the future: invalid
		sample(sv.ID, h0.Add(70*time.Minute), 3600, 0, 3600),   // 50 min in h0+1, 10 in h0+2
		sample(sv.ID, h0, 600, 40, 20),                         // inside h0
	))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Duplicates != 1 || res.Quarantined != 1 || len(res.Rejected) != 3 {
		t.Fatalf("outcomes: %+v", res)
	}
	reasons := map[int]string{}
	for _, r := range res.Rejected {
		reasons[r.Index] = r.Reason
	}
	if reasons[2] != "conflict" || reasons[3] != "unknown_service" || reasons[4] != "invalid" {
		t.Fatalf("rejected: %+v", res.Rejected)
	}
	// A bandwidth server bills rx+tx; whole hours come from the roll-ups.
	for _, c := range []struct {
		from, to time.Time
		want     int64
	}{
		{h0, h0.Add(time.Hour), 60 + 650},                      // the last sample, and 10/20 of the first
		{h0.Add(time.Hour), h0.Add(2 * time.Hour), 650 + 3000}, // the rest of the first, 50/60 of the second
		{h0.Add(2 * time.Hour), h0.Add(3 * time.Hour), 600},
		{h0, h0.Add(3 * time.Hour), 60 + 1300 + 3600},
	} {
		if got, err := s.a.UsageBetween(ctx, s.db, sv.ID, c.from, c.to); err != nil || got != c.want {
			t.Errorf("billed in [%v, %v): %d, %v; want %d", c.from, c.to, got, err, c.want)
		}
	}
	// The outbound roll-ups (the traffic detector's input) likewise.
	out, err := store.HoursOut(ctx, s.db, sv.ID, h0, h0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if out[h0] != 20+600 || out[h0.Add(time.Hour)] != 600+3000 || out[h0.Add(2*time.Hour)] != 600 {
		t.Fatalf("outbound hours: %v", out)
	}
}

// TestUsageBatchAcrossInsertStatements: a batch larger than one insert
// statement (store.SamplesInsert takes statements of 64, 32, 16 and 8 rows
// on SQLite for 120 samples) keeps each
// sample's outcome: a sample repeated in a later statement is a duplicate,
// a different figure for one stored in an earlier statement is
// quarantined, and every other sample is counted once.
func TestUsageBatchAcrossInsertStatements(t *testing.T) {
	t.Parallel()
	s, _, sv, tok := newMeteredServer(t)
	ctx := context.Background()
	t0 := s.clock.Now().Truncate(time.Hour).Add(-2 * time.Hour)
	var ss []string
	var want int64
	for i := range 120 {
		at := t0.Add(time.Duration(i) * time.Minute)
		switch i {
		case 75:
			ss = append(ss, sample(sv.ID, t0.Add(10*time.Minute), 60, 1, 10+10)) // sample 10 again
		case 110:
			ss = append(ss, sample(sv.ID, t0.Add(55*time.Minute), 60, 1, 999)) // sample 55, another figure
		default:
			ss = append(ss, sample(sv.ID, at, 60, 1, uint64(10+i)))
			want += 1 + int64(10+i)
		}
	}
	res, err := s.a.IngestUsage(ctx, tok, batch(ss...))
	if err != nil || res.Accepted != 118 || res.Duplicates != 1 || res.Quarantined != 1 || len(res.Rejected) != 1 || res.Rejected[0].Index != 110 {
		t.Fatalf("outcomes: %+v, %v", res, err)
	}
	if got, err := s.a.UsageBetween(ctx, s.db, sv.ID, t0, t0.Add(3*time.Hour)); err != nil || got != want {
		t.Fatalf("billed %d, %v; want %d", got, err, want)
	}
}

// TestUsageLargestBatchMixedOutcomes: a batch of the largest size (1,000
// samples: several insert statements on SQLite, one on PostgreSQL) that
// resends an earlier batch — identical samples are duplicates, a changed
// one is a conflict — and repeats samples of its own across statements
// (an identical repeat is a duplicate, a changed one a conflict) keeps
// every outcome and bills each stored sample once.
func TestUsageLargestBatchMixedOutcomes(t *testing.T) {
	t.Parallel()
	s, _, sv, tok := newMeteredServer(t)
	ctx := context.Background()
	t0 := s.clock.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	at := func(k int) time.Time { return t0.Add(time.Duration(k) * 5 * time.Second) }
	var first []string
	var want int64
	for k := range 100 {
		first = append(first, sample(sv.ID, at(k), 5, 1, uint64(k)))
		want += 1 + int64(k)
	}
	if res, err := s.a.IngestUsage(ctx, tok, batch(first...)); err != nil || res.Accepted != 100 {
		t.Fatalf("first batch: %+v, %v", res, err)
	}
	var ss []string
	for k := range 1000 {
		switch {
		case k == 50:
			ss = append(ss, sample(sv.ID, at(k), 5, 1, 12345)) // resent with another figure: conflict
		case k < 100:
			ss = append(ss, first[k]) // resent as it was: duplicate
		case k == 600:
			ss = append(ss, sample(sv.ID, at(599), 5, 1, 599)) // sample 599 again: duplicate
		case k == 700:
			ss = append(ss, sample(sv.ID, at(650), 5, 2, 650)) // sample 650, another figure: conflict
		default:
			ss = append(ss, sample(sv.ID, at(k), 5, 1, uint64(k)))
			want += 1 + int64(k)
		}
	}
	res, err := s.a.IngestUsage(ctx, tok, batch(ss...))
	if err != nil || res.Accepted != 898 || res.Duplicates != 100 || res.Quarantined != 2 || len(res.Rejected) != 2 ||
		res.Rejected[0].Index != 50 || res.Rejected[0].Reason != "conflict" || res.Rejected[1].Index != 700 || res.Rejected[1].Reason != "conflict" {
		t.Fatalf("outcomes: accepted %d, duplicates %d, quarantined %d, rejected %+v, %v", res.Accepted, res.Duplicates, res.Quarantined, res.Rejected, err)
	}
	if got, err := s.a.UsageBetween(ctx, s.db, sv.ID, t0, t0.Add(3*time.Hour)); err != nil || got != want {
		t.Fatalf("billed %d, %v; want %d", got, err, want)
	}
	if n, err := store.QuarantineCount(ctx, s.db, sv.ID); err != nil || n != 2 {
		t.Fatalf("quarantined rows: %d, %v; want 2", n, err)
	}
}
