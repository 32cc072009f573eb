package storetest

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runTicket holds the ticket storage cases: blobs stored once per hash,
// internal notes filtered in the query, conditional updates that succeed
// once, and the queue's per-customer round robin with its cursor.
func runTicket(t *testing.T, h Harness) {
	t.Run("BlobsAreStoredOncePerHash", func(t *testing.T) { t.Parallel(); testTicketBlobs(t, h.New(t)) })
	t.Run("InternalNotesStayInternal", func(t *testing.T) { t.Parallel(); testTicketInternal(t, h.New(t)) })
	t.Run("UpdateIsConditional", func(t *testing.T) { t.Parallel(); testTicketConditional(t, h.New(t)) })
	t.Run("QueueTakesCustomersInTurn", func(t *testing.T) { t.Parallel(); testTicketFairQueue(t, h.New(t)) })
}

// TicketFixture inserts an open ticket of owner, waiting since at.
func TicketFixture(t testing.TB, db *store.DB, owner string, at time.Time) store.TicketRow {
	t.Helper()
	at = time.UnixMilli(at.UnixMilli()).UTC()
	r := store.TicketRow{ID: id.NewAt(at), OwnerAccountID: owner, CreatedBy: owner, Subject: "s", Category: "consult", Priority: "normal",
		Department: "support", State: "open", Lang: "zh-CN", CreatedAt: at, UpdatedAt: at, WaitingSince: at,
		FirstResponseDue: at.Add(time.Hour), ResolutionDue: at.Add(48 * time.Hour)}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.TicketInsert(ctx, r) })
	return r
}

func testTicketBlobs(t *testing.T, db *store.DB) {
	ctx := context.Background()
	tk := TicketFixture(t, db, id.New(), time.Now())
	content := []byte("hello")
	for i := 0; i < 2; i++ {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			m := store.TicketMessageRow{ID: id.New(), TicketID: tk.ID, AuthorID: tk.OwnerAccountID, AuthorKind: "customer", Body: "b", CreatedAt: tx.Now}
			if err := tx.TicketMessageInsert(ctx, m); err != nil {
				return err
			}
			if err := tx.TicketBlobPut(ctx, "h1", "text/plain; charset=utf-8", content); err != nil {
				return err
			}
			return tx.TicketAttachmentInsert(ctx, store.TicketAttachmentRow{ID: id.New(), TicketID: tk.ID, MessageID: m.ID, BlobHash: "h1",
				Filename: "a.txt", ContentType: "text/plain; charset=utf-8", Size: 5, CreatedAt: tx.Now})
		})
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ticket_blob`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("blobs = %d, %v; want 1", n, err)
	}
	b, err := store.TicketBlob(ctx, db, "h1")
	if err != nil || string(b) != "hello" {
		t.Fatalf("blob = %q, %v", b, err)
	}
	as, err := store.TicketAttachments(ctx, db, tk.ID, false)
	if err != nil || len(as) != 2 {
		t.Fatalf("attachments = %d, %v", len(as), err)
	}
}

func testTicketInternal(t *testing.T, db *store.DB) {
	ctx := context.Background()
	tk := TicketFixture(t, db, id.New(), time.Now())
	var note store.TicketMessageRow
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, internal := range []bool{false, true} {
			m := store.TicketMessageRow{ID: id.NewAt(tx.Now), TicketID: tk.ID, AuthorID: "x", AuthorKind: "staff", Internal: internal, Body: "b", CreatedAt: tx.Now}
			if err := tx.TicketMessageInsert(ctx, m); err != nil {
				return err
			}
			note = m
		}
		if err := tx.TicketBlobPut(ctx, "h", "image/png", []byte{1}); err != nil {
			return err
		}
		return tx.TicketAttachmentInsert(ctx, store.TicketAttachmentRow{ID: "att-note", TicketID: tk.ID, MessageID: note.ID, BlobHash: "h",
			Filename: "n.png", ContentType: "image/png", Size: 1, CreatedAt: tx.Now})
	})
	pub, err := store.TicketMessages(ctx, db, tk.ID, false)
	if err != nil || len(pub) != 1 || pub[0].Internal {
		t.Fatalf("public messages = %+v, %v", pub, err)
	}
	all, _ := store.TicketMessages(ctx, db, tk.ID, true)
	// Both share one transaction instant, so their order is not defined.
	if len(all) != 2 || all[0].Internal == all[1].Internal {
		t.Fatalf("all messages = %+v, want one public and one internal", all)
	}
	if _, err := store.TicketAttachmentGet(ctx, db, tk.ID, "att-note", false); !store.IsNotFound(err) {
		t.Fatalf("note attachment visible publicly: %v", err)
	}
	if _, err := store.TicketAttachmentGet(ctx, db, tk.ID, "att-note", true); err != nil {
		t.Fatal(err)
	}
}

func testTicketConditional(t *testing.T, db *store.DB) {
	ctx := context.Background()
	tk := TicketFixture(t, db, id.New(), time.Now())
	next := tk
	next.State, next.UpdatedAt = "answered", tk.UpdatedAt.Add(time.Second)
	for i, want := range []bool{true, false} {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			ok, err := tx.TicketUpdate(ctx, next, tk)
			if ok != want {
				t.Errorf("update %d: ok = %v, want %v", i, ok, want)
			}
			return err
		})
	}
	got, err := store.TicketGet(ctx, db, tk.ID)
	if err != nil || got.State != "answered" || !got.WaitingSince.Equal(tk.WaitingSince) {
		t.Fatalf("after update: %+v, %v", got, err)
	}
}

func testTicketFairQueue(t *testing.T, db *store.DB) {
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	flood, quiet := id.New(), id.New()
	for i := 0; i < 4; i++ {
		TicketFixture(t, db, flood, base.Add(time.Duration(i)*time.Minute))
	}
	q := TicketFixture(t, db, quiet, base.Add(10*time.Minute))
	var order []string
	cursor := ""
	for {
		page, next, err := store.TicketList(ctx, db, store.TicketFilter{Fair: true, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			order = append(order, r.OwnerAccountID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(order) != 5 || order[1] != quiet || order[0] != flood {
		t.Fatalf("queue order = %v; want the quiet customer (%s, ticket %s) second", order, quiet, q.ID)
	}
	if _, _, err := store.TicketList(ctx, db, store.TicketFilter{Fair: true, Cursor: "x"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
	c, err := store.TicketCount(ctx, db)
	if err != nil || c.AwaitingStaff != 5 || c.Breached != 0 {
		t.Fatalf("counts = %+v, %v", c, err)
	}
}
