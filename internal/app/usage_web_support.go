package app

import (
	"context"
	"hash/fnv"
	"math"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/usage"
)

// What the usage API, pages and CLI read (issue 14): a service's usage
// with its allowance and series, the quarantined samples, the nodes, and
// the demo generator. Every figure comes from UsageBetween, so a chart,
// a refund preview and a quota check can never disagree.

// UsagePoint is the billed bytes of one hour or one CST day.
type UsagePoint struct {
	Start       time.Time `json:"start" example:"2026-11-26T09:00:00+08:00"`
	BilledBytes int64     `json:"billed_bytes" example:"52428800"`
}

// UsagePackView is a traffic pack counted in a server's allowance.
type UsagePackView struct {
	ID    string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f71"`
	Bytes uint64    `json:"bytes" example:"107374182400"`
	From  time.Time `json:"from,omitzero" example:"2026-11-01T09:00:00+08:00"`
	Until time.Time `json:"until,omitzero" example:"2026-12-01T09:00:00+08:00"`
}

// UsageView is a service's billed customer traffic as its customer and
// staff see it. Quota, packs, allowance and level are set for
// traffic-billed servers only (Metered).
type UsageView struct {
	ServiceID string `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	Name      string `json:"name" example:"南昌云服务器（按流量）"`
	Kind      string `json:"kind" example:"cloud_server"`
	NodeID    string `json:"node_id,omitempty" example:"sandbox"`
	// Direction is what is billed: tx, rx, larger or sum.
	Direction  string    `json:"direction" enum:"tx,rx,larger,sum" example:"tx"`
	CycleStart time.Time `json:"cycle_start,omitzero" example:"2026-11-01T09:00:00+08:00"`
	CycleEnd   time.Time `json:"cycle_end,omitzero" example:"2026-12-01T09:00:00+08:00"`
	// CycleBytes is billed this billing cycle (since the start of the
	// service when it has no running cycle).
	CycleBytes int64 `json:"cycle_bytes" example:"1073741825"`
	// TotalBytes is billed since the service started.
	TotalBytes     int64           `json:"total_bytes" example:"1073741825"`
	Metered        bool            `json:"metered" example:"true"`
	QuotaBytes     uint64          `json:"quota_bytes,omitempty" example:"536870912000"`
	Packs          []UsagePackView `json:"packs"`
	AllowanceBytes uint64          `json:"allowance_bytes,omitempty" example:"536870912000"`
	// Level is 0, 80 or 100: the alert threshold reached this cycle.
	Level   int          `json:"level" enum:"0,80,100" example:"0"`
	Hourly  []UsagePoint `json:"hourly"`
	Daily   []UsagePoint `json:"daily"`
	AsOf    time.Time    `json:"as_of" example:"2026-11-26T10:15:00+08:00"`
	Refused int          `json:"quarantined" example:"0"`
}

// Series lengths of a UsageView.
const (
	UsageHours = 48
	UsageDays  = 30
)

// ServiceUsage is a service's usage: the customer's own (service.read,
// service.not_found for anyone else's), any for staff (account.read_any).
func (a *App) ServiceUsage(ctx context.Context, p account.Principal, serviceID string) (UsageView, error) {
	r, err := a.loadService(ctx, a.db, p, serviceID, "service.read", "account.read_any")
	if err != nil {
		return UsageView{}, err
	}
	return a.usageView(ctx, a.db, r, a.Now())
}

func (a *App) usageView(ctx context.Context, q store.Querier, r store.ServiceRow, now time.Time) (UsageView, error) {
	v := UsageView{ServiceID: r.ID, Name: r.Name, Kind: r.Kind, AsOf: now, Packs: []UsagePackView{}}
	meter, err := store.ServiceMeterGet(ctx, q, r.ID)
	if err != nil {
		return v, err
	}
	v.NodeID = meter.NodeID
	dir, err := a.billedDirection(ctx, r.ProductID)
	if err != nil {
		return v, err
	}
	v.Direction = string(dir)
	begin := r.StartsAt
	if begin.IsZero() {
		begin = r.CreatedAt
	}
	if v.TotalBytes, err = a.UsageBetween(ctx, q, r.ID, begin, now); err != nil {
		return v, err
	}
	v.CycleStart, v.CycleBytes = begin, v.TotalBytes
	if start, end, _, ok := service.CurrentCycle(r.ExpiresAt, now, catalog.Cycle(r.Cycle)); ok {
		v.CycleStart, v.CycleEnd = laterOf(start, begin), end
		if v.CycleBytes, err = a.UsageBetween(ctx, q, r.ID, v.CycleStart, now); err != nil {
			return v, err
		}
	}
	if err := a.usageAllowance(ctx, q, r, now, &v); err != nil {
		return v, err
	}
	first := now.Truncate(time.Hour).Add(-(UsageHours - 1) * time.Hour)
	for i := range UsageHours {
		h := first.Add(time.Duration(i) * time.Hour)
		n, err := a.UsageBetween(ctx, q, r.ID, h, earlierOf(h.Add(time.Hour), now))
		if err != nil {
			return v, err
		}
		v.Hourly = append(v.Hourly, UsagePoint{Start: h, BilledBytes: n})
	}
	today := cstDay(now)
	for i := range UsageDays {
		d := today.AddDate(0, 0, i-(UsageDays-1))
		n, err := a.UsageBetween(ctx, q, r.ID, d, earlierOf(d.AddDate(0, 0, 1), now))
		if err != nil {
			return v, err
		}
		v.Daily = append(v.Daily, UsagePoint{Start: d, BilledBytes: n})
	}
	v.Refused, err = store.QuarantineCount(ctx, q, r.ID)
	return v, err
}

// cstDay is the start of t's day in CST.
func cstDay(t time.Time) time.Time {
	c := t.In(service.CST)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, service.CST)
}

// usageAllowance fills the quota, packs, allowance and level of a
// traffic-billed server (the allowance quotaCheck enforces).
func (a *App) usageAllowance(ctx context.Context, q store.Querier, r store.ServiceRow, now time.Time, v *UsageView) error {
	al, metered, err := a.allowanceOf(ctx, q, r)
	if err != nil || !metered {
		return err
	}
	for _, pk := range al.Packs {
		v.Packs = append(v.Packs, UsagePackView{ID: pk.ID, Bytes: pk.Bytes, From: pk.From, Until: pk.Until})
	}
	v.Metered, v.QuotaBytes = true, al.Quota
	v.AllowanceBytes = al.Total(now)
	v.Level = int(usage.LevelOf(uint64(max(v.CycleBytes, 0)), v.AllowanceBytes))
	return nil
}

// QuarantineView is a sample a node sent that was kept aside.
type QuarantineView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f72"`
	ServiceID string    `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	NodeID    string    `json:"node_id" example:"sandbox"`
	Start     time.Time `json:"interval_start" example:"2026-11-26T09:00:00+08:00"`
	Reason    string    `json:"reason" enum:"conflict,not_on_node" example:"conflict"`
	// Payload is the refused sample as received (JSON).
	Payload    string    `json:"payload" example:"{\"interval_seconds\":300,\"rx_bytes\":1,\"tx_bytes\":2,\"class\":\"customer\"}"`
	ReceivedAt time.Time `json:"received_at" example:"2026-11-26T09:05:00+08:00"`
}

// UsageQuarantine lists the latest quarantined samples, newest first
// (account.read_any; limit 1–500, default 100).
func (a *App) UsageQuarantine(ctx context.Context, p account.Principal, limit int) ([]QuarantineView, error) {
	if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "service"}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := store.QuarantineRecent(ctx, a.db, limit)
	if err != nil {
		return nil, err
	}
	out := make([]QuarantineView, 0, len(rows))
	for _, r := range rows {
		out = append(out, QuarantineView{ID: r.ID, ServiceID: r.ServiceID, NodeID: r.NodeID, Start: r.Start, Reason: r.Reason, Payload: r.Payload,
			ReceivedAt: r.ReceivedAt})
	}
	return out, nil
}

// NodeView is a reporting node with the number of live services on it.
type NodeView struct {
	ID       string `json:"id" example:"sandbox"`
	Name     string `json:"name" example:"sandbox"`
	Region   string `json:"region" example:"sandbox"`
	Sandbox  bool   `json:"sandbox" example:"true"`
	HasToken bool   `json:"has_token" example:"true"`
	Disabled bool   `json:"disabled" example:"false"`
	Services int    `json:"services" example:"3"`
	// Kind, CreatedAt and RevokedAt (the disabling instant) are the
	// delivery capability's (delivery_node.go).
	Kind      string    `json:"kind" enum:"server,vpn,cdn" example:"server"`
	CreatedAt time.Time `json:"created_at" example:"2026-06-01T09:00:00+08:00"`
	RevokedAt time.Time `json:"revoked_at,omitzero" example:"2026-06-02T09:00:00+08:00"`
}

// UsageNodes lists the nodes with their live service counts
// (account.read_any).
func (a *App) UsageNodes(ctx context.Context, p account.Principal) ([]NodeView, error) {
	if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "service"}); err != nil {
		return nil, err
	}
	nodes, err := store.Nodes(ctx, a.db)
	if err != nil {
		return nil, err
	}
	counts, err := store.NodeServiceCounts(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := make([]NodeView, 0, len(nodes))
	for _, n := range nodes {
		v := nodeView(n)
		v.Services = counts[n.ID]
		out = append(out, v)
	}
	return out, nil
}

// DemoUsageResult says what the demo generator recorded.
type DemoUsageResult struct {
	Services int
	Samples  int
	IngestResult
}

// DemoUsage records plausible hourly samples (busier in the CST evening)
// for every live sandbox-node service of the demo individual, from where
// its last stored sample ends (at most a day back, never before the
// service started) to now, split at hour boundaries. Each run adds about
// 1.2 GiB of billed traffic to a service — past the 1 GB refund rule of
// clause 3.1.a — and 85 % of the quota to a traffic-billed server (the
// 80 % alert; a second run exhausts it and the server is suspended,
// reason quota). Runs never conflict: they start where the last ended.
// A service with less than a minute to fill (just bought, or filled by
// the last run) gets nothing: advance the sandbox clock first.
func (a *App) DemoUsage(ctx context.Context) (DemoUsageResult, error) {
	var res DemoUsageResult
	c, err := a.parseContact("individual@demo.yuanxu.test", "email")
	if err != nil {
		return res, err
	}
	acc, err := store.AccountByIndex(ctx, a.db, "email", c.Index)
	if err != nil {
		return res, err
	}
	ids, err := store.ServicesOnNode(ctx, a.db, SandboxNode, acc.ID)
	if err != nil {
		return res, err
	}
	now := a.Now()
	var samples []usage.Sample
	for _, sid := range ids {
		ss, err := a.demoSamples(ctx, sid, now)
		if err != nil {
			return res, err
		}
		if len(ss) > 0 {
			res.Services++
			samples = append(samples, ss...)
		}
	}
	res.Samples = len(samples)
	if len(samples) == 0 {
		res.Rejected = []IngestProblem{}
		return res, nil
	}
	res.IngestResult, err = a.RecordUsage(ctx, samples)
	return res, err
}

// GiB is 2^30 bytes.
const GiB = 1 << 30

func (a *App) demoSamples(ctx context.Context, serviceID string, now time.Time) ([]usage.Sample, error) {
	r, err := store.ServiceGet(ctx, a.db, serviceID)
	if err != nil {
		return nil, err
	}
	from := now.Add(-24 * time.Hour)
	if r.StartsAt.After(from) {
		from = r.StartsAt
	}
	stored, err := store.SamplesOverlapping(ctx, a.db, serviceID, from, now)
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		if end := s.Start.Add(time.Duration(s.Seconds) * time.Second); end.After(from) {
			from = end
		}
	}
	if t := from.Truncate(time.Second); !t.Equal(from) {
		from = t.Add(time.Second)
	}
	now = now.Truncate(time.Second)
	if now.Sub(from) < time.Minute { // just started, or reported up to now
		return nil, nil
	}
	dir, err := a.billedDirection(ctx, r.ProductID)
	if err != nil {
		return nil, err
	}
	target := float64(1.2 * GiB)
	if pv, err := loadProduct(ctx, a.db, r.ProductID); err == nil && pv.Spec.Server != nil && pv.Spec.Server.QuotaBytes > 0 &&
		pv.Spec.Server.Billing == string(catalog.BillingTraffic) {
		target = 0.85 * float64(pv.Spec.Server.QuotaBytes)
	}
	// Spread target over the window, weighted by the CST hour (peak 21:00)
	// with a little deterministic jitter.
	type span struct {
		start time.Time
		secs  int64
		w     float64
	}
	var spans []span
	var wsum float64
	for t := from; t.Before(now); {
		end := earlierOf(t.Truncate(time.Hour).Add(time.Hour), now)
		secs := int64(end.Sub(t) / time.Second)
		if secs >= 1 {
			h := float64(t.In(service.CST).Hour())
			f := fnv.New32a()
			_, _ = f.Write([]byte(serviceID + t.String()))
			w := float64(secs) * (1 + 0.6*math.Cos(2*math.Pi*(h-21)/24)) * (0.9 + 0.2*float64(f.Sum32()%1000)/1000)
			spans = append(spans, span{t, secs, w})
			wsum += w
		}
		t = end
	}
	out := make([]usage.Sample, 0, len(spans))
	for _, sp := range spans {
		billed := uint64(target * sp.w / wsum)
		billed = min(billed, uint64(sp.secs)*usage.MaxBytesPerSecond)
		s := usage.Sample{ServiceID: serviceID, Start: sp.start, Seconds: sp.secs, Class: usage.Customer}
		switch dir {
		case catalog.DirectionRx:
			s.RxBytes, s.TxBytes = billed, billed/4
		case catalog.DirectionSum:
			s.TxBytes = billed * 4 / 5
			s.RxBytes = billed - s.TxBytes
		default: // tx, larger
			s.TxBytes, s.RxBytes = billed, billed/4
		}
		out = append(out, s)
	}
	return out, nil
}
