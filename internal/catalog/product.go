package catalog

import (
	"slices"
	"time"
)

// Kind is a product kind.
type Kind string

// Product kinds.
const (
	KindCloudServer Kind = "cloud_server"
	KindVPN         Kind = "vpn"
	KindCDN         Kind = "cdn"
	KindCertificate Kind = "certificate"
	KindTrafficPack Kind = "traffic_pack"
)

// Kinds lists every product kind.
var Kinds = []Kind{KindCloudServer, KindVPN, KindCDN, KindCertificate, KindTrafficPack}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Line is the network line type of a cloud server or VPN.
type Line string

// Line types. A home-broadband line is excluded from the no-fault refund
// once opened (clause 3.2.1).
const (
	LineStandard      Line = "standard"
	LineHomeBroadband Line = "home_broadband"
)

// Valid reports whether l is a known line type.
func (l Line) Valid() bool { return l == LineStandard || l == LineHomeBroadband }

// Billing is how a cloud server's network is billed.
type Billing string

// Billing modes.
const (
	BillingBandwidth Billing = "bandwidth" // a fixed bandwidth, unmetered bytes
	BillingTraffic   Billing = "traffic"   // a byte quota per cycle, in the billed direction
)

// Valid reports whether b is a known billing mode.
func (b Billing) Valid() bool { return b == BillingBandwidth || b == BillingTraffic }

// Direction is the traffic direction that counts for billing and for the
// refund threshold of clause 3.1.a (SEED-REQUIREMENTS A4).
type Direction string

