package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/usage"
)

// Traffic metering (issue 14, clause 3.1.a). Nodes report samples with a
// token; a sample is stored once per (service, interval start) — an
// identical resend is a no-op, a conflicting one is quarantined — and its
// billed customer bytes are added to hourly roll-ups (split pro rata over
// the hours it spans), so that "billed bytes between A and B" reads whole
// hours from the roll-ups and only the edge hours' samples. A
// traffic-billed server's quota (plus its valid packs) is checked after
// every batch: alerts at 80 % and 100 %, suspension (reason quota) at
// 100 %, resumption when a pack is bought or the cycle renews.

// SandboxNode is the node the sandbox driver places services on.
const SandboxNode = "sandbox"

// CodeNodeUnauthorized: no node has this token.
const CodeNodeUnauthorized = "usage.node_unauthorized"

func tokenHash(tok string) string { s := sha256.Sum256([]byte(tok)); return hex.EncodeToString(s[:]) }

// NodeToken sets (rotates) the token a node reports with and returns it;
// admins only (provisioning.manage). The node is created if new.
func (a *App) NodeToken(ctx context.Context, p account.Principal, nodeID, name, region string) (string, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return "", err
	}
	return a.nodeToken(ctx, nodeID, name, region)
}

func (a *App) nodeToken(ctx context.Context, nodeID, name, region string) (string, error) {
	if !validSlug(nodeID) {
		return "", fieldErr("app.NodeToken", "usage.node_invalid", errs.Invalid, "node_id", "format", "letters, digits, - and _", nil)
	}
	tok := "ynode_" + id.New() + id.New()
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.NodePut(ctx, store.NodeRow{ID: nodeID, Name: name, Region: region, Sandbox: nodeID == SandboxNode, CreatedAt: tx.Now}); err != nil {
			return err
		}
		if _, err := tx.NodeSetToken(ctx, nodeID, tokenHash(tok)); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.token_set", SubjectType: "node", SubjectID: nodeID})
	})
	return tok, err
}

// ensureSandboxNode makes the sandbox node exist (no token until an admin
// sets one).
func (a *App) ensureSandboxNode(ctx context.Context, tx *store.Tx) error {
	if a.sandboxNode.Load() {
		return nil // put and committed earlier by this process; nodes are never deleted
	}
	if err := tx.NodePut(ctx, store.NodeRow{ID: SandboxNode, Name: "sandbox", Region: "sandbox", Sandbox: true, CreatedAt: tx.Now}); err != nil {
		return err
	}
	tx.AfterCommit(func() { a.sandboxNode.Store(true) })
	return nil
}

// IngestResult says what became of a batch.
type IngestResult struct {
	Accepted    int             `json:"accepted" example:"98"`
	Duplicates  int             `json:"duplicates" example:"1"`
	Quarantined int             `json:"quarantined" example:"1"`
	Rejected    []IngestProblem `json:"rejected"`
}

// IngestProblem is one sample refused or quarantined, with why.
type IngestProblem struct {
	Index  int    `json:"index" example:"3"`
	Reason string `json:"reason" example:"conflict"`
	Detail string `json:"detail,omitempty" example:"samples[3].tx_bytes: absurd"`
}

// IngestUsage stores a batch a node sent (POST /api/v1/usage): the node is
// found by its token (usage.node_unauthorized otherwise); samples that are
// invalid or name an unknown service are rejected, those for a service not
// on this node or conflicting with a stored one are quarantined; the rest
// are stored and counted. A batch that cannot be read is refused whole.
func (a *App) IngestUsage(ctx context.Context, nodeToken string, raw []byte) (IngestResult, error) {
	node, err := a.AuthenticateNode(ctx, nodeToken) // delivery_node.go: revoked tokens are refused
	if err != nil {
		return IngestResult{}, err
	}
	samples, verrs, err := usage.ParseBatch(raw, a.Now())
	if err != nil {
		return IngestResult{}, err
	}
	return a.ingest(WithActor(ctx, Actor{ID: "node:" + node.ID}), node.ID, samples, verrs)
}

