package agreement_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
)

func effectiveDefault() agreement.Version {
	return agreement.Version{ID: "v1", Doc: agreement.Default(), State: agreement.StateEffective}
}

func goodAcceptance() agreement.Acceptance {
	return agreement.Acceptance{
		AccountID:    "acc-1",
		VersionID:    "v1",
		SHA256:       agreement.Default().SHA256,
		Acknowledged: agreement.Default().KeyClauses(),
		Explained:    []agreement.ClauseID{"3.2.2"},
		At:           now,
		IP:           netip.MustParseAddr("203.0.113.7"),
		UserAgent:    "Mozilla/5.0",
		Channel:      agreement.ChannelWeb,
	}
}

func TestValidateAcceptance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*agreement.Acceptance, *agreement.Version)
		kind   errs.Kind
		code   string
		field  string
	}{
		{"Valid", func(*agreement.Acceptance, *agreement.Version) {}, 0, "", ""},
		{"ValidThroughAPIWithoutUserAgent", func(a *agreement.Acceptance, _ *agreement.Version) { a.Channel, a.UserAgent = agreement.ChannelAPI, "" }, 0, "", ""},
		{"ValidResellerInvitation", func(a *agreement.Acceptance, _ *agreement.Version) {
			a.Channel, a.ResellerID = agreement.ChannelResellerInvitation, "rs-9"
		}, 0, "", ""},
		{"ValidForAScheduledVersion", func(_ *agreement.Acceptance, v *agreement.Version) { v.State = agreement.StateScheduled }, 0, "", ""},
		{"ExtraAcknowledgementsAreFine", func(a *agreement.Acceptance, _ *agreement.Version) {
			a.Acknowledged = append(a.Acknowledged, "1", "9.4")
		}, 0, "", ""},
		{"NoAccount", func(a *agreement.Acceptance, _ *agreement.Version) { a.AccountID = "" }, errs.Invalid, "agreement.acceptance_invalid", "account_id"},
		{"NoTime", func(a *agreement.Acceptance, _ *agreement.Version) { a.At = time.Time{} }, errs.Invalid, "agreement.acceptance_invalid", "at"},
		{"NoIP", func(a *agreement.Acceptance, _ *agreement.Version) { a.IP = netip.Addr{} }, errs.Invalid, "agreement.acceptance_invalid", "ip"},
		{"UnknownChannel", func(a *agreement.Acceptance, _ *agreement.Version) { a.Channel = "phone" }, errs.Invalid, "agreement.acceptance_invalid", "channel"},
		{"ResellerWithoutInvitation", func(a *agreement.Acceptance, _ *agreement.Version) { a.ResellerID = "rs-9" }, errs.Invalid, "agreement.acceptance_invalid", "reseller_id"},
		{"InvitationWithoutReseller", func(a *agreement.Acceptance, _ *agreement.Version) { a.Channel = agreement.ChannelResellerInvitation }, errs.Invalid, "agreement.acceptance_invalid", "reseller_id"},
		{"BadUserAgent", func(a *agreement.Acceptance, _ *agreement.Version) { a.UserAgent = "\xff" }, errs.Invalid, "agreement.acceptance_invalid", "user_agent"},
		{"OtherVersion", func(a *agreement.Acceptance, _ *agreement.Version) { a.VersionID = "v0" }, errs.Invalid, "agreement.acceptance_version_mismatch", "sha256"},
		{"OtherText", func(a *agreement.Acceptance, _ *agreement.Version) { a.SHA256 = "00" + a.SHA256[2:] }, errs.Invalid, "agreement.acceptance_version_mismatch", "sha256"},
		{"DraftVersion", func(_ *agreement.Acceptance, v *agreement.Version) { v.State = agreement.StateDraft }, errs.Conflict, "agreement.version_not_acceptable", ""},
		{"SupersededVersion", func(_ *agreement.Acceptance, v *agreement.Version) { v.State = agreement.StateSuperseded }, errs.Conflict, "agreement.version_not_acceptable", ""},
		{"UnknownClause", func(a *agreement.Acceptance, _ *agreement.Version) { a.Explained = []agreement.ClauseID{"3.9"} }, errs.Invalid, "agreement.unknown_clause", "acknowledged"},
		{"KeyClauseMissing", func(a *agreement.Acceptance, _ *agreement.Version) {
			a.Acknowledged = slices.DeleteFunc(slices.Clone(a.Acknowledged), func(id agreement.ClauseID) bool { return id == "3.2.1" || id == "8" })
		}, errs.Invalid, agreement.CodeKeyClauseNotAcknowledged, "acknowledged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, v := goodAcceptance(), effectiveDefault()
			tt.change(&a, &v)
			err := agreement.ValidateAcceptance(a, v)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if errs.KindOf(err) != tt.kind || errs.CodeOf(err) != tt.code {
				t.Fatalf("err %v, want %v %s", err, tt.kind, tt.code)
			}
			if tt.field != "" && !slices.ContainsFunc(fieldsOf(t, err), func(fe errs.FieldError) bool { return fe.Field == tt.field }) {
				t.Errorf("no field %s in %v", tt.field, fieldsOf(t, err))
			}
		})
	}
}

func TestValidateAcceptanceNamesTheMissingKeyClauses(t *testing.T) {
	t.Parallel()
	a := goodAcceptance()
	a.Acknowledged = []agreement.ClauseID{"2.3", "3.1"}
	err := agreement.ValidateAcceptance(a, effectiveDefault())
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v", err)
	}
	missing, _ := e.Params["missing"].([]string)
	want := []string{"3.2.1", "3.2.2", "3.2.3", "3.2.4", "4.2", "4.3", "6.2", "7.1", "7.2", "7.3", "7.4", "8"}
	if !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
	for _, id := range want {
		if !strings.Contains(e.Msg, id) {
			t.Errorf("message %q does not name %s", e.Msg, id)
		}
	}
}
