package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runKYC is real-name verification's part of the conformance suite.
func runKYC(t *testing.T, h Harness) {
	t.Run("SubmissionRoundTripsSealedBytes", func(t *testing.T) { t.Parallel(); testKYCRoundTrip(t, h.New(t)) })
	t.Run("DecisionIsTakenOnce", func(t *testing.T) { t.Parallel(); testKYCDecideOnce(t, h.New(t)) })
	t.Run("OneHolderPerIdentityUnlessLinked", func(t *testing.T) { t.Parallel(); testKYCIdentity(t, h.New(t)) })
	t.Run("PurgeDeletesSubmissionsAndClaims", func(t *testing.T) { t.Parallel(); testKYCPurge(t, h.New(t)) })
}

// KYCAccountFixture inserts a bare active account for KYC rows to refer to.
func KYCAccountFixture(t testing.TB, db *store.DB, kind string) string {
	t.Helper()
	aid := id.New()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.AccountInsert(ctx, store.AccountRow{ID: aid, Kind: kind, State: "active", DisplayName: "kyc fixture", Lang: "zh-CN",
			AgreementVersion: "test", CreatedAt: tx.Now, UpdatedAt: tx.Now})
	})
	return aid
}

func kycSubmissionFixture(accountID string, at time.Time, index []byte) store.KYCSubmissionRow {
	return store.KYCSubmissionRow{ID: id.NewAt(at), AccountID: accountID, Subject: "enterprise", Status: "pending",
		NameEnc: []byte{0x01, 0x00, 0xff}, NameMasked: "张*", CompanyName: "示例有限公司", IdentityEnc: []byte{0x01, 0x02, 0x00, 0x03},
		IdentityMasked: "9136**********0000", IdentityIndex: index, PhoneEnc: []byte{0x01, 0x09}, PhoneMasked: "138****5678",
		LicenceEnc: bytes.Repeat([]byte{0x89, 0x00, 0xfe}, 1000), LicenceMIME: "image/png", LicenceBytes: 3000, LicenceSHA256: "ab",
		Warnings: "kyc.uscc_org_code_check", SubmittedAt: at}
}

func testKYCRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	aid := KYCAccountFixture(t, db, "enterprise")
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s := kycSubmissionFixture(aid, now, []byte{0x00, 0x01, 0x02})
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.KYCSubmissionInsert(ctx, s); err != nil {
			return err
		}
		return tx.KYCProfilePut(ctx, store.KYCProfileRow{AccountID: aid, State: "pending", Subject: "enterprise", CurrentSubmissionID: s.ID, UpdatedAt: now})
	})
	got, err := store.KYCSubmissionGet(ctx, db, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.LicenceEnc, s.LicenceEnc) || !bytes.Equal(got.NameEnc, s.NameEnc) || !bytes.Equal(got.IdentityIndex, s.IdentityIndex) ||
		got.Warnings != s.Warnings || !got.SubmittedAt.Equal(now) || !got.DecidedAt.IsZero() {
		t.Fatalf("submission read back differs: %+v", got)
	}
	list, err := store.KYCSubmissionsOf(ctx, db, aid)
	if err != nil || len(list) != 1 || list[0].LicenceEnc != nil || list[0].LicenceBytes != 3000 {
		t.Fatalf("list = %+v, %v; want one row without the licence file", list, err)
	}
	q, err := store.KYCSubmissionsByStatus(ctx, db, "pending", 10)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue = %d rows, %v", len(q), err)
	}
	p, err := store.KYCProfileGet(ctx, db, aid)
	if err != nil || p.State != "pending" || p.CurrentSubmissionID != s.ID || !p.ClosedAt.IsZero() {
		t.Fatalf("profile = %+v, %v", p, err)
	}
	if _, err := store.KYCProfileGet(ctx, db, "nobody"); !store.IsNotFound(err) {
		t.Fatalf("missing profile: %v, want not found", err)
	}
	// Reseal keeps the licence when none is given.
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.KYCSubmissionReseal(ctx, store.KYCSubmissionRow{ID: s.ID, NameEnc: []byte("n2"), IdentityEnc: []byte("i2"), PhoneEnc: []byte("p2")})
	})
	got, _ = store.KYCSubmissionGet(ctx, db, s.ID)
	if string(got.NameEnc) != "n2" || !bytes.Equal(got.LicenceEnc, s.LicenceEnc) {
		t.Fatalf("after reseal: name %q, licence kept %v", got.NameEnc, bytes.Equal(got.LicenceEnc, s.LicenceEnc))
	}
}