// RecordUsage stores samples as the sandbox node would (yuanxu admin usage
// record, the demo generator, tests); the services must be on a node.
func (a *App) RecordUsage(ctx context.Context, samples []usage.Sample) (IngestResult, error) {
	now := a.Now()
	verrs := make([]error, len(samples))
	for i, s := range samples {
		verrs[i] = s.Validate(now, fmt.Sprintf("samples[%d]", i))
	}
	return a.ingest(WithActor(ctx, Actor{ID: "system"}), "", samples, verrs)
}

// ingestTarget is what storing samples of one service needs, read once
// per batch.
type ingestTarget struct {
	svc     store.ServiceRow
	meter   store.ServiceMeter
	dir     catalog.Direction
	product productRead // as read for dir; the quota check works on it too
}

// hourKey is one service's hour in the roll-ups.
type hourKey struct {
	service string
	hour    int64 // Unix ms
}

// ingest stores a batch in ONE transaction (one commit, one fsync on
// SQLite, however many samples): each sample is inserted, or recognised as
// a duplicate, or quarantined (not_on_node, conflict) exactly as before,
// and the batch's hourly roll-ups are summed in memory and added once per
// (service, hour) in a fixed order, so concurrent batches lock hour rows
// in the same order. A storage error rolls the whole batch back (the node
// resends it; stored samples are immutable, so a resend is safe); before,
// the samples ahead of the error stayed stored. Quota checks follow, one
// transaction per touched service.
func (a *App) ingest(ctx context.Context, nodeID string, samples []usage.Sample, verrs []error) (IngestResult, error) {
	res := IngestResult{Rejected: []IngestProblem{}}
	targets := map[string]*ingestTarget{}
	for i, s := range samples {
		if verrs[i] != nil {
			continue
		}
		if _, seen := targets[s.ServiceID]; seen {
			continue
		}
		svc, err := store.ServiceGet(ctx, a.db, s.ServiceID)
		if store.IsNotFound(err) {
			targets[s.ServiceID] = nil
			continue
		}
		if err != nil {
			return res, err
		}
		t := &ingestTarget{svc: svc}
		if t.meter, err = store.ServiceMeterGet(ctx, a.db, svc.ID); err != nil {
			return res, err
		}
		if t.product, err = readProduct(ctx, a.db, svc.ProductID); err != nil {
			return res, err
		}
		t.dir = billedDirectionOf(t.product.view)
		targets[s.ServiceID] = t
	}
	outcomes := make([]string, len(samples))
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.ingestTx(ctx, tx, nodeID, samples, verrs, targets, outcomes)
	})
	if err != nil {
		return res, err
	}
	touched := map[string]bool{}
	for i, s := range samples {
		t := targets[s.ServiceID]
		switch {
		case verrs[i] != nil:
			res.Rejected = append(res.Rejected, IngestProblem{Index: i, Reason: "invalid", Detail: verrs[i].Error()})
		case t == nil:
			res.Rejected = append(res.Rejected, IngestProblem{Index: i, Reason: "unknown_service"})
		case outcomes[i] == "":
			res.Accepted++
			touched[t.svc.ID] = true
			if t.svc.ParentID != "" {
				touched[t.svc.ParentID] = true
			}
		case outcomes[i] == "duplicate":
			res.Duplicates++
		default:
			res.Quarantined++
			res.Rejected = append(res.Rejected, IngestProblem{Index: i, Reason: outcomes[i]})
		}
	}
	for sid := range touched {
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			for _, t := range targets { // the products the batch was stored under (store.Tx.RememberProduct)
				if t != nil {
					tx.RememberProduct(t.product.row, t.product.plans)
				}
			}
			return a.quotaCheck(ctx, tx, sid)
		}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ingestTx stores the valid samples of known services in tx and sets