// Directions. tx is egress from the customer's server, rx ingress.
const (
	DirectionTx     Direction = "tx"
	DirectionRx     Direction = "rx"
	DirectionLarger Direction = "larger"
	DirectionSum    Direction = "sum"
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool {
	return d == DirectionTx || d == DirectionRx || d == DirectionLarger || d == DirectionSum
}

// Scope is where a VPN line may reach.
type Scope string

// VPN scopes. Cross-border lines need an IP-VPN licence record that covers
// them (MIIT 工信部信管函〔2017〕32号); the licence check takes that as a fact.
const (
	ScopeDomestic    Scope = "domestic"
	ScopeCrossBorder Scope = "cross_border"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeDomestic || s == ScopeCrossBorder }

// CDNPlan is how a CDN product is billed.
type CDNPlan string

// CDN plans.
const (
	CDNTraffic   CDNPlan = "traffic"
	CDNBandwidth CDNPlan = "bandwidth"
)

// Valid reports whether p is a known CDN plan.
func (p CDNPlan) Valid() bool { return p == CDNTraffic || p == CDNBandwidth }

// Validation is a certificate's validation level.
type Validation string

// Certificate validation levels.
const (
	ValidationDV Validation = "dv"
	ValidationOV Validation = "ov"
)

// Valid reports whether v is a known validation level.
func (v Validation) Valid() bool { return v == ValidationDV || v == ValidationOV }

// Cycle is a billing cycle.
type Cycle string

// Billing cycles. Certificates and traffic packs are sold one_off only;
// every other kind by month, quarter or year.
const (
	CycleMonth   Cycle = "month"
	CycleQuarter Cycle = "quarter"
	CycleYear    Cycle = "year"
	CycleOneOff  Cycle = "one_off"
)

// Valid reports whether c is a known cycle.
func (c Cycle) Valid() bool {
	return c == CycleMonth || c == CycleQuarter || c == CycleYear || c == CycleOneOff
}

// Driver names the provisioning driver that delivers a product.
type Driver string

// Provisioning drivers. manual (staff deliver by hand) and sandbox (the
// sandbox mode's simulated delivery) fit every kind; the others only the
// kind they provision (see [Product.Validate]).
const (
	DriverManual    Driver = "manual"
	DriverSandbox   Driver = "sandbox"
	DriverACME      Driver = "acme"
	DriverWireGuard Driver = "wireguard"
	DriverNginx     Driver = "nginx"
)

// driversFor lists the drivers each kind may use.
var driversFor = map[Kind][]Driver{
	KindCloudServer: {DriverManual, DriverSandbox},
	KindVPN:         {DriverManual, DriverSandbox, DriverWireGuard},
	KindCDN:         {DriverManual, DriverSandbox, DriverNginx},
	KindCertificate: {DriverManual, DriverSandbox, DriverACME},
	KindTrafficPack: {DriverManual, DriverSandbox},
}

// DriversFor returns the drivers kind k may be provisioned by.
func DriversFor(k Kind) []Driver { return slices.Clone(driversFor[k]) }

// CyclesFor returns the cycles kind k may be priced in.
func CyclesFor(k Kind) []Cycle {
	if k == KindCertificate || k == KindTrafficPack {
		return []Cycle{CycleOneOff}
	}
	return []Cycle{CycleMonth, CycleQuarter, CycleYear}
}

// CloudServer is the specification of a cloud server.
type CloudServer struct {
	CPU           int    // vCPUs, ≥ 1
	MemoryMiB     int    // ≥ 1
	DiskGiB       int    // ≥ 1
	Region        string // required
	Line          Line
	Billing       Billing
	BandwidthMbps int // port speed; required (≥ 1) for bandwidth billing, optional cap for traffic billing
	// QuotaBytes is the byte quota per cycle in the billed Direction;
	// required (> 0) for traffic billing, zero for bandwidth billing.
	QuotaBytes uint64
	// Direction is the billed direction; required for traffic billing,
	// empty for bandwidth billing.
	Direction Direction
}

// VPN is the specification of a VPN line.
type VPN struct {
	Line  Line
	Scope Scope
}

// CDN is the specification of a CDN product.
type CDN struct {
	Plan CDNPlan
	// QuotaBytes is the bytes per cycle of a traffic plan (> 0); zero for a
	// bandwidth plan.
	QuotaBytes    uint64
	BandwidthMbps int // required (≥ 1) for a bandwidth plan
}

// Certificate is the specification of a digital certificate.
type Certificate struct {
	Validation Validation
	Domains    int // names covered, ≥ 1
}

// TrafficPack is the specification of a traffic pack: extra bytes for the
// traffic-billed cloud server it is attached to.
type TrafficPack struct {
	Bytes uint64 // > 0, counted in the parent's billed direction
	// Validity is how long the pack lasts after it is attached; it comes
	// from configuration (the console) and must be positive.
	Validity time.Duration
}

// Price is the price of one unit of a plan for one cycle.
type Price struct {
	Cycle     Cycle
	AmountFen int64 // ≥ 0
}

// StockUnlimited as a Plan's Stock means capacity is not counted.
const StockUnlimited int64 = -1

// Plan is one purchasable configuration of a product with its prices.
type Plan struct {
	ID     string
	Name   string
	Prices []Price // at most one per cycle
	// Stock is the number of units still sellable, or StockUnlimited. The
	// store decrements it with a conditional update at checkout and gives
	// it back when an unpaid order expires or is cancelled; InStock is only
	// a display and pre-check.
	Stock int64
}

// PriceFen returns the price of one unit for cycle c.
func (p Plan) PriceFen(c Cycle) (int64, bool) {
	for _, pr := range p.Prices {
		if pr.Cycle == c {
			return pr.AmountFen, true
		}
	}
	return 0, false
}

// InStock reports whether qty units can be sold now.
func (p Plan) InStock(qty int64) bool {
	return qty > 0 && (p.Stock == StockUnlimited || p.Stock >= qty)
}

// Product is one sellable product. Exactly the spec field of its Kind is
// set (Server for cloud_server, VPN for vpn, and so on).
type Product struct {
	ID     string
	Name   string
	Kind   Kind
	Active bool // offered for sale

	Server *CloudServer
	VPN    *VPN
	CDN    *CDN
	Cert   *Certificate
	Pack   *TrafficPack

	Plans []Plan
	// DeliverySLA is the time from payment within which the product must be
	// delivered (clause 2.2, SEED-REQUIREMENTS A10); frozen onto each order
	// at checkout. Positive.
	DeliverySLA time.Duration
	Driver      Driver
}

// Plan returns the product's plan with id.
func (p Product) Plan(id string) (Plan, bool) {
	for _, pl := range p.Plans {
		if pl.ID == id {
			return pl, true
		}
	}
	return Plan{}, false
}

// LineType returns the line type of a cloud server or VPN, and "" for the
// kinds that have none.
func (p Product) LineType() Line {
	switch {
	case p.Kind == KindCloudServer && p.Server != nil:
		return p.Server.Line
	case p.Kind == KindVPN && p.VPN != nil:
		return p.VPN.Line
	}
	return ""
}

// TrafficBilled reports whether p is a cloud server billed by traffic.
func (p Product) TrafficBilled() bool {
	return p.Kind == KindCloudServer && p.Server != nil && p.Server.Billing == BillingTraffic
}

// Provisioned reports whether buying p provisions something, so that
// real-name verification must come first (kyc.required_before,
// Cybersecurity Law art. 26, Anti-Telecom-Fraud Law art. 21). Every kind
// does: servers, VPN lines and CDN are network services, certificates are
// issued to a verified holder, and a traffic pack extends a network
// service's capacity.
func (p Product) Provisioned() bool { return p.Kind.Valid() }
