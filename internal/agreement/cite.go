package agreement

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"yuanxu/internal/policy"
)

// ClauseID is a stable clause id: dot-separated segments of ASCII letters
// and digits, such as "3.1.a" (the seed's 三(一), first condition).
type ClauseID string

// The clauses the code may cite, following the seed's numbering (DESIGN.md
// §3). Business rules cite a clause by one of these constants, never by a
// string literal, so that this list is the one place that knows them; every
// one of them must exist in an agreement before it can be scheduled.
const (
	ClauseOverview ClauseID = "1" // who the parties are; how the agreement is accepted

	ClausePurchase   ClauseID = "2"   // 二: purchase and delivery
	ClauseChannels   ClauseID = "2.1" // official channels, true identity, real-name verification
	ClauseDelivery   ClauseID = "2.2" // delivery after payment within the product's SLA; unpaid orders expire
	ClauseInspection ClauseID = "2.3" // the 24 h inspection window after delivery

	ClauseRefunds          ClauseID = "3"     // 三: refunds
	ClauseRefundNoFault    ClauseID = "3.1"   // the no-fault refund: window, review, destinations
	ClauseRefundTraffic    ClauseID = "3.1.a" // unused, or billed traffic ≤ the threshold
	ClauseRefundNoBreach   ClauseID = "3.1.b" // no breach, no open case, no ban
	ClauseRefundApply      ClauseID = "3.1.c" // apply through an official channel
	ClauseRefundExclusions ClauseID = "3.2"   // what the no-fault refund does not cover
	ClauseHomeBroadband    ClauseID = "3.2.1" // home-broadband lines once opened
	ClauseCertificate      ClauseID = "3.2.2" // certificates once submitted to the CA
	ClauseTrafficPack      ClauseID = "3.2.3" // traffic packs (unused ones follow their parent)
	ClauseBanRefund        ClauseID = "3.2.4" // a ban freezes, it does not forfeit

	ClauseUse            ClauseID = "4"   // 四: acceptable use
	ClauseProhibited     ClauseID = "4.1" // prohibited activity
	ClauseMonitoring     ClauseID = "4.2" // monitoring, measures, emergency measures, reports to the authorities
	ClauseBanConsequence ClauseID = "4.3" // what a confirmed ban does to money and claims

	ClauseCustomer ClauseID = "5" // 五: the customer's rights and duties (tickets)

	ClauseCompany       ClauseID = "6"   // 六: the company's rights and duties
	ClauseCompanyRights ClauseID = "6.1" // the company's rights
	ClauseCompanyDuties ClauseID = "6.2" // confidentiality, notices, refund choice, ban notice, appeals

	ClauseLiability    ClauseID = "7"   // 七: limits of liability
	ClauseForceMajeure ClauseID = "7.1" // force majeure (the company's own faults excluded)
	ClauseCustomerSide ClauseID = "7.2" // losses the customer causes
	ClauseMaintenance  ClauseID = "7.3" // announced maintenance
	ClauseThirdParty   ClauseID = "7.4" // upstream providers

	ClauseLawVenue ClauseID = "8" // 八: PRC law and venue

	ClauseGeneral      ClauseID = "9"   // 九: general terms
	ClauseEntire       ClauseID = "9.1" // entire agreement
	ClauseSeverability ClauseID = "9.2" // severability
	ClauseAssignment   ClauseID = "9.3" // assignment on notice, with a way out
	ClauseRevision     ClauseID = "9.4" // revisions: notice, re-acceptance of material changes
)

// catalogue lists the constants above, in document order.
var catalogue = []ClauseID{
	ClauseOverview,
	ClausePurchase, ClauseChannels, ClauseDelivery, ClauseInspection,
	ClauseRefunds, ClauseRefundNoFault, ClauseRefundTraffic, ClauseRefundNoBreach, ClauseRefundApply,
	ClauseRefundExclusions, ClauseHomeBroadband, ClauseCertificate, ClauseTrafficPack, ClauseBanRefund,
	ClauseUse, ClauseProhibited, ClauseMonitoring, ClauseBanConsequence,
	ClauseCustomer,
	ClauseCompany, ClauseCompanyRights, ClauseCompanyDuties,
	ClauseLiability, ClauseForceMajeure, ClauseCustomerSide, ClauseMaintenance, ClauseThirdParty,
	ClauseLawVenue,
	ClauseGeneral, ClauseEntire, ClauseSeverability, ClauseAssignment, ClauseRevision,
}