// each one's outcome: "" (stored; its hours added to the roll-ups),
// duplicate, not_on_node or conflict (both quarantined). The samples go in
// with multi-row inserts (store.SamplesInsert); one that was not inserted
// is compared with the stored one, as a single insert would have been.
func (a *App) ingestTx(ctx context.Context, tx *store.Tx, nodeID string, samples []usage.Sample, verrs []error, targets map[string]*ingestTarget,
	outcomes []string) error {
	payload := func(s usage.Sample) string {
		b, _ := json.Marshal(map[string]any{"interval_start": s.Start, "interval_seconds": s.Seconds, "rx_bytes": s.RxBytes, "tx_bytes": s.TxBytes, "class": s.Class})
		return string(b)
	}
	var rows []store.SampleRow
	var idx []int
	for i, s := range samples {
		outcomes[i] = ""
		t := targets[s.ServiceID]
		if verrs[i] != nil || t == nil {
			continue
		}
		reporter := nodeID
		if nodeID == "" {
			reporter = t.meter.NodeID
		}
		if t.meter.NodeID == "" || (nodeID != "" && t.meter.NodeID != nodeID) {
			outcomes[i] = "not_on_node"
			if err := tx.QuarantineInsert(ctx, id.NewAt(tx.Now), t.svc.ID, s.Start, payload(s), outcomes[i], reporter); err != nil {
				return err
			}
			continue
		}
		rows = append(rows, store.SampleRow{ServiceID: t.svc.ID, Start: s.Start, Seconds: s.Seconds, RxBytes: int64(s.RxBytes), TxBytes: int64(s.TxBytes),
			Class: string(s.Class), BilledBytes: int64(s.Billed(t.dir)), NodeID: reporter, ReceivedAt: tx.Now})
		idx = append(idx, i)
	}
	inserted, err := tx.SamplesInsert(ctx, rows)
	if err != nil {
		return err
	}
	billed, out := map[hourKey]int64{}, map[hourKey]int64{}
	for k, row := range rows {
		s := samples[idx[k]]
		if inserted[k] {
			if s.Class == usage.Customer {
				splitHours(s, row.TxBytes, out)
			}
			splitHours(s, row.BilledBytes, billed)
			continue
		}
		existing, err := store.SampleGet(ctx, tx, row.ServiceID, row.Start)
		if err != nil {
			return err
		}
		if existing.Seconds == row.Seconds && existing.RxBytes == row.RxBytes && existing.TxBytes == row.TxBytes && existing.Class == row.Class {
			outcomes[idx[k]] = "duplicate"
			continue
		}
		outcomes[idx[k]] = "conflict"
		if err := tx.QuarantineInsert(ctx, id.NewAt(tx.Now), row.ServiceID, s.Start, payload(s), "conflict", row.NodeID); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "usage.sample_quarantined", SubjectType: "service", SubjectID: row.ServiceID,
			Data: map[string]any{"interval_start": s.Start, "reason": "conflict"}}); err != nil {
			return err
		}
	}
	if err := addHourSums(ctx, out, tx.HourOutAdd); err != nil {
		return err
	}
	return addHourSums(ctx, billed, tx.HourAdd)
}

// addHourSums adds each (service, hour) sum with add, in (service, hour)
// order.
func addHourSums(ctx context.Context, sums map[hourKey]int64, add func(context.Context, string, time.Time, int64) error) error {
	keys := slices.SortedFunc(maps.Keys(sums), func(x, y hourKey) int {
		if c := strings.Compare(x.service, y.service); c != 0 {
			return c
		}
		return cmp.Compare(x.hour, y.hour)
	})
	for _, k := range keys {
		if err := add(ctx, k.service, store.FromMs(k.hour), sums[k]); err != nil {
			return err
		}
	}
	return nil
}

