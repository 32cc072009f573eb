package catalog

import (
	"math/bits"

	"yuanxu/internal/errs"
)

// BilledBytes returns the bytes that count in direction d, given what was
// received (rx) and transmitted (tx). The sum saturates at the largest
// uint64 rather than wrapping round to a small, refund-eligible figure. An
// empty or unknown direction counts tx, the public egress
// (SEED-REQUIREMENTS 三(一)a: "the billed direction, else public egress").
func BilledBytes(d Direction, rx, tx uint64) uint64 {
	switch d {
	case DirectionRx:
		return rx
	case DirectionLarger:
		return max(rx, tx)
	case DirectionSum:
		s, carry := bits.Add64(rx, tx, 0)
		if carry != 0 {
			return ^uint64(0)
		}
		return s
	}
	return tx
}

// Error codes of PackAttachable.
const (
	CodeNotAPack               = "catalog.not_a_pack"
	CodePackNeedsTrafficServer = "catalog.pack_needs_traffic_server"
	CodePackNotOwner           = "catalog.pack_not_owner"
)

// PackAttachable reports whether traffic pack pack may be attached to
// server, owned by serverOwner, for customer. It returns an *errs.Error of
// Kind Invalid:
//   - CodeNotAPack (field "product_id") when pack is not a traffic pack;
//   - CodePackNotOwner (field "attach_to") when the server is not the
//     customer's — checked before anything about the server, so a
//     customer learns nothing of another's server;
//   - CodePackNeedsTrafficServer (field "attach_to") when the server is not
//     a cloud server billed by traffic.
func PackAttachable(pack, server Product, serverOwner, customer string) error {
	const op = errs.Op("catalog.PackAttachable")
	if pack.Kind != KindTrafficPack {
		return errs.E(op, errs.Invalid, CodeNotAPack, "product "+pack.ID+" is not a traffic pack",
			errs.FieldError{Field: "product_id", Rule: "not_a_pack"})
	}
	if serverOwner == "" || serverOwner != customer {
		return errs.E(op, errs.Invalid, CodePackNotOwner, "a traffic pack attaches only to the customer's own server",
			errs.FieldError{Field: "attach_to", Rule: "not_owner"})
	}
	if !server.TrafficBilled() {
		return errs.E(op, errs.Invalid, CodePackNeedsTrafficServer, "a traffic pack attaches only to a traffic-billed cloud server",
			errs.FieldError{Field: "attach_to", Rule: "needs_traffic_server"})
	}
	return nil
}
