package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
)

// A staff lookup of who held an address (AddressHolder, the
// GET /staff/addresses/{address}/holder route) reads personal
// information: like LookupAddress it needs a purpose, and every lookup,
// answered or not, is audited compliance.address_lookup naming the staff
// actor, the address, the instant and the ids found, never the holder's
// contact. A lookup without a purpose, or by someone without
// account.read_any, is refused and leaves no event.
func TestAddressHolderIsAuditedWithItsPurpose(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	ctx := app.WithActor(context.Background(), app.Actor{ID: "staff:" + ops.AccountID, ClientIP: "192.0.2.10"})
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-gz-home", "h4", "month")
	svc := s.serviceOf(t, p, o.ID)
	t1 := s.clock.Now()
	if _, err := s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Addresses: []string{"203.0.113.79", "2001:db8::79"}}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour)
	lookups := func() int {
		return countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'compliance.address_lookup'`)
	}

	// Refused: no event.
	for _, c := range []struct {
		name    string
		p       account.Principal
		purpose string
		kind    errs.Kind
	}{
		{"no purpose", ops, "", errs.Invalid},
		{"unknown purpose", ops, "curiosity", errs.Invalid},
		{"a customer", p, "abuse_investigation", errs.Forbidden},
	} {
		_, _, err := s.a.AddressHolder(ctx, c.p, app.LookupInput{Address: "203.0.113.79", At: t1.Add(time.Minute), Purpose: c.purpose})
		wantKind(t, err, c.kind)
		var e *errs.Error
		if c.kind == errs.Invalid && (!errorsAs(err, &e) || e.Code != compliance.CodeLookupInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "query.purpose") {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if n := lookups(); n != 0 {
		t.Fatalf("refused lookups audited: %d", n)
	}

	// Answered or not, each lookup is one event.
	type event struct {
		actor, subject string
		data           map[string]any
	}
	for i, c := range []struct {
		name, addr, canon string
		at                time.Time
		held              bool
	}{
		{"v4 held", "203.0.113.79", "203.0.113.79", t1.Add(time.Minute), true},
		{"v6 written long", "2001:0db8:0000::0079", "2001:db8::79", t1.Add(time.Minute), true},
		{"before delivery", "203.0.113.79", "203.0.113.79", t1.Add(-time.Minute), false},
	} {
		s.clock.Advance(time.Minute) // one event per instant, in order
		h, ok, err := s.a.AddressHolder(ctx, ops, app.LookupInput{Address: c.addr, At: c.at, Purpose: "fraud_investigation", Reference: "case Y"})
		if err != nil || ok != c.held || (c.held && (h.ServiceID != svc.ID || h.AccountID != r.view.ID)) {
			t.Fatalf("%s: %+v %v %v", c.name, h, ok, err)
		}
		var e event
		var raw string
		if err := s.a.DB().QueryRow(context.Background(), `SELECT actor, subject_id, data FROM audit_event WHERE action = 'compliance.address_lookup'
 ORDER BY at_ms, id LIMIT 1 OFFSET $1`, i).Scan(&e.actor, &e.subject, &raw); err != nil {
			t.Fatalf("%s: no audit event: %v", c.name, err)
		}
		if err := json.Unmarshal([]byte(raw), &e.data); err != nil {
			t.Fatal(err)
		}
		wantAccount, wantService := "", ""
		if c.held {
			wantAccount, wantService = r.view.ID, svc.ID
		}
		at, _ := time.Parse(time.RFC3339Nano, e.data["at"].(string))
		if e.actor != "staff:"+ops.AccountID || e.subject != c.canon || !at.Equal(c.at) || e.data["purpose"] != "fraud_investigation" ||
			e.data["reference"] != "case Y" || e.data["held"] != c.held || e.data["account"] != wantAccount || e.data["service"] != wantService {
			t.Errorf("%s: audited %+v", c.name, e)
		}
		if strings.Contains(raw, r.email) || strings.Contains(raw, "@") {
			t.Errorf("%s: the event carries a contact: %s", c.name, raw)
		}
	}
	if n := lookups(); n != 3 {
		t.Fatalf("lookups audited = %d, want 3", n)
	}
}
