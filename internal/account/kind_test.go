package account_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k                    account.Kind
		valid, cust, selfReg bool
	}{
		{account.KindIndividual, true, true, true},
		{account.KindEnterprise, true, true, true},
		{account.KindSubUser, true, true, false},
		{account.KindReseller, true, true, true},
		{account.KindStaff, true, false, false},
		{"admin", false, false, false},
		{"", false, false, false},
	}
	for _, tt := range tests {
		if tt.k.Valid() != tt.valid || tt.k.Customer() != tt.cust || tt.k.SelfRegistrable() != tt.selfReg {
			t.Errorf("%q: Valid %v Customer %v SelfRegistrable %v", tt.k, tt.k.Valid(), tt.k.Customer(), tt.k.SelfRegistrable())
		}
		k, err := account.ParseKind(string(tt.k))
		if tt.valid != (err == nil) || (err == nil && k != tt.k) {
			t.Errorf("ParseKind(%q) = %q, %v", tt.k, k, err)
		}
		if err != nil && errs.CodeOf(err) != account.CodeKindInvalid {
			t.Errorf("ParseKind(%q) code %q", tt.k, errs.CodeOf(err))
		}
	}
}

func TestStateMoves(t *testing.T) {
	t.Parallel()
	allowed := map[[2]account.State]bool{
		{account.StateRegistered, account.StateActive}: true,
		{account.StateRegistered, account.StateClosed}: true,
		{account.StateActive, account.StateDisabled}:   true,
		{account.StateActive, account.StateClosed}:     true,
		{account.StateDisabled, account.StateActive}:   true,
		{account.StateDisabled, account.StateClosed}:   true,
	}
	all := []account.State{account.StateRegistered, account.StateActive, account.StateDisabled, account.StateClosed}
	for _, from := range all {
		if !from.Valid() {
			t.Errorf("%s not valid", from)
		}
		for _, to := range all {
			want := allowed[[2]account.State{from, to}]
			if from.CanMoveTo(to) != want {
				t.Errorf("%s → %s: %v, want %v", from, to, !want, want)
			}
			err := account.MoveState(from, to)
			if (err == nil) != want || (err != nil && errs.KindOf(err) != errs.Conflict) {
				t.Errorf("MoveState(%s, %s) = %v", from, to, err)
			}
		}
	}
	if account.State("zombie").Valid() {
		t.Error("unknown state valid")
	}
	for s, want := range map[account.State][2]bool{
		account.StateRegistered: {true, false}, account.StateActive: {true, false},
		account.StateDisabled: {false, true}, account.StateClosed: {false, true},
	} {
		if s.CanLogIn() != want[0] || s.EndsSessions() != want[1] {
			t.Errorf("%s: CanLogIn %v EndsSessions %v", s, s.CanLogIn(), s.EndsSessions())
		}
	}
}

func TestAccountPrincipal(t *testing.T) {
	t.Parallel()
	a := account.Account{ID: "s1", Kind: account.KindSubUser, OwnerID: "e1", Scopes: []account.Scope{account.ScopeMayOrder}}
	p := a.Principal()
	if p.AccountID != "s1" || p.TenantID() != "e1" || p.ViaAPIKey || !slices.Equal(p.Scopes, a.Scopes) {
		t.Errorf("Principal = %+v", p)
	}
	p.Scopes[0] = account.ScopeMayPay
	if a.Scopes[0] != account.ScopeMayOrder {
		t.Error("Principal shares the account's scope slice")
	}
	if o := p.SelfObject(); o.OwnerAccountID != "s1" || o.OwnerParentID != "e1" {
		t.Errorf("SelfObject = %+v", o)
	}
	if o := p.TenantObject(); o.OwnerAccountID != "e1" {
		t.Errorf("TenantObject = %+v", o)
	}
	if alice.TenantID() != "alice" || alice.SelfObject().OwnerParentID != "" {
		t.Error("individual tenant")
	}
}

// TestPureDomain enforces DESIGN.md §6: no SQL, no HTTP, no outer layer.
func TestPureDomain(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			bad := p == "database/sql" || p == "net/http" || strings.HasPrefix(p, "database/sql/") || strings.HasPrefix(p, "net/http/")
			for _, outer := range []string{"yuanxu/internal/app", "yuanxu/internal/store", "yuanxu/internal/web", "yuanxu/internal/jobs", "yuanxu/cmd"} {
				bad = bad || p == outer || strings.HasPrefix(p, outer+"/")
			}
			if bad {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
