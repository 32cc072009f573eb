package refund

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/policy"
)

// Outcome of one rule or of the whole decision.
type Outcome string

// Outcomes. A rule that does not apply to the facts is Skip; the decision
// is Eligible, Ineligible or NeedsReview.
const (
	Pass        Outcome = "pass"
	Fail        Outcome = "fail"
	Review      Outcome = "review"
	Skip        Outcome = "not_applicable"
	Eligible    Outcome = "eligible"
	Ineligible  Outcome = "ineligible"
	NeedsReview Outcome = "needs_review"
)

// Rule ids, stable: stored with decisions and keyed in message catalogs.
const (
	RuleState          = "state"
	RuleDeliveryBreach = "delivery_breach"
	RulePurpose        = "purpose"
	RuleWindow         = "window"
	RuleUsage          = "usage"
	RuleStanding       = "standing"
	RuleClass          = "class"
)

// Certificate states, in lifecycle order (issue 13 records them).
const (
	CertNone          = ""                       // not yet validating
	CertValidating    = policy.CertValidating    // domain validation running
	CertSubmittedToCA = policy.CertSubmittedToCA // sent to the CA: no longer refundable without fault
	CertIssued        = policy.CertIssued
	CertCARejected    = "ca_rejected" // the CA refused: a full refund
)

var certOrder = []string{CertNone, CertValidating, CertSubmittedToCA, CertIssued}

// Line is one order line as the rules need it.
type Line struct {
	Idx       int
	Class     catalog.Class
	TotalFen  int64
	CertState string // certificates only
	// PackUsedBytes is the billed traffic a traffic pack has given its
	// parent; PackFollowsParent is set when the request is the cascade of
	// the pack's parent being refunded (A13).
	PackUsedBytes     uint64
	PackFollowsParent bool
}

// Facts are everything Evaluate reads about one order at the request.
type Facts struct {
	OrderState  string // order.State
	Purpose     string // new, renewal, upgrade
	OpenRequest bool   // another refund request of this order is open
	OrderedAt   time.Time
	PaidAt      time.Time // zero: unpaid
	DeliveredAt time.Time // zero: not delivered
	DeliverBy   time.Time // the delivery deadline set at payment (exclusive)
	// BreachedAt is the breach of DeliverBy as recorded by the delivery
	// deadline sweep (issue 13); a recorded breach stands even if the
	// order was delivered late afterwards.
	BreachedAt  time.Time
	RequestedAt time.Time
	// BilledBytes is the billed traffic as of RequestedAt; UsageKnown is
	// false while no meter reports for the order's services.
	BilledBytes uint64
	UsageKnown  bool
	Metered     bool // the order has something metered (servers, VPN, CDN)
	Banned      bool
	// Paused are the spans of bans later overturned on appeal: the window
	// gets back what of it they took (clause 6.2 reopens the rest of the
	// refund window).
	Paused    []Span
	OpenCases []string
	PaidFen   int64 // what was captured: the amount refunded in full
	Lines     []Line
}

// Span is an interval of time [From, To).
type Span struct{ From, To time.Time }

// ExtendForPauses moves a window's end by the part of each pause that fell
// inside the window as it stood (a ban that began before the end and was
// overturned later gives the customer back the rest of the window from the
// overturn). Pauses are applied in the order given; zero ones are ignored.
func ExtendForPauses(start, end time.Time, pauses []Span) time.Time {
	for _, p := range pauses {
		if p.From.IsZero() || p.To.IsZero() || !p.To.After(p.From) || p.From.After(end) || !p.To.After(start) {
			continue
		}
		end = end.Add(p.To.Sub(maxTime(p.From, start)))
	}
	return end
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Step is one rule's entry in a trace.
type Step struct {
	Rule    string             `json:"rule"`
	Clause  agreement.ClauseID `json:"clause"`
	Outcome Outcome            `json:"outcome"`
	Inputs  map[string]string  `json:"inputs"`
	ZH      string             `json:"zh"`
	EN      string             `json:"en"`
}

// Decision is Evaluate's answer.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	// Breach is set when the delivery deadline was missed: a full refund
	// to the original route whatever the class (2.2).
	Breach bool `json:"delivery_breach"`
	// AmountFen is what would be refunded: everything captured.
	AmountFen int64  `json:"amount_fen"`
	Trace     []Step `json:"trace"`
}

