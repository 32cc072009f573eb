package catalog

import (
	"fmt"
	"slices"
	"strings"

	"yuanxu/internal/errs"
)

// CodeProductInvalid is the error code of a product that fails Validate.
const CodeProductInvalid = "catalog.product_invalid"

// MaxPriceFen bounds a unit price: ¥10,000,000,000.00. Far below the int64
// range, so that a price times a sane quantity cannot come near overflow;
// totals are still computed with checked arithmetic.
const MaxPriceFen int64 = 1_000_000_000_000

// Validate reports every problem of p at once: an *errs.Error of Kind
// Invalid and code CodeProductInvalid with one FieldError per problem,
// fields named by path ("server.quota_bytes", "plans[1].prices[0].amount_fen").
// Rules: id, name, a known kind with exactly its own spec set; the spec's
// fields; at least one plan, unique plan ids, at least one price per plan in
// a cycle the kind allows (one_off for certificates and packs, month,
// quarter or year otherwise), no cycle twice, 0 ≤ price ≤ MaxPriceFen;
// stock ≥ 0 or StockUnlimited; a positive delivery SLA; a driver the kind
// allows.
func (p Product) Validate() error {
	var fes []errs.FieldError
	bad := func(field, rule string, params map[string]any) {
		fes = append(fes, errs.FieldError{Field: field, Rule: rule, Params: params})
	}
	if strings.TrimSpace(p.ID) == "" {
		bad("id", "required", nil)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "required", nil)
	}
	if !p.Kind.Valid() {
		bad("kind", "enum", map[string]any{"allowed": Kinds})
	}
	specs := []struct {
		kind  Kind
		field string
		set   bool
	}{
		{KindCloudServer, "server", p.Server != nil},
		{KindVPN, "vpn", p.VPN != nil},
		{KindCDN, "cdn", p.CDN != nil},
		{KindCertificate, "cert", p.Cert != nil},
		{KindTrafficPack, "pack", p.Pack != nil},
	}
	for _, s := range specs {
		switch {
		case s.kind == p.Kind && !s.set:
			bad(s.field, "required", nil)
		case s.kind != p.Kind && s.set:
			bad(s.field, "not_allowed_for_kind", map[string]any{"kind": p.Kind})
		}
	}
	if p.Kind == KindCloudServer && p.Server != nil {
		validateServer(*p.Server, bad)
	}
	if p.Kind == KindVPN && p.VPN != nil {
		if !p.VPN.Line.Valid() {
			bad("vpn.line", "enum", nil)
		}
		if !p.VPN.Scope.Valid() {
			bad("vpn.scope", "enum", nil)
		}
	}
	if p.Kind == KindCDN && p.CDN != nil {
		c := *p.CDN
		switch c.Plan {
		case CDNTraffic:
			if c.QuotaBytes == 0 {
				bad("cdn.quota_bytes", "required", nil)
			}
		case CDNBandwidth:
			if c.BandwidthMbps < 1 {
				bad("cdn.bandwidth_mbps", "min", map[string]any{"min": 1})
			}
			if c.QuotaBytes != 0 {
				bad("cdn.quota_bytes", "not_allowed_for_plan", nil)
			}
		default:
			bad("cdn.plan", "enum", nil)
		}
	}
	if p.Kind == KindCertificate && p.Cert != nil {
		if !p.Cert.Validation.Valid() {
			bad("cert.validation", "enum", nil)
		}
		if p.Cert.Domains < 1 {
			bad("cert.domains", "min", map[string]any{"min": 1})
		}
	}
	if p.Kind == KindTrafficPack && p.Pack != nil {
		if p.Pack.Bytes == 0 {
			bad("pack.bytes", "required", nil)
		}
		if p.Pack.Validity <= 0 {
			bad("pack.validity", "positive", nil)
		}
	}
	validatePlans(p, bad)
	if p.DeliverySLA <= 0 {
		bad("delivery_sla", "positive", nil)
	}
	if p.Kind.Valid() && !slices.Contains(driversFor[p.Kind], p.Driver) {
		bad("driver", "not_allowed_for_kind", map[string]any{"allowed": driversFor[p.Kind]})
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("catalog.Product.Validate"), errs.Invalid, CodeProductInvalid,
			fmt.Sprintf("product %q has %d problem(s)", p.ID, len(fes)), fes)
	}
	return nil
}

func validateServer(s CloudServer, bad func(string, string, map[string]any)) {
	if s.CPU < 1 {
		bad("server.cpu", "min", map[string]any{"min": 1})
	}
	if s.MemoryMiB < 1 {
		bad("server.memory_mib", "min", map[string]any{"min": 1})
	}
	if s.DiskGiB < 1 {
		bad("server.disk_gib", "min", map[string]any{"min": 1})
	}
	if strings.TrimSpace(s.Region) == "" {
		bad("server.region", "required", nil)
	}
	if !s.Line.Valid() {
		bad("server.line", "enum", nil)
	}
	switch s.Billing {
	case BillingTraffic:
		if s.QuotaBytes == 0 {
			bad("server.quota_bytes", "required", nil)
		}
		if !s.Direction.Valid() {
			bad("server.direction", "enum", map[string]any{"allowed": []Direction{DirectionTx, DirectionRx, DirectionLarger, DirectionSum}})
		}
		if s.BandwidthMbps < 0 {
			bad("server.bandwidth_mbps", "min", map[string]any{"min": 0})
		}
	case BillingBandwidth:
		if s.BandwidthMbps < 1 {
			bad("server.bandwidth_mbps", "min", map[string]any{"min": 1})
		}
		if s.QuotaBytes != 0 {
			bad("server.quota_bytes", "not_allowed_for_billing", nil)
		}
		if s.Direction != "" {
			bad("server.direction", "not_allowed_for_billing", nil)
		}
	default:
		bad("server.billing", "enum", nil)
	}
}

func validatePlans(p Product, bad func(string, string, map[string]any)) {
	if len(p.Plans) == 0 {
		bad("plans", "required", nil)
	}
	allowed := CyclesFor(p.Kind)
	seenPlan := map[string]bool{}
	for i, pl := range p.Plans {
		at := fmt.Sprintf("plans[%d]", i)
		switch {
		case strings.TrimSpace(pl.ID) == "":
			bad(at+".id", "required", nil)
		case seenPlan[pl.ID]:
			bad(at+".id", "duplicate", nil)
		}
		seenPlan[pl.ID] = true
		if pl.Stock < 0 && pl.Stock != StockUnlimited {
			bad(at+".stock", "min", map[string]any{"min": 0})
		}
		if len(pl.Prices) == 0 {
			bad(at+".prices", "required", nil)
		}
		seenCycle := map[Cycle]bool{}
		for j, pr := range pl.Prices {
			pat := fmt.Sprintf("%s.prices[%d]", at, j)
			switch {
			case !slices.Contains(allowed, pr.Cycle):
				bad(pat+".cycle", "not_allowed_for_kind", map[string]any{"allowed": allowed})
			case seenCycle[pr.Cycle]:
				bad(pat+".cycle", "duplicate", nil)
			}
			seenCycle[pr.Cycle] = true
			if pr.AmountFen < 0 || pr.AmountFen > MaxPriceFen {
				bad(pat+".amount_fen", "range", map[string]any{"min": 0, "max": MaxPriceFen})
			}
		}
	}
}
