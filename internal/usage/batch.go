package usage

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"yuanxu/internal/errs"
)

// MaxBatch is the most samples one batch may carry.
const MaxBatch = 1000

// wireSample is a sample as a node sends it.
type wireSample struct {
	ServiceID       string    `json:"service_id"`
	IntervalStart   time.Time `json:"interval_start"`
	IntervalSeconds int64     `json:"interval_seconds"`
	RxBytes         *uint64   `json:"rx_bytes"`
	TxBytes         *uint64   `json:"tx_bytes"`
	Class           string    `json:"class"`
}

// CodeBatchInvalid is the code of a batch that cannot be read at all.
const CodeBatchInvalid = "usage.batch_invalid"

// ParseBatch reads a batch {"samples":[…]} sent by a node. A batch that is
// not JSON of that shape, has unknown fields, no samples or more than
// MaxBatch is refused whole (CodeBatchInvalid, Invalid). Otherwise every
// sample is returned with its own validation error (nil when valid), so
// that the caller keeps the good ones and quarantines or reports the
// others; class defaults to customer, and negative byte counts (which
// JSON numbers allow) are refused by the uint64 decoding.
func ParseBatch(data []byte, now time.Time) ([]Sample, []error, error) {
	const op = errs.Op("usage.ParseBatch")
	var b struct {
		Samples []wireSample `json:"samples"`
	}
	var fast bool
	if b.Samples, fast = decodeFast(data); !fast { // batch_fast.go: the usual shape without reflection
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return nil, nil, errs.E(op, errs.Invalid, CodeBatchInvalid, "the batch is not valid JSON of the expected shape",
				errs.FieldError{Field: "body", Rule: "format"}, err)
		}
		if dec.More() {
			return nil, nil, errs.E(op, errs.Invalid, CodeBatchInvalid, "trailing data after the batch", errs.FieldError{Field: "body", Rule: "format"})
		}
	}
	if len(b.Samples) == 0 || len(b.Samples) > MaxBatch {
		return nil, nil, errs.E(op, errs.Invalid, CodeBatchInvalid, "a batch has 1 to 1000 samples",
			errs.FieldError{Field: "body.samples", Rule: "range", Params: map[string]any{"min": 1, "max": MaxBatch}})
	}
	out := make([]Sample, len(b.Samples))
	verr := make([]error, len(b.Samples))
	for i, w := range b.Samples {
		s := Sample{ServiceID: w.ServiceID, Start: w.IntervalStart.UTC(), Seconds: w.IntervalSeconds, Class: Class(w.Class)}
		if s.Class == "" {
			s.Class = Customer
		}
		field := func() string { return "body.samples[" + strconv.Itoa(i) + "]" } // built only for an error
		if w.RxBytes == nil || w.TxBytes == nil {
			verr[i] = errs.E(op, errs.Invalid, CodeSampleInvalid, "rx_bytes and tx_bytes are required",
				errs.FieldError{Field: field() + ".rx_bytes", Rule: "required"})
			out[i] = s
			continue
		}
		s.RxBytes, s.TxBytes = *w.RxBytes, *w.TxBytes
		out[i] = s
		if verr[i] = s.Validate(now, ""); verr[i] != nil { // Validate is pure: again, naming the fields
			verr[i] = s.Validate(now, field())
		}
	}
	return out, verr, nil
}
