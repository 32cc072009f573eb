package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// TestLookupsReadOnlyWhatTheyReturn holds the lookups of the hot paths and
// sweeps to an index that serves their filter and their whole ORDER BY:
// each runs once under RecordStatements, and the plan of the very
// statement it sent must use the lookup's index and neither sort nor scan
// a table. A lookup that
// sorts or scans reads every row of an account's (or the platform's)
// history on each call, a cost that grows with the data and that a short
// benchmark on fresh data does not show (issue 19; migration 00027).
//
// On PostgreSQL the plan is the generic plan of a prepared statement, as
// pgx's statement cache runs it after five executions, with sequential
// scans and sorts priced out, so that the answer is "is there an index for this",
// not "is the table small". SQLite plans without statistics, as the
// server does (it never runs ANALYZE).
func TestLookupsReadOnlyWhatTheyReturn(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1_800_000_000_000)
	lookups := []struct {
		name string
		// uses: the plan must show one of these (an index's name, or an
		// index condition where the engines name the index differently).
		uses []string
		// fewRows: the filter selects a handful of rows (one notification's
		// channels), which may be sorted.
		fewRows bool
		run     func(ctx context.Context, db *store.DB) error
	}{
		{"AcceptanceLatestBefore", []string{"agreement_acceptance_account "}, false, func(ctx context.Context, db *store.DB) error {
			_, _, err := store.AcceptanceLatestBefore(ctx, db, "acct-1", at)
			return err
		}},
		{"AcceptanceOfVersion", []string{"agreement_acceptance_account_version "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Acceptances(ctx, db, store.AcceptanceFilter{AccountID: "acct-1", VersionID: "ver-1", Limit: 1})
			return err
		}},
		{"RefundsOpenOfOrder", []string{"refund_request_order "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Refunds(ctx, db, store.RefundFilter{OrderID: "ord-1", States: []string{"under_review", "swap_pending", "approved", "paying"}, Limit: 1})
			return err
		}},
		// One account's open cases and overturned measures, one order's
		// services: a handful of rows, put in order at the end.
		{"RefundContextOf", []string{"refund_request_order "}, true, func(ctx context.Context, db *store.DB) error {
			_, err := store.RefundContextOf(ctx, db, store.RefundContextFilter{OrderID: "ord-1", AccountID: "acct-1",
				OpenRequestStates: []string{"under_review", "approved"}, CaseStates: []string{"detected", "under_review"}, MeasureStates: []string{"overturned"}})
			return err
		}},
		{"InvoicesOfAccount", []string{"invoice_request_account "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Invoices(ctx, db, "acct-1", "", 50)
			return err
		}},
		{"InboxOfAccount", []string{"notify_inbox_account "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := db.Inbox(ctx, "acct-1", false, 50)
			return err
		}},
		{"InboxUnread", []string{"notify_inbox_unread "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := db.Inbox(ctx, "acct-1", true, 50)
			return err
		}},
		{"DeliveriesOfNotification", []string{"(notification_id = $1)", "(notification_id=?)"}, true, func(ctx context.Context, db *store.DB) error {
			_, err := db.Deliveries(ctx, store.DeliveryFilter{NotificationID: "n-1"})
			return err
		}},
		{"NoticesInLiveWindows", []string{"maintenance_window_start ", "maintenance_notice_pkey ", "sqlite_autoindex_maintenance_notice_1 "}, true, func(ctx context.Context, db *store.DB) error {
			_, err := store.NoticesInWindows(ctx, db, "acct-1", []string{"scheduled", "in_progress"}, at)
			return err
		}},
		{"TicketsFirstResponseDue", []string{"ticket_first_due "}, true, func(ctx context.Context, db *store.DB) error {
			_, err := store.TicketsDue(ctx, db, "first_response", at, 100)
			return err
		}},
		{"TicketsResolutionDue", []string{"ticket_resolution_due "}, true, func(ctx context.Context, db *store.DB) error {
			_, err := store.TicketsDue(ctx, db, "resolution", at, 100)
			return err
		}},
		{"TicketsWaitingOfAccount", []string{"ticket_waiting "}, true, func(ctx context.Context, db *store.DB) error {
			_, _, err := store.TicketList(ctx, db, store.TicketFilter{OwnerAccountID: "acct-1", Fair: true, Limit: 5})
			return err
		}},
		{"CodeLatest", []string{"verification_code_target "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.CodeLatest(ctx, db, "login", "idx-1")
			if store.IsNotFound(err) {
				return nil
			}
			return err
		}},
		{"SessionsOfAccount", []string{"account_session_live "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.SessionsOf(ctx, db, "acct-1", at)
			return err
		}},
		{"KYCProfilesToPurge", []string{"kyc_profile_closed "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.KYCProfilesClosedBefore(ctx, db, at, 100)
			return err
		}},
		{"TopUpsOfAccount", []string{"gateway_attempt_account_purpose "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Attempts(ctx, db, store.AttemptFilter{AccountID: "acct-1", Purpose: "topup", State: "succeeded", Limit: 500, Oldest: true})
			return err
		}},
		{"RefundableTopUps", []string{"gateway_attempt_account_purpose "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.RefundableTopUps(ctx, db, "acct-1", 100)
			return err
		}},
		{"ServicesDataDestroyDue", []string{"service_destroy_due "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Services(ctx, db, store.ServiceFilter{DestroyDue: at, Limit: 200})
			return err
		}},
		// Migration 00031: the parent and reseller indexes hold only rows
		// with a parent or a reseller, and their lookups still reach them.
		{"ServicesOfParent", []string{"service_parent "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Services(ctx, db, store.ServiceFilter{ParentID: "svc-1", States: []string{"active", "suspended"}})
			return err
		}},
		{"OrdersOfReseller", []string{"orders_reseller "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.Orders(ctx, db, store.OrderFilter{Reseller: "acct-1", Limit: 50})
			return err
		}},
		// The roll-up index holds only the postings still to roll up.
		{"LedgerBalancesUnrolled", []string{"ledger_posting_unrolled "}, false, func(ctx context.Context, db *store.DB) error {
			_, err := store.LedgerBalances(ctx, db, "revenue:cs", "customer:acct-1")
			return err
		}},
	}
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db := h.New(t)
			for _, l := range lookups {
				t.Run(l.name, func(t *testing.T) {
					ctx, rec := store.RecordStatements(context.Background())
					if err := l.run(ctx, db); err != nil {
						t.Fatal(err)
					}
					reads := rec.Reads()
					if len(reads) == 0 {
						t.Fatal("the lookup sent no read on the pool")
					}
					checkPlan(t, db, "the lookup's read", reads[0], l.uses, l.fewRows)
				})
			}
		})
	}
}

