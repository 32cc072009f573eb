package pages

import (
	"strconv"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
)

// usageView turns a service's usage into its page's view model.
func usageView(pg Page, u app.UsageView, back string) UsageView {
	l := pg.Lang
	v := UsageView{Page: pg, ServiceID: u.ServiceID, Name: u.Name, BackHref: back, Direction: u.Direction, NodeID: u.NodeID,
		CycleFrom: shortTime(u.CycleStart), CycleTo: shortTime(u.CycleEnd), Cycle: bytesText(u.CycleBytes), Total: bytesText(u.TotalBytes),
		CycleBytes: strconv.FormatInt(u.CycleBytes, 10), TotalBytes: strconv.FormatInt(u.TotalBytes, 10), Metered: u.Metered,
		Level: u.Level, Quarantined: u.Refused, AsOf: shortTime(u.AsOf)}
	v.Hourly = barChart(l, "usage-hourly", "page.usage.hourly", "page.usage.hour", u.Hourly, func(t time.Time) (string, string, bool) {
		c := t.In(clock.Shanghai)
		return c.Format("01-02 15:00"), c.Format("15h"), c.Hour()%6 == 0
	})
	v.Daily = barChart(l, "usage-daily", "page.usage.daily", "page.usage.day", u.Daily, func(t time.Time) (string, string, bool) {
		c := t.In(clock.Shanghai)
		return c.Format("2006-01-02"), c.Format("01-02"), c.Day()%5 == 0
	})
	if !u.Metered {
		return v
	}
	v.Quota, v.Allowance = bytesText(int64(u.QuotaBytes)), bytesText(int64(u.AllowanceBytes))
	v.LevelKey = "page.usage.level." + strconv.Itoa(u.Level)
	if u.AllowanceBytes > 0 {
		v.Percent = strconv.FormatFloat(float64(u.CycleBytes)*100/float64(u.AllowanceBytes), 'f', 1, 64) + " %"
	}
	for _, pk := range u.Packs {
		v.Packs = append(v.Packs, UsagePackRow{ID: pk.ID, Amount: bytesText(int64(pk.Bytes)), From: shortTime(pk.From), Until: shortTime(pk.Until)})
	}
	// The gauge: quota then each pack, along a scale that also fits the use.
	scale := float64(max(int64(u.AllowanceBytes), u.CycleBytes, 1))
	px := func(b float64) int { return int(b / scale * gaugeW) }
	g := UsageGauge{Width: gaugeW, Height: gaugeH, Over: u.CycleBytes >= int64(u.AllowanceBytes) && u.AllowanceBytes > 0}
	at := 0.0
	g.Segments = append(g.Segments, UsageSegment{X: 0, W: px(float64(u.QuotaBytes)), Class: "quota",
		Title: i18n.T(l, "page.usage.quota", nil) + ": " + bytesText(int64(u.QuotaBytes))})
	at += float64(u.QuotaBytes)
	for _, pk := range u.Packs {
		g.Segments = append(g.Segments, UsageSegment{X: px(at), W: max(px(at+float64(pk.Bytes))-px(at), 1), Class: "pack",
			Title: i18n.T(l, "page.usage.pack", nil) + ": " + bytesText(int64(pk.Bytes))})
		at += float64(pk.Bytes)
	}
	g.UsedW = px(float64(u.CycleBytes))
	g.AlertX = px(0.8 * float64(u.AllowanceBytes))
	v.Gauge = g
	return v
}

// barChart lays out points as bars, with an axis label every few bars.
func barChart(l i18n.Lang, id, captionKey, periodKey string, pts []app.UsagePoint, label func(time.Time) (full, short string, axis bool)) UsageChart {
	c := UsageChart{ID: id, Caption: i18n.T(l, captionKey, nil), PeriodKey: periodKey, Width: chartW, Height: chartH + chartBottom,
		BaseY: chartH, LabelY: chartH + 16}
	var top, sum int64
	for _, p := range pts {
		top = max(top, p.BilledBytes)
		sum += p.BilledBytes
	}
	c.Empty, c.Max, c.Sum = top == 0, bytesText(top), bytesText(sum)
	n := max(len(pts), 1)
	slot := chartW / n
	for i, p := range pts {
		full, short, axis := label(p.Start)
		hgt := 0
		if top > 0 {
			hgt = int(float64(p.BilledBytes) / float64(top) * float64(chartH-chartTop))
			if p.BilledBytes > 0 {
				hgt = max(hgt, 1)
			}
		}
		b := UsageBar{X: i*slot + 1, W: max(slot-2, 1), H: hgt, Y: chartH - hgt, Title: full + ": " + bytesText(p.BilledBytes)}
		if axis {
			b.Label, b.LabelX = short, i*slot+slot/2
		}
		c.Bars = append(c.Bars, b)
		c.Rows = append(c.Rows, UsageRow{Period: full, Amount: bytesText(p.BilledBytes), Bytes: strconv.FormatInt(p.BilledBytes, 10)})
	}
	return c
}

// bytesText is b in binary units (B, KiB, MiB, GiB, TiB), two decimals.
func bytesText(b int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(b), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(b, 10) + " B"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + " " + units[i]
}
