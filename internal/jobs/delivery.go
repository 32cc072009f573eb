package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// ProvisionArgs: call the driver of one queued service and record what it
// delivered (issue 13). Enqueued by the payment's transaction, one per
// service; safe to run again and concurrently with the app's own inline
// attempt, because the driver is handed the service id as its idempotency
// token and the record is a conditional update.
type ProvisionArgs struct {
	ServiceID string `json:"service_id"`
}

func (ProvisionArgs) Kind() string { return "delivery.provision" }

type provisionWorker struct {
	river.WorkerDefaults[ProvisionArgs]
	b Backend
}

func (w *provisionWorker) Work(ctx context.Context, j *river.Job[ProvisionArgs]) error {
	return w.b.ProvisionService(ctx, j.Args.ServiceID)
}

// Timeout bounds one driver call (an ACME order may take minutes).
func (w *provisionWorker) Timeout(*river.Job[ProvisionArgs]) time.Duration { return 10 * time.Minute }

// addDeliveryWorkers registers the provisioning worker.
func addDeliveryWorkers(w *river.Workers, b Backend) {
	river.AddWorker(w, &provisionWorker{b: b})
}