// Sentence returns the decision's summary in lang ("en" or zh-CN).
func (d Decision) Sentence(lang string) string {
	en := len(lang) >= 2 && lang[:2] == "en"
	switch d.Outcome {
	case Eligible:
		if en {
			return "Eligible for a refund of every rule checked."
		}
		return "各项规则均已满足，可以退款。"
	case NeedsReview:
		if en {
			return "A person must review this request: see the rules marked for review."
		}
		return "该申请需要人工审核，请见标记为待审的规则。"
	}
	if en {
		return "Not eligible: see the rules that failed."
	}
	return "不符合退款条件，请见未通过的规则。"
}

// cst formats an instant as the trace shows it.
func cst(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05 -07:00")
}

// Evaluate applies every rule to f under set and returns the decision with
// its trace. It never panics on odd facts; missing times simply fail the
// rules that need them.
func Evaluate(f Facts, set *policy.Set) Decision {
	var d Decision
	add := func(s Step) { d.Trace = append(d.Trace, s) }

	add(stateRule(f))
	breach := !f.BreachedAt.IsZero() || !f.PaidAt.IsZero() && !f.DeliverBy.IsZero() &&
		(f.DeliveredAt.IsZero() && !f.RequestedAt.Before(f.DeliverBy) || !f.DeliveredAt.IsZero() && !f.DeliveredAt.Before(f.DeliverBy))
	add(breachRule(f, breach))
	if breach {
		d.Breach = true
		for _, r := range []string{RulePurpose, RuleWindow, RuleUsage, RuleStanding, RuleClass} {
			add(Step{Rule: r, Clause: clauseOf[r], Outcome: Skip, Inputs: map[string]string{},
				ZH: "交付逾期时不适用本规则。", EN: "Does not apply when delivery was late."})
		}
	} else {
		add(purposeRule(f, set))
		add(windowRule(f, set))
		add(usageRule(f, set))
		add(standingRule(f))
		for _, l := range f.Lines {
			add(classRule(f, l, set))
		}
	}
	d.Outcome = Eligible
	for _, s := range d.Trace {
		switch s.Outcome {
		case Fail:
			d.Outcome = Ineligible
		case Review:
			if d.Outcome == Eligible {
				d.Outcome = NeedsReview
			}
		}
	}
	if d.Outcome != Ineligible {
		d.AmountFen = f.PaidFen
	}
	return d
}

var clauseOf = map[string]agreement.ClauseID{
	RuleState: agreement.ClauseRefundNoFault, RuleDeliveryBreach: agreement.ClauseDelivery, RulePurpose: agreement.ClauseRefundNoFault,
	RuleWindow: agreement.ClauseRefundNoFault, RuleUsage: agreement.ClauseRefundTraffic, RuleStanding: agreement.ClauseRefundNoBreach,
	RuleClass: agreement.ClauseRefundExclusions,
}

func stateRule(f Facts) Step {
	s := Step{Rule: RuleState, Clause: clauseOf[RuleState], Inputs: map[string]string{"order_state": f.OrderState,
		"paid_at": cst(f.PaidAt), "open_request": strconv.FormatBool(f.OpenRequest)}}
	switch {
	case f.PaidAt.IsZero():
		s.Outcome, s.ZH, s.EN = Fail, "订单尚未付款，无需退款；未付款订单可直接取消。", "The order is unpaid: nothing to refund (cancel it instead)."
	case slices.Contains([]string{"refunded", "swapped", "cancelled", "expired"}, f.OrderState):
		s.Outcome, s.ZH, s.EN = Fail, "订单已退款、更换或取消，不能再次退款。", "The order was already refunded, swapped or cancelled."
	case f.OpenRequest:
		s.Outcome, s.ZH, s.EN = Fail, "该订单已有一个处理中的退款申请。", "A refund request of this order is already open."
	default:
		s.Outcome, s.ZH, s.EN = Pass, "订单已付款，且未退款、更换或取消。", "The order is paid and was not refunded, swapped or cancelled."
	}
	return s
}

func breachRule(f Facts, breach bool) Step {
	s := Step{Rule: RuleDeliveryBreach, Clause: clauseOf[RuleDeliveryBreach], Inputs: map[string]string{"deliver_by": cst(f.DeliverBy),
		"delivered_at": cst(f.DeliveredAt), "requested_at": cst(f.RequestedAt)}}
	if breach {
		s.Outcome = Pass
		s.ZH = fmt.Sprintf("未在约定时间（%s 之前）交付：无论产品类别，均可全额退还至原支付账户。", cst(f.DeliverBy))
		s.EN = fmt.Sprintf("Not delivered by the agreed time (before %s): a full refund to the original route, whatever the product's class.", cst(f.DeliverBy))
		return s
	}
	s.Outcome, s.ZH, s.EN = Skip, "交付未逾期，按无理由退款规则判断。", "Delivery was not late: the no-fault refund rules decide."
	return s
}