// RequiredKeyClauses are the clauses that must be key clauses wherever they
// appear (Civil Code 496, CPL 26, SEED-REQUIREMENTS 六 特别提示): the
// deemed-acceptance of delivery, the refund rule and its destinations, every
// refund exclusion, ban consequences, the company's duties that set the
// appeal window and the refund choice, every limit and exemption of
// liability, and the venue.
var RequiredKeyClauses = []ClauseID{
	ClauseInspection,
	ClauseRefundNoFault,
	ClauseHomeBroadband, ClauseCertificate, ClauseTrafficPack, ClauseBanRefund,
	ClauseMonitoring, ClauseBanConsequence,
	ClauseCompanyDuties,
	ClauseForceMajeure, ClauseCustomerSide, ClauseMaintenance, ClauseThirdParty,
	ClauseLawVenue,
}

// Catalogue returns every clause id the code may cite, in document order.
func Catalogue() []ClauseID { return slices.Clone(catalogue) }

// Citation records that a rule in the code implements a clause.
type Citation struct {
	ID    ClauseID
	Where string // the rule: "refund.Eligibility: traffic threshold", "policy:refund.window"
}

var (
	citeMu    sync.Mutex
	citations []Citation
)

// Cite records that the rule named by where implements clause id, and
// returns id, so that a package can write
//
//	var clauseTraffic = agreement.Cite(agreement.ClauseRefundTraffic, "refund: traffic threshold")
//
// It panics when id is not in the catalogue: citing a clause the agreement
// does not define is a programmer error, caught when the citing package is
// first loaded. Safe for concurrent use.
func Cite(id ClauseID, where string) ClauseID {
	if !slices.Contains(catalogue, id) {
		panic(fmt.Sprintf("agreement: %s cites unknown clause %q", where, id))
	}
	citeMu.Lock()
	citations = append(citations, Citation{ID: id, Where: where})
	citeMu.Unlock()
	return id
}

// Citations returns every citation recorded by Cite so far, plus one per
// clause of every policy parameter ("policy:<key>"), sorted by clause id
// then by where.
func Citations() []Citation {
	citeMu.Lock()
	out := slices.Clone(citations)
	citeMu.Unlock()
	for _, k := range policy.Registry() {
		for _, c := range k.Clauses {
			out = append(out, Citation{ID: ClauseID(c), Where: "policy:" + k.Name})
		}
	}
	slices.SortFunc(out, func(a, b Citation) int {
		if c := CompareIDs(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Where, b.Where)
	})
	return slices.Compact(out)
}

// CitedIDs returns the ids every schedulable agreement must define: the
// whole catalogue (any of it may be cited) and every clause a policy
// parameter names, sorted by CompareIDs and without repeats.
func CitedIDs() []string {
	ids := map[ClauseID]bool{}
	for _, id := range catalogue {
		ids[id] = true
	}
	for _, c := range Citations() {
		ids[c.ID] = true
	}
	out := make([]ClauseID, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.SortFunc(out, CompareIDs)
	s := make([]string, len(out))
	for i, id := range out {
		s[i] = string(id)
	}
	return s
}

// ValidID reports whether id is well formed: 1 to 32 bytes of
// dot-separated, non-empty segments of ASCII letters and digits.
func ValidID(id ClauseID) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for seg := range strings.SplitSeq(string(id), ".") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// CompareIDs orders clause ids as a reader does: segment by segment,
// numbers numerically ("3.2" < "3.10"), numbers before letters, a parent
// before its children ("3.1" < "3.1.a").
func CompareIDs(a, b ClauseID) int {
	as, bs := strings.Split(string(a), "."), strings.Split(string(b), ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aerr := strconv.ParseUint(as[i], 10, 64)
		bn, berr := strconv.ParseUint(bs[i], 10, 64)
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c // "07" and "7": equal numbers, different ids
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return len(as) - len(bs)
}
