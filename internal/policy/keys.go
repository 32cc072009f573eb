package policy

import (
	"slices"
	"strings"
)

// The keys of DESIGN.md §3, one constant each. Their Go type names the getter
// that reads them.
const (
	RefundWindow                    DurationKey = "refund.window"
	RefundWindowAnchor              StringKey   = "refund.window_anchor"
	RefundTrafficThresholdBytes     Int64Key    = "refund.traffic_threshold_bytes"
	RefundAppliesTo                 StringsKey  = "refund.applies_to"
	RefundReviewWorkingDays         IntKey      = "refund.review_working_days"
	RefundOnReviewBreach            StringKey   = "refund.on_review_breach"
	RefundDestinations              StringsKey  = "refund.destinations"
	RefundPayoutDays                IntKey      = "refund.payout_days"
	RefundDualControlFen            Int64Key    = "refund.dual_control_fen"
	RefundCertRefundableBefore      StringKey   = "refund.cert_refundable_before"
	RefundUnusedPacksFollowParent   BoolKey     = "refund.unused_packs_follow_parent"
	InspectionWindow                DurationKey = "inspection.window"
	KYCMinAgeYears                  IntKey      = "kyc.min_age_years"
	KYCRequiredBefore               StringKey   = "kyc.required_before"
	OrderUnpaidExpiry               DurationKey = "order.unpaid_expiry"
	BanFreezeBalance                BoolKey     = "ban.freeze_balance"
	ComplianceEmergencyConfirmHours IntKey      = "compliance.emergency_confirm_hours"
	AppealWindowWorkingDays         IntKey      = "appeal.window_working_days"
	AppealReviewWorkingDays         IntKey      = "appeal.review_working_days"
	MaintenanceNoticeHours          IntKey      = "maintenance.notice_hours"
	AgreementNoticeDays             IntKey      = "agreement.notice_days"
	AssignmentNoticeDays            IntKey      = "assignment.notice_days"
	TicketAutoCloseDays             IntKey      = "ticket.auto_close_days"
	RetentionNetworkLogsDays        IntKey      = "retention.network_logs_days"
	RetentionTransactionsYears      IntKey      = "retention.transactions_years"
	RetentionKYCAfterClosureYears   IntKey      = "retention.kyc_after_closure_years"
	LegalVenue                      StringKey   = "legal.venue"
)

// Enum values, so that callers compare against checked names.
const (
	// refund.window_anchor
	AnchorOrderedAt            = "ordered_at"
	AnchorPaidAt               = "paid_at"
	AnchorDeliveredAt          = "delivered_at"
	AnchorLaterOfPaidDelivered = "later_of_paid_delivered"

	// refund.applies_to
	PurchaseNew     = "new_purchase"
	PurchaseRenewal = "renewal"
	PurchaseUpgrade = "upgrade"

	// refund.on_review_breach
	BreachEscalate                  = "escalate"
	BreachEscalateThenApproveIfPass = "escalate_then_approve_if_checks_passed"

	// refund.destinations
	DestinationOriginalRoute = "original_route"
	DestinationBalance       = "balance" // refund_credit, never withdrawable
	DestinationSwap          = "swap"    // same price level: a price ≤ the amount paid

	// refund.cert_refundable_before: certificate states, in lifecycle order
	CertValidating    = "validating"
	CertSubmittedToCA = "submitted_to_ca"
	CertIssued        = "issued"

	// kyc.required_before
	KYCBeforeRegister       = "register"
	KYCBeforePayProvisioned = "pay_provisioned"
)

// ProjectAppealWindowWorkingDays and ProjectLegalVenue are the values the
// project's own agreement gives the two keys the registry cannot default.
const (
	ProjectAppealWindowWorkingDays = "15"
	ProjectLegalVenue              = "公司注册地人民法院 / the people's court where the company is registered"
)

