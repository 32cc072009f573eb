package account_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func testHasher(t testing.TB) *account.Hasher {
	t.Helper()
	h, err := account.NewHasher(account.TestParams, account.HasherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestProductionParams pins the production cost to RFC 9106 §4's second
// recommended option (argon2id, t=3, p=4, m=2^16 KiB, 128-bit salt,
// 256-bit tag). Lowering it needs a decision record, not a quiet edit.
func TestProductionParams(t *testing.T) {
	t.Parallel()
	want := account.HashParams{Memory: 1 << 16, Time: 3, Threads: 4, KeyLen: 32, SaltLen: 16}
	if account.ProductionParams != want {
		t.Fatalf("ProductionParams = %+v, want %+v", account.ProductionParams, want)
	}
	// Above OWASP's floor (m=19 MiB with t=2, p=1).
	if account.ProductionParams.Memory < 19*1024 || account.ProductionParams.Time < 2 {
		t.Error("ProductionParams below the OWASP minimum")
	}
	if err := account.ProductionParams.Validate(); err != nil {
		t.Error(err)
	}
	if account.TestParams == account.ProductionParams {
		t.Error("TestParams are the production ones")
	}
}

// TestVerifyReferenceVectors: hashes made by the reference C library
// (libargon2, argon2id_hash_encoded) verify.
func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	h := testHasher(t)
	tests := []struct {
		name, password, encoded string
		slow, rehash            bool
	}{
		{"Production", "correct horse battery staple", "$argon2id$v=19$m=65536,t=3,p=4$eXVhbnh1LXNhbHQtMDAwMQ$jELB1Gg+w/qRW/ZYDoA1HKxHd74YCoxKejs2VCJcWfY", true, true},
		{"Cheap", "password", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM", false, false},
		// Made from "1234567890中文"; the full-width spelling verifies after NFKC.
		{"NFKC", "１２３４５６７８９０中文", "$argon2id$v=19$m=256,t=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$x3jqZgjJHGTHTRdXWu9AgcJlHHW45/Q88+Aapr7Xwi4", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.slow && testing.Short() {
				t.Skip("64 MiB hash")
			}
			ok, err := h.Verify(context.Background(), tt.password, tt.encoded)
			if err != nil || !ok {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
			ok, err = h.Verify(context.Background(), tt.password+"x", tt.encoded)
			if err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v", ok, err)
			}
			if h.NeedsRehash(tt.encoded) != tt.rehash {
				t.Errorf("NeedsRehash = %v, want %v", !tt.rehash, tt.rehash)
			}
		})
	}
}

func TestHashRoundTrip(t *testing.T) {
	t.Parallel()
	h := testHasher(t)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Tr0ub4dor&3-horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("encoded = %q", enc)
	}
	phc, err := account.ParsePHC(enc)
	if err != nil || phc.String() != enc || len(phc.Salt) != 16 || len(phc.Key) != 32 {
		t.Fatalf("ParsePHC = %+v, %v", phc, err)
	}
	if ok, err := h.Verify(ctx, "Tr0ub4dor&3-horse", enc); !ok || err != nil {
		t.Errorf("Verify = %v, %v", ok, err)
	}
	if h.NeedsRehash(enc) {
		t.Error("fresh hash needs rehash")
	}
	enc2, _ := h.Hash(ctx, "Tr0ub4dor&3-horse")
	if enc2 == enc {
		t.Error("two hashes share a salt")
	}
	if ok, _ := h.Verify(ctx, strings.Repeat("a", 2000), enc); ok {
		t.Error("an over-long password matched")
	}
	if _, err := h.Hash(ctx, strings.Repeat("a", 2000)); errs.CodeOf(err) != account.CodePasswordTooLong {
		t.Errorf("Hash(2000 bytes) = %v", err)
	}
	if ok, err := h.VerifyAbsent(ctx, "whatever"); ok || err != nil {
		t.Errorf("VerifyAbsent = %v, %v", ok, err)
	}
	// Deterministic with an injected salt source.
	fixed, _ := account.NewHasher(account.TestParams, account.HasherOptions{Rand: bytes.NewReader(make([]byte, 64))})
	a, _ := fixed.Hash(ctx, "pw")
	if !strings.Contains(a, "$AAAAAAAAAAAAAAAAAAAAAA$") {
		t.Errorf("injected salt not used: %s", a)
	}
}

func TestParsePHCRejects(t *testing.T) {
	t.Parallel()
	good := "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	if _, err := account.ParsePHC(good); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"",
		"plaintext",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		strings.Replace(good, "m=64", "m=064", 1),
		strings.Replace(good, "m=64", "m=", 1),
		strings.Replace(good, "m=64", "m=4", 1),          // below 8×p
		strings.Replace(good, "m=64", "m=4294967295", 1), // over the limit
		strings.Replace(good, "t=1", "t=0", 1),
		strings.Replace(good, "t=1", "t=1000", 1),
		strings.Replace(good, "p=1", "p=0", 1),
		strings.Replace(good, "p=1", "p=256", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=64,t=1,p=1,k=2", 1),
		strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c29tZQ", 1),                   // 4-byte salt
		strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdA==", 1), // padded
		strings.Replace(good, "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM", "55PW", 1),
		good + "$extra",
		"$" + good,
	}
	for _, s := range bad {
		if _, err := account.ParsePHC(s); !errors.Is(err, account.ErrMalformedHash) {
			t.Errorf("ParsePHC(%q) = %v", s, err)
		}
	}
	h := testHasher(t)
	if ok, err := h.Verify(context.Background(), "x", "garbage"); ok || !errors.Is(err, account.ErrMalformedHash) {
		t.Errorf("Verify(garbage) = %v, %v", ok, err)
	}
	if !h.NeedsRehash("garbage") {
		t.Error("garbage needs no rehash")
	}
}

func TestNewHasherRejectsParams(t *testing.T) {
	t.Parallel()
	for _, p := range []account.HashParams{
		{},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 8, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4},
		{Memory: 64, Time: 1, Threads: 0, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16},
	} {
		if _, err := account.NewHasher(p, account.HasherOptions{}); err == nil {
			t.Errorf("NewHasher(%+v) succeeded", p)
		}
	}
}

// TestHasherConcurrency: many concurrent hashes all succeed under a small
// bound, and a caller whose context ends while waiting gets Unavailable.
func TestHasherConcurrency(t *testing.T) {
	t.Parallel()
	h, err := account.NewHasher(account.TestParams, account.HasherOptions{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			enc, err := h.Hash(context.Background(), strings.Repeat("p", i+1))
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := h.Verify(context.Background(), strings.Repeat("p", i+1), enc); !ok || err != nil {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); errs.KindOf(err) != errs.Unavailable {
		t.Errorf("Hash with a done context = %v", err)
	}
	block := account.BlockHasherForTest(h)
	defer block()
	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := h.Hash(ctx, "pw"); errs.KindOf(err) != errs.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while full = %v", err)
	}
	if _, err := h.Verify(ctx, "pw", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"); errs.KindOf(err) != errs.Unavailable {
		t.Errorf("Verify while full = %v", err)
	}
}