// planFaults returns the lines of plan that scan a whole table or, unless
// the lookup may sort, sort. On SQLite a scan of a subquery or co-routine
// the plan itself builds (a window query's) is not a table scan.
func planFaults(e store.Engine, plan string, noSort bool) []string {
	var faults []string
	derived := map[string]bool{}
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(line)
		for _, kw := range []string{"CO-ROUTINE ", "MATERIALIZE "} {
			if name, ok := strings.CutPrefix(line, kw); ok {
				derived[name] = true
			}
		}
		switch {
		case e == store.Postgres && strings.Contains(line, "Seq Scan"),
			e == store.Postgres && noSort && strings.Contains(line, "Sort"),
			e != store.Postgres && noSort && strings.Contains(line, "USE TEMP B-TREE"):
			faults = append(faults, line)
		case e != store.Postgres && strings.HasPrefix(line, "SCAN "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "SCAN "), " ")
			if !derived[name] && !strings.HasPrefix(name, "(subquery") {
				faults = append(faults, line)
			}
		}
	}
	return faults
}

// TestReadsTogetherPlans: the reads sent together (DB.ReadTogether)
// each find their rows through an index, the plan test above for each of
// a batch's reads: authentication's (store.SessionAuthz) — the session by
// its token with its account, then the roles, scopes and measures in
// force of that account and its owner — and a refund decision's
// (store.OrderWithRefundContext) — the order with its lines, then its
// refund context for the order's own account.
func TestReadsTogetherPlans(t *testing.T) {
	t.Parallel()
	batches := []struct {
		name string
		run  func(ctx context.Context, db *store.DB) error
		// uses: per read, the plan must show one of these.
		uses    [][]string
		fewRows bool
	}{
		{"SessionAuthz", func(ctx context.Context, db *store.DB) error {
			_, _, _, err := store.SessionAuthz(ctx, db, "token-1")
			return err
		}, [][]string{{"account_session_pkey ", "sqlite_autoindex_account_session_1 "}, {"standing_measure_in_force ", "(account_id=?)"}}, true},
		{"OrderWithRefundContext", func(ctx context.Context, db *store.DB) error {
			_, _, err := store.OrderWithRefundContext(ctx, db, store.RefundContextFilter{OrderID: "ord-1",
				OpenRequestStates: []string{"under_review", "approved"}, CaseStates: []string{"detected", "under_review"}, MeasureStates: []string{"overturned"}})
			return err
		}, [][]string{{"orders_pkey ", "sqlite_autoindex_orders_1 "}, {"refund_request_order "}}, true},
	}
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db := h.New(t)
			for _, b := range batches {
				t.Run(b.name, func(t *testing.T) {
					ctx, rec := store.RecordStatements(context.Background())
					if err := b.run(ctx, db); err != nil && !store.IsNotFound(err) {
						t.Fatal(err)
					}
					reads := rec.Reads()
					if len(reads) != len(b.uses) {
						t.Fatalf("%d reads, want %d", len(reads), len(b.uses))
					}
					for i, uses := range b.uses {
						checkPlan(t, db, fmt.Sprintf("read %d", i), reads[i], uses, b.fewRows)
					}
				})
			}
		})
	}
}