// The registry. Ranges, chosen so that an operator can move a number but not
// below a statutory floor or into an absurd value:
//
//	refund.window                      1h..720h
//	refund.traffic_threshold_bytes     0..2^40 (1 TiB)
//	refund.review_working_days         1..60
//	refund.payout_days                 1..30 (CPL art. 25 pays back within 7)
//	refund.dual_control_fen            0..100000000 (¥1,000,000); 0 puts every refund under dual control
//	inspection.window                  1h..720h
//	kyc.min_age_years                  18..99 (no guardian-consent flow exists for minors)
//	order.unpaid_expiry                1m..72h
//	compliance.emergency_confirm_hours 1..72
//	appeal.window_working_days         1..60
//	appeal.review_working_days         1..60
//	maintenance.notice_hours           0..720
//	agreement.notice_days              7..90 (E-Commerce Law art. 34: ≥ 7 days)
//	assignment.notice_days             7..180
//	ticket.auto_close_days             2..60 (the warning comes a day before)
//	retention.network_logs_days        183..3650 (Cybersecurity Law: ≥ 6 months)
//	retention.transactions_years       3..30 (E-Commerce Law art. 31: ≥ 3 years)
//	retention.kyc_after_closure_years  1..10
//	legal.venue                        1..200 characters
var registry = []Key{
	duration(RefundWindow, Key{Default: "24h", Required: true, Clauses: c("3.1"),
		Min: 1 * hour, Max: 720 * hour,
		Desc: Text{"无理由退款的申请期限，自起算时刻起计，含终点", "How long after the anchor a no-fault refund may be requested; the end is inclusive"}}),
	enum(RefundWindowAnchor, Key{Default: AnchorLaterOfPaidDelivered, Required: true, Clauses: c("3.1"),
		Enum: []string{AnchorOrderedAt, AnchorPaidAt, AnchorDeliveredAt, AnchorLaterOfPaidDelivered},
		Desc: Text{"退款期限的起算时刻：默认取支付时间与交付时间中较晚者", "The instant the refund window starts: by default the later of payment and delivery"}}),
	bytes(RefundTrafficThresholdBytes, Key{Default: "1073741824", Required: true, Clauses: c("3.1.a"),
		Min: 0, Max: 1 << 40,
		Desc: Text{"仍可退款的计费方向已用流量上限（字节）；恰好等于上限仍可退款", "Most billed-direction traffic in bytes that still allows a refund; usage equal to it is eligible"}}),
	enumList(RefundAppliesTo, Key{Default: PurchaseNew, Required: true, Clauses: c("3.1"),
		Enum: []string{PurchaseNew, PurchaseRenewal, PurchaseUpgrade},
		Desc: Text{"适用无理由退款的购买类型", "The kinds of purchase the no-fault refund covers"}}),
	integer(RefundReviewWorkingDays, Key{Default: "3", Required: true, Clauses: c("3.1"),
		Min: 1, Max: 60,
		Desc: Text{"退款审核期限（工作日，受理当日不计）", "Working days to review a refund, not counting the day it was received"}}),
	enum(RefundOnReviewBreach, Key{Default: BreachEscalateThenApproveIfPass, Required: true, Clauses: c("3.1"),
		Enum: []string{BreachEscalate, BreachEscalateThenApproveIfPass},
		Desc: Text{"审核超期的处理：升级处理，自动检查全部通过的予以批准", "What a missed review deadline triggers: escalation, then approval if every automated check passed"}}),
	enumList(RefundDestinations, Key{Default: "original_route,balance,swap", Required: true, Clauses: c("3.1", "6.2"),
		Enum: []string{DestinationOriginalRoute, DestinationBalance, DestinationSwap},
		Desc: Text{"可供用户选择的退款去向，均不预选；退至余额的款项不可提现", "Refund destinations the customer chooses from, none pre-selected; money refunded to the balance is never withdrawable"}}),
	integer(RefundPayoutDays, Key{Default: "7", Required: true, Clauses: c("6.2"),
		Basis: "Consumer Rights Protection Law art. 25 (refund within 7 days, by analogy)",
		Min:   1, Max: 30,
		Desc: Text{"退款批准后退回原支付渠道的期限（自然日）", "Calendar days from approval until the money is back on the original route"}}),
	fen(RefundDualControlFen, Key{Default: "100000", Required: false,
		Basis: "internal control (finance dual control: a second approver for large refunds)",
		Min:   0, Max: 100_000_000,
		Desc: Text{"超过该金额（分）的退款须由第二人审批", "Refunds above this amount in fen need a second approver"}}),
	enum(RefundCertRefundableBefore, Key{Default: CertSubmittedToCA, Required: true, Clauses: c("3.2.2"),
		Enum: []string{CertValidating, CertSubmittedToCA, CertIssued},
		Desc: Text{"数字证书在进入该状态前可无理由退款；CA 拒签的全额退款", "A certificate is refundable without fault until it reaches this state; a CA rejection refunds in full"}}),
	boolean(RefundUnusedPacksFollowParent, Key{Default: "true", Required: true, Clauses: c("3.2.3"),
		Desc: Text{"未使用的流量包随所属云服务器一并退款", "Unused traffic packs are refunded together with their parent server"}}),
	duration(InspectionWindow, Key{Default: "24h", Required: true, Clauses: c("2.3"),
		Min: 1 * hour, Max: 720 * hour,
		Desc: Text{"交付后的验收期限，自交付时刻起计，含终点", "Time after delivery to report a delivery problem, from delivered_at, inclusive"}}),
	integer(KYCMinAgeYears, Key{Default: "18", Required: true, Clauses: c("2.1"),
		Basis: "Civil Code art. 17–18 (full civil capacity at 18)",
		Min:   18, Max: 99,
		Desc: Text{"个人实名认证的最低年龄（周岁）", "Minimum age in full years for an individual's real-name verification"}}),
	enum(KYCRequiredBefore, Key{Default: KYCBeforePayProvisioned, Required: true, Clauses: c("2.1"),
		Basis: "Cybersecurity Law art. 26; Anti-Telecom-Fraud Law art. 21",
		Enum:  []string{KYCBeforeRegister, KYCBeforePayProvisioned},
		Desc:  Text{"须先完成实名认证的环节：为需开通的产品付款之前；浏览和购物车无需认证", "The step real-name verification must precede: paying for anything provisioned; browsing and carts need none"}}),
	duration(OrderUnpaidExpiry, Key{Default: "30m", Required: false, Clauses: c("2.2"),
		Min: 1 * minute, Max: 72 * hour,
		Desc: Text{"未支付订单自动失效的时间", "How long an unpaid order stays open before it expires"}}),
	boolean(BanFreezeBalance, Key{Default: "true", Required: true, Clauses: c("3.2.4", "4.3"),
		Basis: "Civil Code art. 497; Consumer Rights Protection Law art. 53",
		Desc:  Text{"封禁时冻结账户余额，不自动没收", "A ban freezes the balance; nothing is forfeited automatically"}}),
	integer(ComplianceEmergencyConfirmHours, Key{Default: "24", Required: true, Clauses: c("4.2"),
		Min: 1, Max: 72,
		Desc: Text{"自动紧急处置须经人工确认的期限（小时），逾期失效", "Hours within which a person must confirm an automated emergency measure, or it lapses"}}),
	integer(AppealWindowWorkingDays, Key{Required: true, Clauses: c("6.2"),
		Min: 1, Max: 60,
		Desc: Text{"收到处置通知后的申诉期限（工作日，收到当日不计）", "Working days after the notice is received in which a measure may be appealed, not counting that day"}}),
	integer(AppealReviewWorkingDays, Key{Default: "5", Required: true, Clauses: c("6.2"),
		Min: 1, Max: 60,
		Desc: Text{"申诉复核期限（工作日）；复核人不得为原处置人", "Working days to decide an appeal; the reviewer is never the officer who imposed the measure"}}),
	integer(MaintenanceNoticeHours, Key{Default: "72", Required: true, Clauses: c("6.2", "7.3"),
		Min: 0, Max: 720,
		Desc: Text{"升级维护的提前通知时间（小时）", "Hours of advance notice before an upgrade or maintenance"}}),
	integer(AgreementNoticeDays, Key{Default: "7", Required: true, Clauses: c("9.4"),
		Basis: "E-Commerce Law art. 34 (at least 7 days' notice of rule changes)",
		Min:   7, Max: 90,
		Desc: Text{"协议修订生效前的公示天数；重大变更须重新同意", "Days a revision is published before it takes effect; material changes need re-acceptance"}}),
	integer(AssignmentNoticeDays, Key{Default: "30", Required: true, Clauses: c("9.3"),
		Min: 7, Max: 180,
		Desc: Text{"转让权利义务的提前通知天数；反对的用户可按比例退款离开", "Days of notice before rights and obligations are assigned; an objecting customer may leave with a pro-rata refund"}}),
	integer(TicketAutoCloseDays, Key{Default: "7", Required: false, Clauses: c("5"),
		Min: 2, Max: 60,
		Desc: Text{"客服最后答复后工单自动关闭的天数，提前一天提醒", "Days after the last staff answer before a ticket closes itself, with a warning a day earlier"}}),
	integer(RetentionNetworkLogsDays, Key{Default: "183", Required: true,
		Basis: "Cybersecurity Law art. 21/23 (≥6 months of network logs)",
		Min:   183, Max: 3650,
		Desc: Text{"网络日志（访问日志、地址分配记录）保存天数，不少于六个月", "Days network logs (access logs, address history) are kept; at least six months"}}),
	integer(RetentionTransactionsYears, Key{Default: "3", Required: true,
		Basis: "E-Commerce Law art. 31",
		Min:   3, Max: 30,
		Desc: Text{"订单、支付与账务记录保存年限", "Years orders, payments and ledger entries are kept"}}),
	integer(RetentionKYCAfterClosureYears, Key{Default: "3", Required: true, Clauses: c("6.2"),
		Basis: "PIPL art. 19, 47 (shortest necessary retention)",
		Min:   1, Max: 10,
		Desc: Text{"账户注销后实名信息保存年限", "Years real-name records are kept after the account is closed"}}),
	text(LegalVenue, Key{Required: true, Clauses: c("8"),
		Min: 1, Max: 200,
		Desc: Text{"争议管辖法院", "The court with jurisdiction over disputes"}}),
}