func purposeRule(f Facts, set *policy.Set) Step {
	applies := set.Strings(policy.RefundAppliesTo)
	want := map[string]string{"new": policy.PurchaseNew, "renewal": policy.PurchaseRenewal, "upgrade": policy.PurchaseUpgrade}[f.Purpose]
	s := Step{Rule: RulePurpose, Clause: clauseOf[RulePurpose], Inputs: map[string]string{"purpose": f.Purpose, "applies_to": fmt.Sprint(applies)}}
	if slices.Contains(applies, want) {
		s.Outcome, s.ZH, s.EN = Pass, "新购订单适用无理由退款。", "A new purchase: the no-fault refund applies."
		return s
	}
	s.Outcome = Fail
	s.ZH, s.EN = "续费、升级订单不适用无理由退款（仅限新购）。", "Renewals and upgrades are not new purchases: the no-fault refund does not apply."
	return s
}

func windowRule(f Facts, set *policy.Set) Step {
	w := set.Duration(policy.RefundWindow)
	anchorName := set.String(policy.RefundWindowAnchor)
	s := Step{Rule: RuleWindow, Clause: clauseOf[RuleWindow], Inputs: map[string]string{"ordered_at": cst(f.OrderedAt), "paid_at": cst(f.PaidAt),
		"delivered_at": cst(f.DeliveredAt), "requested_at": cst(f.RequestedAt), "window": hours(w), "anchor": anchorName}}
	if f.DeliveredAt.IsZero() && anchorName != policy.AnchorOrderedAt && anchorName != policy.AnchorPaidAt {
		s.Outcome, s.ZH, s.EN = Pass, "尚未交付：可全额取消。", "Not delivered yet: cancellable in full."
		return s
	}
	var anchor time.Time
	switch anchorName {
	case policy.AnchorOrderedAt:
		anchor = f.OrderedAt
	case policy.AnchorPaidAt:
		anchor = f.PaidAt
	case policy.AnchorDeliveredAt:
		anchor = f.DeliveredAt
	default:
		anchor = f.PaidAt
		if f.DeliveredAt.After(anchor) {
			anchor = f.DeliveredAt
		}
	}
	end := ExtendForPauses(anchor, anchor.Add(w), f.Paused)
	s.Inputs["window_ends"] = cst(end)
	if !f.RequestedAt.After(end) && !anchor.IsZero() {
		s.Outcome = Pass
		s.ZH = fmt.Sprintf("申请时间 %s 在退款时限内（%s 起 %s，截至 %s，含截止时刻）。", cst(f.RequestedAt), cst(anchor), hours(w), cst(end))
		s.EN = fmt.Sprintf("Requested %s, within the window (%s from %s, ending %s inclusive).", cst(f.RequestedAt), hours(w), cst(anchor), cst(end))
		return s
	}
	s.Outcome = Fail
	s.ZH = fmt.Sprintf("申请时间 %s 已超过退款时限（%s 起 %s，截至 %s）。", cst(f.RequestedAt), cst(anchor), hours(w), cst(end))
	s.EN = fmt.Sprintf("Requested %s, after the window (%s from %s ended %s).", cst(f.RequestedAt), hours(w), cst(anchor), cst(end))
	return s
}