// splitHours adds bytes of s to the hours it spans in into, by the same
// rule UsageBetween reads edges with (usage.Sample.BilledAsOf, pro rata by
// time, rounded down cumulatively), so that roll-ups and samples always
// agree to the byte and the hours add up to the whole. Billed bytes feed
// usage_hour; a customer-class sample's outbound bytes feed usage_hour_out
// (the traffic detector's input, issue 16).
func splitHours(s usage.Sample, bytes int64, into map[hourKey]int64) {
	if bytes == 0 {
		return
	}
	b := usage.Sample{ServiceID: s.ServiceID, Start: s.Start, Seconds: s.Seconds, Class: usage.Customer, TxBytes: uint64(bytes)}
	for h := s.Start.Truncate(time.Hour); h.Before(s.End()); h = h.Add(time.Hour) {
		if part := int64(b.BilledAsOf(catalog.DirectionTx, h.Add(time.Hour)) - b.BilledAsOf(catalog.DirectionTx, h)); part != 0 {
			into[hourKey{s.ServiceID, store.Ms(h)}] += part
		}
	}
}

// billedDirection is a product's billed direction: a traffic-billed
// server's own; the sum for VPN tunnels and bandwidth servers; tx (bytes
// delivered) for CDN.
func (a *App) billedDirection(ctx context.Context, productID string) (catalog.Direction, error) {
	pv, err := loadProduct(ctx, a.db, productID)
	if err != nil {
		return "", err
	}
	return billedDirectionOf(pv), nil
}

// billedDirectionOf is the direction product pv bills.
func billedDirectionOf(pv ProductView) catalog.Direction {
	switch {
	case pv.Spec.Server != nil && pv.Spec.Server.Direction != "":
		return catalog.Direction(pv.Spec.Server.Direction)
	case pv.Kind == string(catalog.KindCDN):
		return catalog.DirectionTx
	}
	return catalog.DirectionSum
}

// UsageBetween is the billed customer bytes of a service in [from, to):
// whole hours from the roll-ups, the edge hours from their samples (a
// straddling interval counted pro rata, later intervals ignored).
func (a *App) UsageBetween(ctx context.Context, q store.Querier, serviceID string, from, to time.Time) (int64, error) {
	if !to.After(from) {
		return 0, nil
	}
	firstFull := from.Truncate(time.Hour)
	if firstFull.Before(from) {
		firstFull = firstFull.Add(time.Hour)
	}
	lastFull := to.Truncate(time.Hour)
	var total int64
	if lastFull.After(firstFull) {
		n, err := store.HoursSum(ctx, q, serviceID, firstFull, lastFull)
		if err != nil {
			return 0, err
		}
		total += n
	} else {
		firstFull, lastFull = to, to // no whole hour: all from samples
	}
	edges := [][2]time.Time{{from, earlierOf(firstFull, to)}, {laterOf(lastFull, from), to}}
	if firstFull.Equal(to) {
		edges = edges[:1]
	}
	for _, e := range edges {
		if !e[1].After(e[0]) {
			continue
		}
		ss, err := store.SamplesOverlapping(ctx, q, serviceID, e[0], e[1])
		if err != nil {
			return 0, err
		}
		for _, s := range ss {
			us := usage.Sample{ServiceID: s.ServiceID, Start: s.Start, Seconds: s.Seconds, Class: usage.Customer, TxBytes: uint64(s.BilledBytes)}
			total += int64(us.BilledAsOf(catalog.DirectionTx, e[1]) - us.BilledAsOf(catalog.DirectionTx, e[0]))
		}
	}
	return total, nil
}