// index maps a name to its registry entry; built once, never written after.
var index = buildIndex()

func buildIndex() map[string]*Key {
	slices.SortFunc(registry, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	m := make(map[string]*Key, len(registry))
	for i := range registry {
		k := &registry[i]
		if _, dup := m[k.Name]; dup {
			panic("policy: key registered twice: " + k.Name)
		}
		m[k.Name] = k
	}
	return m
}

// Registry returns every descriptor, sorted by name.
func Registry() []Key {
	out := make([]Key, len(registry))
	for i, k := range registry {
		out[i] = k.clone()
	}
	return out
}

// Keys returns every key name, sorted.
func Keys() []string {
	out := make([]string, len(registry))
	for i, k := range registry {
		out[i] = k.Name
	}
	return out
}

// Lookup returns the descriptor of name, if it is registered.
func Lookup(name string) (Key, bool) {
	k, ok := index[name]
	if !ok {
		return Key{}, false
	}
	return k.clone(), true
}

func (k Key) clone() Key {
	k.Clauses = slices.Clone(k.Clauses)
	k.Enum = slices.Clone(k.Enum)
	return k
}

// Constructors that tie each typed constant to its Type, so that a getter
// can never meet a key of another type.

func duration(n DurationKey, k Key) Key { k.Name, k.Type = string(n), TypeDuration; return k }
func integer(n IntKey, k Key) Key       { k.Name, k.Type = string(n), TypeInt; return k }
func bytes(n Int64Key, k Key) Key       { k.Name, k.Type = string(n), TypeBytes; return k }
func fen(n Int64Key, k Key) Key         { k.Name, k.Type = string(n), TypeFen; return k }
func boolean(n BoolKey, k Key) Key      { k.Name, k.Type = string(n), TypeBool; return k }
func enum(n StringKey, k Key) Key       { k.Name, k.Type = string(n), TypeEnum; return k }
func enumList(n StringsKey, k Key) Key  { k.Name, k.Type = string(n), TypeEnumList; return k }
func text(n StringKey, k Key) Key       { k.Name, k.Type = string(n), TypeString; return k }

func c(ids ...string) []string { return ids }
