// Package catalog is the pure domain of what yuanxu sells (DESIGN.md §2
// "catalog", issue 9 item 1): product kinds (cloud servers, VPN lines, CDN,
// certificates, traffic packs), their plans with prices per billing cycle in
// int64 fen, stock, the delivery SLA and provisioning driver, and the refund
// class each product falls in, with the clause that puts it there.
//
// It does no I/O and imports neither database/sql nor net/http. Amounts are
// plain int64 fen in fields named …Fen; byte counts are uint64.
//
// # Refund classes
//
// [RefundClassOf] derives the class from the product, never from a stored
// flag, so that the class shown before checkout and the class a refund
// decision reads cannot disagree:
//
//   - certificate → [ClassCertificate], clause 3.2.2;
//   - traffic_pack → [ClassTrafficPack], clause 3.2.3;
//   - a cloud server or VPN on a home-broadband line → [ClassHomeBroadband],
//     clause 3.2.1;
//   - everything else (CDN included) → [ClassStandard], clause 3.1.
//
// The exclusions remove only the no-fault refund; non-delivery and defects
// are always remedied (SEED-REQUIREMENTS A7, A11) — that is the refund
// package's business, not this one's.
//
// # Traffic
//
// [BilledBytes] turns metered rx/tx into the billed figure of a traffic
// billed server (tx, rx, the larger, or the sum, saturating instead of
// wrapping). [PackAttachable] is the rule that a traffic pack attaches only
// to a traffic-billed cloud server the customer owns.
package catalog
