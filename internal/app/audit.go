package app

import (
	"context"
	"encoding/json"

	"yuanxu/internal/audit"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// Actor is who a request or job acts as; web and the job workers put it in
// the context, and audit events record it.
type Actor struct {
	ID        string // "account:<id>", "staff:<id>", "system", "anonymous"
	ClientIP  string
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or the system actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{ID: "system"}
}

// AuditEntry is what a use case says about a state change.
type AuditEntry struct {
	Action      string
	SubjectType string
	SubjectID   string
	Data        any // marshalled to JSON (map keys sorted)
}

// Audit writes one audit event for a state change, in the same transaction
// as the change. Every use case that changes state calls it exactly once.
func (a *App) Audit(ctx context.Context, tx *store.Tx, e AuditEntry) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	act := ActorFrom(ctx)
	return tx.AuditInsert(ctx, audit.Event{
		ID: id.NewAt(tx.Now), At: tx.Now, Actor: act.ID, Action: e.Action,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, ClientIP: act.ClientIP,
		RequestID: act.RequestID, Data: string(data),
	})
}

// sealBatch is how many events one batch holds at most.
const sealBatch = 1000

// AuditSeal seals every unsealed event into batches of the hash chain and
// returns how many it sealed. Run by the leader's periodic job; safe to run
// anywhere (a racing sealer's transaction fails and retries).
func (a *App) AuditSeal(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			b, ok, err := tx.AuditSeal(ctx, sealBatch)
			if ok {
				n = int(b.EventCount)
			} else {
				n = 0
			}
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < sealBatch {
			return total, nil
		}
	}
}

// AuditVerify checks the sealed chain and counts the unsealed tail.
func (a *App) AuditVerify(ctx context.Context) (store.AuditReport, error) {
	return a.db.AuditVerify(ctx)
}