// quotaCheck compares a traffic-billed server's use this cycle with its
// allowance (quota plus valid packs): alerts when 80 % or 100 % is first
// reached in the cycle, suspension at 100 % (reason quota), resumption
// when a pack or a new cycle brings it back under.
func (a *App) quotaCheck(ctx context.Context, tx *store.Tx, serverID string) error {
	svc, err := store.ServiceGet(ctx, tx, serverID)
	if err != nil || svc.Kind != string(catalog.KindCloudServer) || svc.State == string(service.StateTerminated) {
		return err
	}
	al, metered, err := a.allowanceOf(ctx, tx, svc)
	if err != nil || !metered {
		return err
	}
	start, _, _, ok := service.CurrentCycle(svc.ExpiresAt, tx.Now, catalog.Cycle(svc.Cycle))
	if !ok {
		return nil
	}
	used, err := a.UsageBetween(ctx, tx, svc.ID, start, tx.Now)
	if err != nil {
		return err
	}
	total := al.Total(tx.Now)
	level := usage.LevelOf(uint64(max(used, 0)), total)
	meter, err := store.ServiceMeterGet(ctx, tx, svc.ID)
	if err != nil {
		return err
	}
	if !meter.QuotaCycleStart.Equal(start) {
		meter.QuotaCycleStart, meter.QuotaLevel = start, 0
	}
	prev, was := meter.QuotaLevel, meter
	meter.QuotaLevel = int(level)
	if meter.QuotaLevel != was.QuotaLevel || !meter.QuotaCycleStart.Equal(was.QuotaCycleStart) { // most batches change neither
		if err := tx.ServiceMeterSet(ctx, svc.ID, meter); err != nil {
			return err
		}
	}
	held := domainService(svc).Holds(service.ReasonQuota)
	switch {
	case level == usage.LevelExhausted && !held:
		if err := a.SuspendService(ctx, tx, svc.ID, service.ReasonQuota, fmt.Sprintf("used %d of %d bytes", used, total)); err != nil {
			return err
		}
	case level != usage.LevelExhausted && held:
		if _, err := a.ResumeService(ctx, tx, svc.ID, service.ReasonQuota, "allowance restored"); err != nil {
			return err
		}
	}
	if int(level) > prev {
		if err := a.Audit(ctx, tx, AuditEntry{Action: "usage.quota_level", SubjectType: "service", SubjectID: svc.ID,
			Data: map[string]any{"level": int(level), "used": used, "total": total}}); err != nil {
			return err
		}
		return a.notifyService(ctx, tx, svc, notify.EventQuotaLevel, map[string]string{"percent": strconv.Itoa(int(level)),
			"used": gib(used), "total": gib(int64(total))})
	}
	return nil
}

// allowanceOf is a traffic-billed server's allowance: its product's
// quota and the live traffic packs attached to it. metered is
// false, with a zero allowance, for any other service.
func (a *App) allowanceOf(ctx context.Context, q store.Querier, svc store.ServiceRow) (al usage.Allowance, metered bool, err error) {
	if svc.Kind != string(catalog.KindCloudServer) {
		return al, false, nil
	}
	pv, err := loadProduct(ctx, q, svc.ProductID)
	if err != nil || pv.Spec.Server == nil || pv.Spec.Server.Billing != string(catalog.BillingTraffic) {
		return al, false, err
	}
	al.Quota = pv.Spec.Server.QuotaBytes
	packs, err := store.Services(ctx, q, store.ServiceFilter{ParentID: svc.ID, States: liveStates})
	if err != nil {
		return al, false, err
	}
	for _, pk := range packs {
		ppv, err := loadProduct(ctx, q, pk.ProductID)
		if err != nil || ppv.Spec.Pack == nil {
			continue
		}
		al.Packs = append(al.Packs, usage.Pack{ID: pk.ID, Bytes: ppv.Spec.Pack.Bytes, From: pk.StartsAt, Until: pk.ExpiresAt, Purchased: pk.CreatedAt})
	}
	return al, true, nil
}

func gib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<30), 'f', 1, 64) + " GiB" }

// quotaSweep rechecks servers suspended for their quota (a new cycle
// brings them back) — the sweep usage.quota.
func (a *App) quotaSweep(ctx context.Context, _ time.Time) (int64, error) {
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{States: []string{string(service.StateSuspended)}, Kind: string(catalog.KindCloudServer), Limit: 500})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range rows {
		if !domainService(r).Holds(service.ReasonQuota) {
			continue
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return a.quotaCheck(ctx, tx, r.ID) }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
