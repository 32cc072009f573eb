package order_test

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

func TestReplay(t *testing.T) {
	t.Parallel()
	body := order.HashBody([]byte(`{"lines":[1]}`))
	other := order.HashBody([]byte(`{"lines":[2]}`))
	rec := func(state order.IdemState) *order.IdemRecord {
		return &order.IdemRecord{AccountID: "c1", Key: "k1", BodyHash: body, State: state, CreatedAt: t0, Status: 201, Response: []byte("{}")}
	}
	tests := []struct {
		name   string
		stored *order.IdemRecord
		key    string
		hash   [32]byte
		now    time.Time
		want   order.Decision
		code   string
		kind   errs.Kind
	}{
		{"NoRecord", nil, "k1", body, t0, order.DecisionNew, "", 0},
		{"SameKeyAndBodyDone", rec(order.IdemDone), "k1", body, t0.Add(time.Hour), order.DecisionReplay, "", 0},
		{"SameKeyOtherBody", rec(order.IdemDone), "k1", other, t0.Add(time.Hour), order.DecisionMismatch, order.CodeIdemBodyMismatch, errs.Invalid},
		{"InFlight", rec(order.IdemInFlight), "k1", body, t0.Add(time.Second), order.DecisionInFlight, order.CodeIdemInFlight, errs.Conflict},
		{"InFlightOtherBody", rec(order.IdemInFlight), "k1", other, t0.Add(time.Second), order.DecisionMismatch, order.CodeIdemBodyMismatch, errs.Invalid},
		{"LastInstantOfRetention", rec(order.IdemDone), "k1", other, t0.Add(order.IdemRetention - 1), order.DecisionMismatch, order.CodeIdemBodyMismatch, errs.Invalid},
		{"AfterRetention", rec(order.IdemDone), "k1", other, t0.Add(order.IdemRetention), order.DecisionNew, "", 0},
		{"OtherKey", rec(order.IdemDone), "k2", other, t0, order.DecisionNew, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := order.Replay(tt.stored, tt.key, tt.hash, tt.now)
			if got != tt.want {
				t.Fatalf("Replay = %s; want %s", got, tt.want)
			}
			err := got.Err()
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := asErr(t, err); e.Code != tt.code || e.Kind != tt.kind || e.Fields[0].Field != "header.Idempotency-Key" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if order.IdemRetention < 24*time.Hour {
		t.Fatal("keys are kept at least 24 h")
	}
}

func TestValidateIdemKey(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"k1": true, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b": true, strings.Repeat("a", 255): true,
		"": false, strings.Repeat("a", 256): false, "has space": false, "tab\t": false, "中文": false, "del\x7f": false,
	} {
		if err := order.ValidateIdemKey(key); (err == nil) != ok {
			t.Errorf("ValidateIdemKey(%q) = %v", key, err)
		} else if err != nil && errs.CodeOf(err) != order.CodeIdemKeyInvalid {
			t.Errorf("code = %s", errs.CodeOf(err))
		}
	}
}

func BenchmarkReplay(b *testing.B) {
	h := order.HashBody([]byte("body"))
	r := &order.IdemRecord{Key: "k", BodyHash: h, State: order.IdemDone, CreatedAt: t0}
	for b.Loop() {
		if order.Replay(r, "k", h, t0) != order.DecisionReplay {
			b.Fatal("not replay")
		}
	}
}
