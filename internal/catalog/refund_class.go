package catalog

import "yuanxu/internal/agreement"

// Class is a product's refund class (DESIGN.md §2): which no-fault refund
// rule of clause 三 applies to it.
type Class string

// Refund classes.
const (
	ClassStandard      Class = "standard"       // refundable within the window (3.1)
	ClassHomeBroadband Class = "home_broadband" // not once opened (3.2.1)
	ClassCertificate   Class = "certificate"    // not once submitted to the CA (3.2.2)
	ClassTrafficPack   Class = "traffic_pack"   // not, except unused packs with their parent (3.2.3)
)

var (
	clauseStandard      = agreement.Cite(agreement.ClauseRefundNoFault, "catalog.RefundClassOf: standard products")
	clauseHomeBroadband = agreement.Cite(agreement.ClauseHomeBroadband, "catalog.RefundClassOf: home-broadband lines")
	clauseCertificate   = agreement.Cite(agreement.ClauseCertificate, "catalog.RefundClassOf: certificates")
	clauseTrafficPack   = agreement.Cite(agreement.ClauseTrafficPack, "catalog.RefundClassOf: traffic packs")
)

// RefundClassOf derives p's refund class and the clause that makes it so.
// It reads only the kind and the line type, so it never fails; for a
// product with an unknown kind or a missing spec it answers the standard
// class (the consumer-favourable reading, Civil Code 498) — Validate
// refuses such a product anyway.
func RefundClassOf(p Product) (Class, agreement.ClauseID) {
	switch {
	case p.Kind == KindCertificate:
		return ClassCertificate, clauseCertificate
	case p.Kind == KindTrafficPack:
		return ClassTrafficPack, clauseTrafficPack
	case (p.Kind == KindCloudServer || p.Kind == KindVPN) && p.LineType() == LineHomeBroadband:
		return ClassHomeBroadband, clauseHomeBroadband
	}
	return ClassStandard, clauseStandard
}
