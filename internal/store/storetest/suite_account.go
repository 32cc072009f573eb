package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runAccount holds the accounts storage cases: the constraints and the
// conditional writes that make codes, TOTP steps, recovery codes and API
// key prefixes single-use under concurrency.
func runAccount(t *testing.T, h Harness) {
	t.Run("ContactIndexesAreUnique", func(t *testing.T) { t.Parallel(); testAccountUnique(t, h.New(t)) })
	t.Run("ConditionalWritesSucceedOnce", func(t *testing.T) { t.Parallel(); testAccountConditional(t, h.New(t)) })
	t.Run("ThrottleCountsAndForgets", func(t *testing.T) { t.Parallel(); testThrottle(t, h.New(t)) })
	t.Run("SessionsEndAllButKept", func(t *testing.T) { t.Parallel(); testSessionsEnd(t, h.New(t)) })
}

// AccountFixture inserts an active individual account and returns it.
func AccountFixture(t testing.TB, db *store.DB, emailIndex, phoneIndex string) store.AccountRow {
	t.Helper()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	r := store.AccountRow{ID: id.New(), Kind: "individual", State: "active", DisplayName: "t", EmailIndex: emailIndex, PhoneIndex: phoneIndex,
		Lang: "zh-CN", CreatedAt: now, UpdatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AccountInsert(ctx, r) })
	return r
}

func testAccountUnique(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := AccountFixture(t, db, "e1", "")
	AccountFixture(t, db, "", "") // NULL indexes never collide
	AccountFixture(t, db, "", "")
	for _, r := range []store.AccountRow{{EmailIndex: "e1"}, {EmailIndex: "e2", PhoneIndex: "p1"}} {
		r.ID, r.Kind, r.State, r.Lang = id.New(), "individual", "active", "en"
		err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.AccountInsert(ctx, r) })
		if r.EmailIndex == "e1" && !errors.Is(err, errs.ErrDuplicate) {
			t.Fatalf("duplicate email index: %v", err)
		}
		if r.EmailIndex == "e2" && err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.AccountByIndex(ctx, db, "email", "e1")
	if err != nil || got.ID != a.ID || got.PhoneIndex != "" {
		t.Fatalf("by index = %+v, %v", got, err)
	}
	if _, err := store.AccountGet(ctx, db, id.New()); !store.IsNotFound(err) {
		t.Fatalf("missing account: %v", err)
	}
}

func testAccountConditional(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := AccountFixture(t, db, "e", "p")
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	type step struct {
		name string
		fn   func(ctx context.Context, tx *store.Tx) (bool, error)
	}
	code := store.CodeRow{ID: id.New(), Purpose: "register_email", Channel: "email", TargetIndex: "e", MAC: "00", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	key := store.APIKeyRow{ID: id.New(), AccountID: a.ID, Name: "k", Prefix: "abcdefgh", Hash: "00", Scopes: []string{"order.read"}, CreatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.CodeInsert(ctx, code); err != nil {
			return err
		}
		if err := tx.RecoveryReplace(ctx, a.ID, []string{"r1", "r2"}); err != nil {
			return err
		}
		return tx.APIKeyInsert(ctx, key)
	})
	dup := key
	dup.ID = id.New()
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.APIKeyInsert(ctx, dup) }); !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("prefix collision: %v", err)
	}
	steps := []step{
		{"totp step", func(ctx context.Context, tx *store.Tx) (bool, error) { return tx.AccountTOTPAdvance(ctx, a.ID, 0, 42) }},
		{"code use", func(ctx context.Context, tx *store.Tx) (bool, error) {
			return tx.CodeUpdate(ctx, code.ID, 0, store.CodeRow{Attempts: 0, UsedAt: now})
		}},
		{"recovery code", func(ctx context.Context, tx *store.Tx) (bool, error) { return tx.RecoveryConsume(ctx, a.ID, "r1") }},
		{"api key revoke", func(ctx context.Context, tx *store.Tx) (bool, error) { return tx.APIKeyRevoke(ctx, key.ID) }},
		{"measure lift", func(ctx context.Context, tx *store.Tx) (bool, error) {
			return tx.MeasureLift(ctx, a.ID, "banned", "x", "y")
		}},
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.MeasureInsert(ctx, store.MeasureRow{ID: id.New(), AccountID: a.ID, Flag: "banned", Reason: "r", ImposedBy: "s", Since: now})
	})
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.MeasureInsert(ctx, store.MeasureRow{ID: id.New(), AccountID: a.ID, Flag: "banned", Reason: "r", ImposedBy: "s", Since: now})
	}); !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("second ban in force: %v", err)
	}
	for _, s := range steps {
		for i, want := range []bool{true, false} {
			var ok bool
			mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
				var err error
				ok, err = s.fn(ctx, tx)
				return err
			})
			if ok != want {
				t.Fatalf("%s attempt %d: ok = %v", s.name, i+1, ok)
			}
		}
	}
	if n, err := store.RecoveryRemaining(ctx, db, a.ID); err != nil || n != 1 {
		t.Fatalf("recovery remaining = %d, %v", n, err)
	}
}