func usageRule(f Facts, set *policy.Set) Step {
	limit := uint64(set.Int64(policy.RefundTrafficThresholdBytes))
	s := Step{Rule: RuleUsage, Clause: clauseOf[RuleUsage], Inputs: map[string]string{"billed_bytes": strconv.FormatUint(f.BilledBytes, 10),
		"threshold_bytes": strconv.FormatUint(limit, 10), "as_of": cst(f.RequestedAt), "known": strconv.FormatBool(f.UsageKnown)}}
	switch {
	case !f.Metered:
		s.Outcome, s.ZH, s.EN = Skip, "该订单没有计量流量的产品。", "Nothing in this order is metered."
	case !f.UsageKnown:
		s.Outcome, s.ZH, s.EN = Review, "暂无流量计量数据，需人工核实使用情况。", "No traffic figures yet: a person checks the use."
	case f.BilledBytes <= limit:
		s.Outcome = Pass
		s.ZH = fmt.Sprintf("截至申请时计费流量 %d 字节，未超过 %d 字节。", f.BilledBytes, limit)
		s.EN = fmt.Sprintf("Billed traffic as of the request: %d bytes, not above %d.", f.BilledBytes, limit)
	default:
		s.Outcome = Fail
		s.ZH = fmt.Sprintf("截至申请时计费流量 %d 字节，超过 %d 字节。", f.BilledBytes, limit)
		s.EN = fmt.Sprintf("Billed traffic as of the request: %d bytes, above %d.", f.BilledBytes, limit)
	}
	return s
}

func standingRule(f Facts) Step {
	s := Step{Rule: RuleStanding, Clause: clauseOf[RuleStanding], Inputs: map[string]string{"banned": strconv.FormatBool(f.Banned),
		"open_cases": fmt.Sprint(f.OpenCases)}}
	switch {
	case f.Banned:
		s.Clause = agreement.ClauseBanRefund
		s.Outcome, s.ZH, s.EN = Fail, "账户处于封禁状态：无理由退款暂停，余额冻结而非没收。", "The account is banned: no no-fault refund; its balance is frozen, not forfeited."
	case len(f.OpenCases) > 0:
		s.Outcome, s.ZH, s.EN = Fail, "账户有处理中的违规案件。", "A violation case of the account is open."
	default:
		s.Outcome, s.ZH, s.EN = Pass, "账户状态良好，无处理中的违规案件。", "The account is in good standing with no open violation case."
	}
	return s
}

func classRule(f Facts, l Line, set *policy.Set) Step {
	s := Step{Rule: RuleClass, Clause: agreement.ClauseRefundNoFault, Inputs: map[string]string{"line": strconv.Itoa(l.Idx),
		"class": string(l.Class)}}
	pass := func(zh, en string) Step { s.Outcome, s.ZH, s.EN = Pass, zh, en; return s }
	fail := func(zh, en string) Step { s.Outcome, s.ZH, s.EN = Fail, zh, en; return s }
	switch l.Class {
	case catalog.ClassHomeBroadband:
		s.Clause = agreement.ClauseHomeBroadband
		s.Inputs["delivered_at"] = cst(f.DeliveredAt)
		if f.DeliveredAt.IsZero() {
			return pass("家庭宽带线路尚未开通，可以退款。", "The home-broadband line has not been opened: refundable.")
		}
		return fail("家庭宽带线路一经开通不支持无理由退款（故障仍可处理）。", "A home-broadband line is not refundable without fault once opened (faults are still remedied).")
	case catalog.ClassCertificate:
		s.Clause = agreement.ClauseCertificate
		before := set.String(policy.RefundCertRefundableBefore)
		s.Inputs["cert_state"], s.Inputs["refundable_before"] = l.CertState, before
		if l.CertState == CertCARejected {
			return pass("证书被 CA 拒绝签发：全额退款。", "The CA refused the certificate: a full refund.")
		}
		if slices.Index(certOrder, l.CertState) < slices.Index(certOrder, before) {
			return pass("证书尚未提交至 CA，可以退款。", "The certificate has not reached the CA: refundable.")
		}
		return fail("证书已提交至 CA 或已签发，不支持无理由退款。", "The certificate was submitted to the CA or issued: not refundable without fault.")
	case catalog.ClassTrafficPack:
		s.Clause = agreement.ClauseTrafficPack
		follow := set.Bool(policy.RefundUnusedPacksFollowParent)
		s.Inputs["pack_used_bytes"], s.Inputs["follows_parent"] = strconv.FormatUint(l.PackUsedBytes, 10), strconv.FormatBool(l.PackFollowsParent)
		if follow && l.PackFollowsParent && l.PackUsedBytes == 0 {
			return pass("未使用的流量包随其云服务器一并退款。", "An unused traffic pack is refunded with its server.")
		}
		return fail("流量包一经购买不支持无理由退款（未使用的流量包随其云服务器退款时除外）。", "Traffic packs are not refundable without fault (except unused ones refunded with their server).")
	}
	return pass("标准产品适用无理由退款。", "A standard product: the no-fault refund applies.")
}

// hours writes a window as people read it: "24 h", "90 min".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + " h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
}
