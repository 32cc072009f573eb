package app

import (
	"context"

	"yuanxu/internal/account"
	"yuanxu/internal/jobs"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// kycRotateBatch is how many submissions one transaction re-seals.
const kycRotateBatch = 100

// KYCStartReencrypt enqueues the key-rotation job that re-seals every
// real-name envelope under the PII key ring's primary key (config.manage:
// rotating keys is the platform administrator's). Audited as
// pii.reencrypt_started.
func (a *App) KYCStartReencrypt(ctx context.Context, p account.Principal) error {
	if err := a.Authorize(ctx, p, "config.manage", account.Object{}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.KYCReencryptArgs{}, nil); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "pii.reencrypt_started", SubjectType: "pii_keyring", SubjectID: a.secrets.PII.PrimaryID(),
			Data: map[string]any{"tables": []string{"kyc_submission"}}})
	})
}

// KYCReencrypt re-seals, batch by batch, every envelope of kyc_submission
// that is not under the primary key, and reports how many submissions it
// changed. It is idempotent and resumable (the job runs it; a crash leaves
// a mix of keys that the ring still opens). Each batch is one transaction
// that re-reads the rows, so a concurrent decision is never lost.
func (a *App) KYCReencrypt(ctx context.Context) (int, error) {
	ring := a.secrets.PII
	total := 0
	after := ""
	for {
		ids, err := store.KYCSealedIDs(ctx, a.db, after, kycRotateBatch)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		after = ids[len(ids)-1]
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			n := 0
			for _, sid := range ids {
				r, err := store.KYCSubmissionGet(ctx, tx, sid)
				if store.IsNotFound(err) {
					continue // purged meanwhile
				}
				if err != nil {
					return err
				}
				changed := false
				for _, c := range []struct {
					col string
					env *[]byte
				}{{"name", &r.NameEnc}, {"identity", &r.IdentityEnc}, {"phone", &r.PhoneEnc}, {"licence", &r.LicenceEnc}} {
					if *c.env == nil || !ring.NeedsRotation(*c.env) {
						if c.col == "licence" {
							*c.env = nil // COALESCE keeps it
						}
						continue
					}
					if *c.env, err = a.rotateKYC(c.col, r.ID, *c.env); err != nil {
						return err
					}
					changed = true
				}
				if !changed {
					continue
				}
				if err := tx.KYCSubmissionReseal(ctx, r); err != nil {
					return err
				}
				n++
			}
			if n == 0 {
				return nil
			}
			total += n
			return a.Audit(ctx, tx, AuditEntry{Action: "pii.reencrypted", SubjectType: "pii_keyring", SubjectID: ring.PrimaryID(),
				Data: map[string]any{"table": "kyc_submission", "rows": n}})
		})
		if err != nil {
			return total, err
		}
	}
}

func (a *App) rotateKYC(column, row string, env []byte) ([]byte, error) {
	return a.secrets.PII.Rotate(env, pii.AAD{Table: "kyc_submission", Column: column, Row: row})
}
