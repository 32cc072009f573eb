package usage

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeSlow is ParseBatch's encoding/json decoding: the samples, or ok
// false when it refuses the batch.
func decodeSlow(data []byte) ([]wireSample, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b struct {
		Samples []wireSample `json:"samples"`
	}
	if dec.Decode(&b) != nil || dec.More() {
		return nil, false
	}
	return b.Samples, true
}

// FuzzDecodeFastAgrees: whenever the fast decoder accepts a batch,
// encoding/json accepts it too and decodes the very same samples; the
// seeds cover the shapes it must hand over (each is also a unit test).
func FuzzDecodeFastAgrees(f *testing.F) {
	for _, s := range []string{
		`{"samples":[{"service_id":"s1","interval_start":"2026-06-01T11:00:00Z","interval_seconds":300,"rx_bytes":10,"tx_bytes":20}]}`,
		` { "samples" : [ { "service_id" : "s1" , "interval_start" : "2026-06-01T11:00:00.5+08:00" , "interval_seconds" : 1 , "rx_bytes" : 0 , "tx_bytes" : 18446744073709551615 , "class" : "provider" } , {} ] } ` + "\n",
		`{"samples":[]}`,
		`{"samples":[{"service_id":"s1"},{"service_id":"s2","rx_bytes":1}]}`,
		`{"samples":[{"Service_ID":"s1"}]}`,                                // another spelling: encoding/json matches it
		`{"samples":[{"service_id":"s1","service_id":"s2"}]}`,              // repeated key
		`{"samples":[{"service_id":"s\u0031"}]}`,                           // escape
		`{"samples":[{"service_id":"é"}]}`,                                 // non-ASCII
		`{"samples":[{"rx_bytes":null}]}`,                                  // null
		`{"samples":[{"rx_bytes":-1}]}`,                                    // negative
		`{"samples":[{"rx_bytes":1.0}]}`,                                   // fraction
		`{"samples":[{"rx_bytes":1e3}]}`,                                   // exponent
		`{"samples":[{"rx_bytes":01}]}`,                                    // leading zero
		`{"samples":[{"rx_bytes":18446744073709551616}]}`,                  // overflow
		`{"samples":[{"interval_seconds":9223372036854775808}]}`,           // overflow
		`{"samples":[{"interval_start":"2026-06-01 11:00:00"}]}`,           // not RFC 3339
		`{"samples":[{"interval_start":"2026-06-01T11:00:00Z"}]} trailing`, // trailing data
		`{"samples":[{"extra":1}]}`,                                        // unknown key
		`{"samples":[{"service_id":"s1"}],"more":1}`,                       // unknown top-level key
		`{"samples":[{"service_id":"s1"},]}`,                               // trailing comma
		`{"samples":[{"service_id":"s1"}]`,                                 // truncated
		`{"samples":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeFast(data)
		if !ok {
			return
		}
		slow, sok := decodeSlow(data)
		if !sok {
			t.Fatalf("fast decoder accepted what encoding/json refuses: %q", data)
		}
		if len(fast) != len(slow) || (len(fast) > 0 && !reflect.DeepEqual(fast, slow)) {
			t.Fatalf("fast %+v, encoding/json %+v for %q", fast, slow, data)
		}
	})
}

// TestDecodeFastTakesNodeBatches: the batches nodes send (the shape of
// the benchmark's and the examples') take the fast path and give the
// samples encoding/json gives; the shapes it must not decode fall back.
func TestDecodeFastTakesNodeBatches(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		data string
		fast bool
	}{
		{"typical", `{"samples":[{"service_id":"01936a9e","interval_start":"2026-11-26T09:00:00+08:00","interval_seconds":300,"rx_bytes":1048576,"tx_bytes":8388608,"class":"customer"}]}`, true},
		{"indented", "{\n  \"samples\": [\n    {\"service_id\": \"a\", \"interval_start\": \"2026-11-26T09:00:00Z\", \"interval_seconds\": 1, \"rx_bytes\": 1, \"tx_bytes\": 2}\n  ]\n}\n", true},
		{"escape", `{"samples":[{"service_id":"a\"b"}]}`, false},
		{"unknown key", `{"samples":[{"service":"a"}]}`, false},
		{"null", `{"samples":[{"tx_bytes":null}]}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fast, ok := decodeFast([]byte(c.data))
			if ok != c.fast {
				t.Fatalf("fast path taken %v, want %v", ok, c.fast)
			}
			if !ok {
				return
			}
			slow, _ := decodeSlow([]byte(c.data))
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("fast %+v, encoding/json %+v", fast, slow)
			}
		})
	}
}
