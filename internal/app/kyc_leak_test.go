package app_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/kyc"
	"yuanxu/internal/store"
)

// TestKYCPersonalDataNeverLeaks runs the real-name flows with known
// personal data and proves that none of it appears in the log (debug
// level), in any error the flows return (message, params, fields), or in
// any text or binary column of any table in clear (DESIGN §5).
func TestKYCPersonalDataNeverLeaks(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, nil)
	ctx := context.Background()
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	ind, pi := s.customer(t, "individual")
	ent, pe := s.customer(t, "enterprise")
	dup, pd := s.customer(t, "individual")

	var errTexts []string
	note := func(err error) {
		if err != nil {
			errTexts = append(errTexts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	// Bad input carrying the data (wrong check characters, forbidden letters).
	badID := leakID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", leakID[17])+1)%11])
	_, err := s.a.KYCSubmit(ctx, pi, ind.view.ID, individualForm(leakName, badID, leakPhone))
	note(err)
	_, err = s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC[:17]+"O"))
	note(err)
	_, err = s.a.KYCSubmit(ctx, pi, ind.view.ID, enterpriseForm(leakUSCC))
	note(err)
	v, err := s.a.KYCSubmit(ctx, pi, ind.view.ID, individualForm(leakName, leakID, leakPhone))
	note(err)
	ve, err := s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC))
	note(err)
	if v.Current == nil || ve.Current == nil {
		t.Fatalf("submissions failed: %v", errTexts)
	}
	_, err = s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove})
	note(err)
	_, err = s.a.KYCDecide(ctx, officer, ve.Current.ID, app.KYCDecision{Decision: app.KYCReject, Reason: kyc.ReasonLicenceMismatch})
	note(err)
	_, err = s.a.KYCSubmit(ctx, pd, dup.view.ID, individualForm(leakName, leakID, leakPhone))
	note(err)
	_, err = s.a.KYCUnmask(ctx, officer, v.Current.ID, "identity", "")
	note(err)
	if _, err := s.a.KYCUnmask(ctx, officer, v.Current.ID, "identity", "kyc_review"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DataExportOf(ctx, pi, ind.view.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC))
	note(err)
	note(s.a.CloseAccount(ctx, pe, ent.view.ID))
	note(s.a.KYCRequired(ctx, ent.view.ID))

	secrets := []string{leakID, leakUSCC, leakPhone, leakName, leakRep, "SECRETLICENCE", leakPhone[:3] + " " + leakPhone[3:7]}
	for _, e := range errTexts {
		for _, x := range secrets {
			if strings.Contains(e, x) {
				t.Errorf("an error carries personal data %q: %s", x, e)
			}
		}
	}
	logs := s.logs.String()
	if logs == "" {
		t.Log("note: the flows logged nothing")
	}
	for _, x := range secrets {
		if strings.Contains(logs, x) {
			t.Errorf("the log carries personal data %q", x)
		}
	}
	scanDatabase(t, s.db, secrets)
}

// scanDatabase reads every column of every table and fails on any value
// that contains one of secrets in clear.
func scanDatabase(t *testing.T, db *store.DB, secrets []string) {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("found only %d tables", len(tables))
	}
	scanned := 0
	for _, tb := range tables {
		r, err := db.Reader().QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", tb, err)
			}
			for i, v := range vals {
				var b []byte
				switch x := v.(type) {
				case []byte:
					b = x
				case string:
					b = []byte(x)
				default:
					continue
				}
				scanned++
				for _, sec := range secrets {
					if bytes.Contains(b, []byte(sec)) {
						t.Errorf("table %s column %s holds %q in clear", tb, cols[i], sec)
					}
				}
			}
		}
		r.Close()
	}
	if scanned == 0 {
		t.Fatal("scanned no values")
	}
}