// checkPlan fails t unless stmt's plan shows one of uses and neither
// scans nor, unless fewRows, sorts (planFaults); what names stmt in the
// failure.
func checkPlan(t *testing.T, db *store.DB, what string, stmt store.Statement, uses []string, fewRows bool) {
	t.Helper()
	plan := explain(t, db, stmt, !fewRows)
	used := false
	for _, u := range uses {
		used = used || strings.Contains(plan, u)
	}
	if !used {
		t.Errorf("%s: the plan shows none of %q:\n%s\nfor %s", what, uses, plan, stmt.SQL)
	}
	if faults := planFaults(db.Engine(), plan, !fewRows); len(faults) > 0 {
		t.Errorf("%s: the plan scans or sorts (%q):\n%s\nfor %s", what, faults, plan, stmt.SQL)
	}
}

// explain returns the plan of stmt, one node or step per line; noSort
// prices sorts out on PostgreSQL, so that an index that can serve the
// ORDER BY is used if there is one.
func explain(t *testing.T, db *store.DB, stmt store.Statement, noSort bool) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		lines = nil
		var rows *store.Rows
		var err error
		if db.Engine() == store.Postgres {
			set := []string{"SET LOCAL plan_cache_mode = force_generic_plan", "SET LOCAL enable_seqscan = off"}
			if noSort {
				set = append(set, "SET LOCAL enable_sort = off")
			}
			for _, s := range append(set, "PREPARE yx_plan AS "+stmt.SQL) {
				if _, err := tx.Exec(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", s, err)
				}
			}
			lits := make([]string, len(stmt.Args))
			for i, a := range stmt.Args {
				lits[i] = literal(a)
			}
			rows, err = tx.Query(ctx, "EXPLAIN EXECUTE yx_plan("+strings.Join(lits, ", ")+")")
		} else {
			rows, err = tx.Query(ctx, "EXPLAIN QUERY PLAN "+stmt.SQL, stmt.Args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			// PostgreSQL: one column, the line; SQLite: id, parent, notused, detail.
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if db.Engine() == store.Postgres {
			_, err = tx.Exec(ctx, "DEALLOCATE yx_plan")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n") + "\n"
}

// literal spells a statement argument as a PostgreSQL literal.
func literal(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case int, int64, int32:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	default:
		panic(fmt.Sprintf("plan test: no literal for %T", a))
	}
}

// TestServicesDestroyDue: the sweep's lookup returns only terminated
// services whose retention has passed and whose data destruction is not yet
// requested, oldest termination first, so that services already requested
// never fill a batch (they used to: the sweep read the oldest terminated
// services and skipped the requested ones, and after its first batch it
// never reached another).
func TestServicesDestroyDue(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db := h.New(t)
			base := time.UnixMilli(1_800_000_000_000)
			cutoff := base.Add(10 * time.Hour)
			rows := []store.ServiceRow{
				{ID: "s1-requested", State: "terminated", TerminatedAt: base, DataDestroyRequestedAt: base.Add(time.Hour)},
				{ID: "s2-due-later", State: "terminated", TerminatedAt: base.Add(2 * time.Hour)},
				{ID: "s3-due-first", State: "terminated", TerminatedAt: base.Add(time.Hour)},
				{ID: "s4-kept", State: "terminated", TerminatedAt: cutoff.Add(time.Millisecond)},
				{ID: "s5-active", State: "active"},
				{ID: "s6-due-at-cutoff", State: "terminated", TerminatedAt: cutoff},
			}
			if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				for i, r := range rows {
					r.AccountID, r.OrderID, r.LineIdx, r.ProductID, r.PlanID, r.Kind, r.Cycle, r.Name = "acc", "ord", i, "p", "s", "vpn", "month", "p · s"
					r.StartsAt, r.ExpiresAt, r.CreatedAt, r.UpdatedAt = base.Add(-time.Hour), base, base.Add(-time.Hour), base.Add(-time.Hour)
					if err := tx.ServiceInsert(ctx, r); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for limit, want := range map[int]string{1: "s3-due-first", 10: "s3-due-first s2-due-later s6-due-at-cutoff"} {
				got, err := store.Services(context.Background(), db, store.ServiceFilter{DestroyDue: cutoff, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range got {
					ids = append(ids, r.ID)
				}
				if strings.Join(ids, " ") != want {
					t.Errorf("limit %d: %v, want %s", limit, ids, want)
				}
			}
		})
	}
}
