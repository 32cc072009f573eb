package bench

import (
	"context"
	"slices"
	"sync"
	"time"
)

// op is one unit of load a client issues; it returns how many units of
// work it did (checkouts: 1, a usage batch: its samples) or an error.
type op func(ctx context.Context, client int) (units int, err error)

// measured is what a load run observed.
type measured struct {
	Units    int64
	Ops      int64
	Errors   int64
	FirstErr error
	Elapsed  time.Duration
	// ProcCPU and DBCPU are the CPU this process and the PostgreSQL
	// server used during the case (Options.profiled; zero when not read).
	ProcCPU, DBCPU time.Duration
	// WAL is the write-ahead log PostgreSQL wrote during the case, when
	// WALOK (Options.profiled, pgbenchCeiling).
	WAL   walUse
	WALOK bool
	// Drain is the part of Elapsed spent after the last request, waiting
	// for the notices the requests' commits queued to be sent and
	// recorded (instance.drainNotices); DrainLeft how many were still
	// pending when that wait gave up.
	Drain     time.Duration
	DrainLeft int64
	// Notices is how many messages the stand-in mail relay and SMS
	// provider accepted from the start of the run to the end of Drain.
	Notices int64
	// Batched, Batches and Alone are the transactions that committed in
	// PostgreSQL batches, those batches, and the transactions run again
	// alone after their batch failed, over the same span (ADR 30; zero on
	// SQLite or with batches off).
	Batched, Batches, Alone uint64
	// ev is every request, in issue order per client; lat the latencies of
	// those that succeeded, sorted (done), or a ceiling's one average.
	lat []time.Duration
	ev  []event
}

// event is one request: when it was issued (or due), how long it took.
type event struct {
	at     time.Time
	d      time.Duration
	failed bool
}

// perSecond is units per second of elapsed wall time.
func (m measured) perSecond() float64 {
	if m.Elapsed <= 0 {
		return 0
	}
	return float64(m.Units) / m.Elapsed.Seconds()
}

// quantile is the q-th latency quantile (nearest rank), in milliseconds.
func (m measured) quantile(q float64) float64 {
	if len(m.lat) == 0 {
		return 0
	}
	i := int(q*float64(len(m.lat))+0.999999) - 1
	i = max(0, min(i, len(m.lat)-1))
	return float64(m.lat[i]) / float64(time.Millisecond)
}

func (m *measured) merge(o *measured) {
	m.Units += o.Units
	m.Ops += o.Ops
	m.Errors += o.Errors
	if m.FirstErr == nil {
		m.FirstErr = o.FirstErr
	}
	m.ev = append(m.ev, o.ev...)
}

func (m *measured) record(units int, err error, at time.Time, d time.Duration) {
	m.Ops++
	m.ev = append(m.ev, event{at: at, d: d, failed: err != nil})
	if err != nil {
		m.Errors++
		if m.FirstErr == nil {
			m.FirstErr = err
		}
		return
	}
	m.Units += int64(units)
}

// done sets lat from ev: the latencies of the requests that succeeded,
// sorted for quantile.
func (m *measured) done() {
	m.lat = make([]time.Duration, 0, len(m.ev))
	for _, e := range m.ev {
		if !e.failed {
			m.lat = append(m.lat, e.d)
		}
	}
	slices.Sort(m.lat)
}

// closedLoop runs clients goroutines, each issuing o back to back until d
// has passed (a closed loop: a client waits for its answer before the next
// request). Requests in flight at d finish and count; the elapsed time
// runs until the last of them, so every client completes at least one.
func closedLoop(ctx context.Context, clients int, d time.Duration, o op) measured {
	per := make([]measured, clients)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for c := range clients {
		wg.Go(func() {
			m := &per[c]
			for ctx.Err() == nil {
				t0 := time.Now()
				n, err := o(ctx, c)
				m.record(n, err, t0, time.Since(t0))
				if !time.Now().Before(stop) {
					return
				}
			}
		})
	}
	wg.Wait()
	var all measured
	for i := range per {
		all.merge(&per[i])
	}
	all.Elapsed = time.Since(start)
	all.done()
	return all
}

// fixedRate issues o rate times a second for d (an open loop: requests do
// not wait for earlier answers). Latency counts from the instant a request
// was due, so a stalled server is not hidden (no coordinated omission).
func fixedRate(ctx context.Context, rate int, d time.Duration, o op) measured {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	var mu sync.Mutex
	var all measured
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			select {
			case <-ctx.Done():
				break
			case <-time.After(w):
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			units, err := o(ctx, i)
			lat := time.Since(due)
			mu.Lock()
			all.record(units, err, due, lat)
			mu.Unlock()
		})
	}
	wg.Wait()
	all.Elapsed = time.Since(start)
	all.done()
	return all
}