func testThrottle(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(1_780_000_000_000).UTC()
	for i, at := range []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second), t0.Add(2*time.Second + time.Hour)} {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.ThrottleFail(ctx, "k", at, time.Hour) })
		c, err := store.ThrottleGet(ctx, db, "k")
		want := []int{1, 2, 3, 1}[i]
		if err != nil || c.Failures != want || !c.Last.Equal(at) {
			t.Fatalf("after failure %d: %+v, %v (want %d)", i, c, err, want)
		}
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.ThrottleReset(ctx, "k") })
	if c, _ := store.ThrottleGet(ctx, db, "k"); c.Failures != 0 {
		t.Fatalf("after reset: %+v", c)
	}
}

func testSessionsEnd(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := AccountFixture(t, db, "", "")
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	for _, h := range []string{"h1", "h2", "h3"} {
		s := store.SessionRow{TokenHash: h, ID: id.New(), AccountID: a.ID, CreatedAt: now, LastSeenAt: now, Idle: time.Minute,
			ExpiresAt: now.Add(time.Hour), MFACompletedAt: now, ReauthAt: now}
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SessionInsert(ctx, s) })
	}
	var n int64
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		n, err = tx.SessionEndAll(ctx, a.ID, "password_changed", "h2")
		return err
	})
	live, err := store.SessionsOf(ctx, db, a.ID, now)
	if err != nil || n != 2 || len(live) != 1 || live[0].TokenHash != "h2" {
		t.Fatalf("ended %d, live %+v, %v", n, live, err)
	}
	var touched bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		touched, err = tx.SessionTouch(ctx, "h2", now, now.Add(time.Minute))
		return err
	})
	s, err := store.SessionByTokenHash(ctx, db, "h2")
	if err != nil || !touched || !s.LastSeenAt.Equal(now.Add(time.Minute)) || s.Idle != time.Minute {
		t.Fatalf("touch: %v %+v %v", touched, s, err)
	}
	// The session with its account and its authorisation in one round
	// trip: the same rows as the reads one by one.
	checkSessionAuthz(t, db, "h2", a, "")
	if _, _, _, err := store.SessionAuthz(ctx, db, "nope"); !store.IsNotFound(err) {
		t.Fatalf("unknown token: %v, want not found", err)
	}
	// A sub-user: its enterprise's measures bind it too; another
	// account's do not.
	ent := AccountFixture(t, db, "", "")
	sub := store.AccountRow{ID: id.New(), Kind: "sub_user", State: "active", OwnerID: ent.ID, DisplayName: "s", Lang: "en",
		CreatedAt: now, UpdatedAt: now}
	other := AccountFixture(t, db, "", "")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AccountInsert(ctx, sub); err != nil {
			return err
		}
		if err := tx.AccountRolesSet(ctx, sub.ID, []string{"billing", "admin"}); err != nil {
			return err
		}
		if err := tx.AccountScopesSet(ctx, sub.ID, []string{"order.read"}); err != nil {
			return err
		}
		for _, m := range []store.MeasureRow{{AccountID: sub.ID, Flag: "restricted"}, {AccountID: ent.ID, Flag: "suspended"},
			{AccountID: other.ID, Flag: "banned"}} {
			m.ID, m.Reason, m.CaseRef, m.ImposedBy, m.Since = id.New(), "r", "c", "staff", now
			if err := tx.MeasureInsert(ctx, m); err != nil {
				return err
			}
		}
		return tx.SessionInsert(ctx, store.SessionRow{TokenHash: "hs", ID: id.New(), AccountID: sub.ID, CreatedAt: now, LastSeenAt: now,
			Idle: time.Minute, ExpiresAt: now.Add(time.Hour), MFACompletedAt: now, ReauthAt: now})
	})
	az := checkSessionAuthz(t, db, "hs", sub, ent.ID)
	if len(az.Roles) != 2 || len(az.Scopes) != 1 || len(az.Own) != 1 || len(az.Owner) != 1 || az.Owner[0].Flag != "suspended" {
		t.Fatalf("sub-user's authorisation: %+v", az)
	}
}

// checkSessionAuthz: SessionAuthz of token hash h gives the session, the
// account a and its authorisation as SessionByTokenHash, AccountGet and
// AccountAuthzOf(a, owner) give them.
func checkSessionAuthz(t *testing.T, db *store.DB, h string, a store.AccountRow, owner string) store.AccountAuthz {
	t.Helper()
	ctx := context.Background()
	ctx, c := store.CountStatements(ctx)
	sess, acc, az, err := store.SessionAuthz(ctx, db, h)
	if err != nil {
		t.Fatalf("SessionAuthz(%s): %v", h, err)
	}
	if db.Engine() == store.Postgres && c.PoolTrips.Load() != 1 {
		t.Fatalf("SessionAuthz took %d round trips, want 1", c.PoolTrips.Load())
	}
	wantSess, err1 := store.SessionByTokenHash(ctx, db, h)
	wantAcc, err2 := store.AccountGet(ctx, db, a.ID)
	wantAz, err3 := store.AccountAuthzOf(ctx, db, a.ID, owner)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if store.AuthzOwner(acc) != owner || !reflect.DeepEqual(sess, wantSess) || !reflect.DeepEqual(acc, wantAcc) || !reflect.DeepEqual(az, wantAz) {
		t.Fatalf("SessionAuthz(%s) = %+v, %+v, %+v\nwant %+v, %+v, %+v", h, sess, acc, az, wantSess, wantAcc, wantAz)
	}
	return az
}
