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
	b       Backend
	timeout time.Duration
}

func (w *provisionWorker) Work(ctx context.Context, j *river.Job[ProvisionArgs]) error {
	return w.b.ProvisionService(ctx, j.Args.ServiceID)
}

// Timeout bounds one driver call (Config.ProvisionTimeout; an ACME order
// may take minutes). River rescues a provisioning job left running by a
// dead instance only after this, so it is also how long a crash can
// delay a delivery (found by the crash harness, issue 18).
func (w *provisionWorker) Timeout(*river.Job[ProvisionArgs]) time.Duration { return w.timeout }

// addDeliveryWorkers registers the provisioning worker.
func addDeliveryWorkers(w *river.Workers, b Backend, timeout time.Duration) {
	river.AddWorker(w, &provisionWorker{b: b, timeout: timeout})
}
