package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// KYCReencryptArgs: re-seal every real-name envelope not sealed under the
// PII key ring's primary key (key rotation). Enqueued by
// app.KYCStartReencrypt; safe to run again (it skips what is current).
type KYCReencryptArgs struct{}

func (KYCReencryptArgs) Kind() string { return "kyc.reencrypt" }

type kycReencryptWorker struct {
	river.WorkerDefaults[KYCReencryptArgs]
	b Backend
}

func (w *kycReencryptWorker) Work(ctx context.Context, _ *river.Job[KYCReencryptArgs]) error {
	_, err := w.b.KYCReencrypt(ctx)
	return err
}

// Timeout allows a large table; the work is resumable.
func (w *kycReencryptWorker) Timeout(*river.Job[KYCReencryptArgs]) time.Duration {
	return 30 * time.Minute
}

// addKYCWorkers registers the real-name verification workers.
func addKYCWorkers(w *river.Workers, b Backend) {
	river.AddWorker(w, &kycReencryptWorker{b: b})
}
