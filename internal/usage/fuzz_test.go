package usage

import (
	"testing"
	"time"
)

func FuzzParseBatch(f *testing.F) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Add([]byte(`{"samples":[{"service_id":"s1","interval_start":"2026-06-01T11:00:00Z","interval_seconds":300,"rx_bytes":10,"tx_bytes":20}]}`))
	f.Add([]byte(`{"samples":[{"service_id":"s1","interval_start":"2026-06-01T11:00:00+08:00","interval_seconds":60,"rx_bytes":-1,"tx_bytes":2,"class":"provider"}]}`))
	f.Add([]byte(`{"samples":[]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, verr, err := ParseBatch(data, now)
		if err != nil {
			if samples != nil || verr != nil {
				t.Fatal("a refused batch returned samples")
			}
			return
		}
		if len(samples) != len(verr) || len(samples) == 0 || len(samples) > MaxBatch {
			t.Fatalf("%d samples, %d errors", len(samples), len(verr))
		}
		for i, s := range samples {
			if verr[i] == nil {
				// A sample accepted is one a meter could have produced.
				if s.Validate(now, "x") != nil || !s.Class.Valid() || s.Seconds < 1 || s.End().After(now.Add(MaxFuture)) {
					t.Fatalf("accepted an invalid sample %+v", s)
				}
			}
		}
	})
}