func testKYCDecideOnce(t *testing.T, db *store.DB) {
	aid := KYCAccountFixture(t, db, "individual")
	now := time.Now()
	s := kycSubmissionFixture(aid, now, []byte{9})
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.KYCSubmissionInsert(ctx, s) })
	decide := func(status string) bool {
		var ok bool
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.KYCSubmissionDecide(ctx, s.ID, "pending", store.KYCSubmissionDecision{Status: status, DecidedBy: "staff-1", DecidedAt: tx.Now})
			return err
		})
		return ok
	}
	if !decide("approved") {
		t.Fatal("first decision refused")
	}
	if decide("rejected") {
		t.Fatal("second decision on a decided submission was applied")
	}
	got, _ := store.KYCSubmissionGet(context.Background(), db, s.ID)
	if got.Status != "approved" || got.DecidedBy != "staff-1" || got.DecidedAt.IsZero() {
		t.Fatalf("decided submission = %+v", got)
	}
}

func testKYCIdentity(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a, b, c := KYCAccountFixture(t, db, "individual"), KYCAccountFixture(t, db, "individual"), KYCAccountFixture(t, db, "individual")
	idx := []byte{0xde, 0xad, 0x00, 0xbe, 0xef}
	claim := func(acct, by string) error {
		return db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.KYCIdentityClaim(ctx, store.KYCIdentityRow{Index: idx, AccountID: acct, LinkedBy: by, CreatedAt: tx.Now})
		})
	}
	if err := claim(a, ""); err != nil {
		t.Fatal(err)
	}
	if err := claim(a, ""); err != nil {
		t.Fatalf("holder claiming again: %v, want it kept", err)
	}
	if err := claim(b, ""); !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("second holder: %v, want ErrDuplicate", err)
	}
	if err := claim(c, "staff-1"); err != nil {
		t.Fatalf("staff link: %v", err)
	}
	cs, err := store.KYCIdentityClaims(ctx, db, idx)
	if err != nil || len(cs) != 2 || cs[0].AccountID != a || cs[0].LinkedBy != "" || cs[1].AccountID != c {
		t.Fatalf("claims = %+v, %v", cs, err)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.KYCIdentityRelease(ctx, a, nil) })
	if err := claim(b, ""); err != nil {
		t.Fatalf("after release, a new holder: %v", err)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.KYCIdentityRelease(ctx, b, idx) })
	if cs, _ := store.KYCIdentityClaims(ctx, db, idx); len(cs) != 2 {
		t.Fatalf("release keeping idx dropped it: %+v", cs)
	}
}

func testKYCPurge(t *testing.T, db *store.DB) {
	ctx := context.Background()
	aid, other := KYCAccountFixture(t, db, "individual"), KYCAccountFixture(t, db, "individual")
	closed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, acct := range []string{aid, other} {
		s := kycSubmissionFixture(acct, closed, []byte(acct))
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.KYCSubmissionInsert(ctx, s); err != nil {
				return err
			}
			if err := tx.KYCIdentityClaim(ctx, store.KYCIdentityRow{Index: s.IdentityIndex, AccountID: acct, CreatedAt: tx.Now}); err != nil {
				return err
			}
			p := store.KYCProfileRow{AccountID: acct, State: "approved", Subject: "individual", CurrentSubmissionID: s.ID, ApprovedSubmissionID: s.ID, UpdatedAt: closed}
			if acct == aid {
				p.ClosedAt = closed
			}
			return tx.KYCProfilePut(ctx, p)
		})
	}
	due, err := store.KYCProfilesClosedBefore(ctx, db, closed.AddDate(3, 0, 0), 10)
	if err != nil || len(due) != 1 || due[0].AccountID != aid {
		t.Fatalf("due = %+v, %v; want only the closed account", due, err)
	}
	if due, _ := store.KYCProfilesClosedBefore(ctx, db, closed.Add(-time.Millisecond), 10); len(due) != 0 {
		t.Fatalf("due before closure = %+v", due)
	}
	var n int64
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		n, err = tx.KYCPurge(ctx, aid)
		return err
	})
	if n != 1 {
		t.Fatalf("purged %d submissions, want 1", n)
	}
	if l, _ := store.KYCSubmissionsOf(ctx, db, aid); len(l) != 0 {
		t.Fatalf("submissions left: %d", len(l))
	}
	if l, _ := store.KYCSubmissionsOf(ctx, db, other); len(l) != 1 {
		t.Fatalf("another customer's submissions: %d, want 1", len(l))
	}
	p, _ := store.KYCProfileGet(ctx, db, aid)
	if p.PurgedAt.IsZero() || p.CurrentSubmissionID != "" {
		t.Fatalf("profile after purge = %+v", p)
	}
	if due, _ := store.KYCProfilesClosedBefore(ctx, db, closed.AddDate(3, 0, 0), 10); len(due) != 0 {
		t.Fatalf("purged profile still due: %+v", due)
	}
}
