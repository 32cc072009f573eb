package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// NotifyArgs: make one attempt at one notification delivery. Enqueued by
// app.Notify inside the business transaction, and again, scheduled, for
// each retry.
type NotifyArgs struct {
	DeliveryID string `json:"delivery_id"`
}

func (NotifyArgs) Kind() string { return "notify.deliver" }

type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	b Backend
}

func (w *notifyWorker) Work(ctx context.Context, j *river.Job[NotifyArgs]) error {
	return w.b.NotifyDeliver(ctx, j.Args.DeliveryID)
}

// Timeout bounds one attempt; the app's send timeout is shorter.
func (w *notifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration { return 2 * time.Minute }

// NotifyRedriveArgs: enqueue jobs for deliveries that lost theirs.
type NotifyRedriveArgs struct{}

func (NotifyRedriveArgs) Kind() string { return "notify.redrive" }

type notifyRedriveWorker struct {
	river.WorkerDefaults[NotifyRedriveArgs]
	b Backend
}

func (w *notifyRedriveWorker) Work(ctx context.Context, _ *river.Job[NotifyRedriveArgs]) error {
	_, err := w.b.NotifyRedrive(ctx)
	return err
}

// addNotifyWorkers registers the notification workers.
func addNotifyWorkers(w *river.Workers, b Backend) {
	river.AddWorker(w, &notifyWorker{b: b})
	river.AddWorker(w, &notifyRedriveWorker{b: b})
}

// notifyPeriodic is the redrive, once a minute on the leader, and at once
// when an instance becomes the leader: after a crash, the deliveries whose
// jobs died with it are due again without waiting a minute more (found by
// the crash harness, issue 18).
func notifyPeriodic(uniq *river.InsertOpts) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) { return NotifyRedriveArgs{}, uniq },
		&river.PeriodicJobOpts{ID: "notify.redrive", RunOnStart: true})
}
