package compliance_test

import (
	"errors"
	"slices"
	"testing"

	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
)

func TestCheckDisclosure(t *testing.T) {
	t.Parallel()
	good := compliance.Disclosure{Doc: compliance.LegalDoc{Authority: " 海淀分局 ", Type: "court_order", Number: "(2026)京0108执1号"},
		Officer: "王警官", AccountIDs: []string{"a1", " a1 ", "a2"}, Fields: []string{"identity", "identity"}}
	tests := []struct {
		name   string
		edit   func(*compliance.Disclosure)
		fields []string // the fields refused; none: accepted
	}{
		{"accepted, trimmed and de-duplicated", func(*compliance.Disclosure) {}, nil},
		{"no document", func(d *compliance.Disclosure) { d.Doc = compliance.LegalDoc{} },
			[]string{"body.authority", "body.doc_number", "body.doc_type"}},
		{"unknown category", func(d *compliance.Disclosure) { d.Fields = []string{"everything"} }, []string{"body.fields"}},
		{"nobody disclosed about", func(d *compliance.Disclosure) { d.AccountIDs = []string{" "} }, []string{"body.account_ids"}},
		{"no officer", func(d *compliance.Disclosure) { d.Officer = "" }, []string{"body.officer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := good
			d.AccountIDs, d.Fields = slices.Clone(good.AccountIDs), slices.Clone(good.Fields)
			tt.edit(&d)
			got, err := compliance.CheckDisclosure(d)
			if tt.fields == nil {
				if err != nil || got.Doc.Authority != "海淀分局" || !slices.Equal(got.AccountIDs, []string{"a1", "a2"}) || len(got.Fields) != 1 {
					t.Fatalf("got %+v, %v", got, err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != compliance.CodeAuthorityInvalid {
				t.Fatalf("err = %v", err)
			}
			var fs []string
			for _, f := range e.Fields {
				fs = append(fs, f.Field)
			}
			slices.Sort(fs)
			if !slices.Equal(fs, tt.fields) {
				t.Errorf("fields %v, want %v", fs, tt.fields)
			}
		})
	}
}
