// Package refund is the pure domain of refund eligibility (issue 15,
// clauses 3 and 6.2, SEED-REQUIREMENTS 三 and A2–A23): Evaluate applies
// every rule to the facts of one order at the instant of a request and
// returns eligible, ineligible or needs_review with a trace that explains
// itself — for each rule its id, the clause that makes it, the inputs it
// read, its outcome and a sentence in zh-CN and English.
//
// The parameters come from the policy of the agreement version the order
// was placed under (policy.For(order)); the facts from the app (order,
// payment and delivery times, billed usage as of the request instant,
// standing and open cases, certificate state, pack usage). Nothing here
// reads a clock or a database.
//
// Rules, in trace order:
//   - state: the order is paid and not already refunded, swapped, cancelled
//     or expired, and no other request is open;
//   - delivery_breach (2.2, A10): an order not delivered by its deadline is
//     refundable in full whatever its class, its purpose, its usage or the
//     window — a remedy, not the no-fault refund; the rules below are then
//     shown as not applicable;
//   - purpose (3.1, A21): refund.applies_to (new purchases by default, not
//     renewals or upgrades);
//   - window (3.1, A6): refund.window from refund.window_anchor, its end
//     included; an undelivered order is inside it (cancellable in full);
//   - usage (3.1.a, A4, A5): billed bytes as of the request ≤
//     refund.traffic_threshold_bytes ("未超过": the threshold itself is
//     eligible); unknown usage needs a person's review;
//   - standing (3.1.b, 3.2.4): no ban and no open violation case;
//   - class (3.2.1–3.2.3, A11–A13) per line: home broadband once delivered,
//     a certificate once at refund.cert_refundable_before (a CA rejection
//     refunds in full), a traffic pack unless it is unused and follows its
//     parent's refund (refund.unused_packs_follow_parent).
package refund
