package usage

import "time"

// decodeFast reads a batch in the shape nodes send — {"samples":[{…},…]}
// with the six known keys spelled exactly, plain ASCII strings without
// escapes, non-negative integers without sign, fraction or exponent — in
// one pass without reflection (encoding/json was a third of the ingest
// path's CPU, issue 19). It answers ok only when encoding/json would decode
// data into the same samples without error; for anything else — another
// key, a repeated key, null, an escape, a non-ASCII byte, a number that
// might not fit, trailing data, a time time.Time refuses — it answers
// false and ParseBatch decodes with encoding/json as before, which gives
// the same result or the same refusal. FuzzDecodeFastAgrees checks this.
func decodeFast(data []byte) ([]wireSample, bool) {
	p := fastParser{b: data}
	if !p.lit('{') || !p.key("samples") || !p.lit('[') {
		return nil, false
	}
	out := make([]wireSample, 0, min(MaxBatch, len(data)/64+1))
	if p.peek(']') {
		p.i++
	} else {
		for {
			if len(out) > MaxBatch { // refused anyway; let encoding/json say why
				return nil, false
			}
			w, ok := p.sample()
			if !ok {
				return nil, false
			}
			out = append(out, w)
			if p.peek(',') {
				p.i++
				continue
			}
			if !p.lit(']') {
				return nil, false
			}
			break
		}
	}
	if !p.lit('}') {
		return nil, false
	}
	p.ws()
	return out, p.i == len(p.b)
}

type fastParser struct {
	b       []byte
	i       int
	service string // the last service id, shared by the samples that repeat it
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips whitespace and reports whether c comes next.
func (p *fastParser) peek(c byte) bool {
	p.ws()
	return p.i < len(p.b) && p.b[p.i] == c
}

// lit consumes c after optional whitespace.
func (p *fastParser) lit(c byte) bool {
	if !p.peek(c) {
		return false
	}
	p.i++
	return true
}

// str consumes a string of printable ASCII without escapes and returns
// its contents and the quoted literal.
func (p *fastParser) str() (s, quoted []byte, ok bool) {
	if !p.lit('"') {
		return nil, nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			p.i++
			return p.b[start : p.i-1], p.b[start-1 : p.i], true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, nil, false
		}
		p.i++
	}
	return nil, nil, false
}

// key consumes "name" and the colon after it.
func (p *fastParser) key(name string) bool {
	s, _, ok := p.str()
	return ok && string(s) == name && p.lit(':')
}

// uint consumes an unsigned integer literal of at most maxDigits digits
// (no leading zero, sign, fraction or exponent).
func (p *fastParser) uint(maxDigits int) (uint64, bool) {
	p.ws()
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	d := p.i - start
	if d == 0 || d > maxDigits || (d > 1 && p.b[start] == '0') {
		return 0, false
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// Key bits of a sample, to refuse a repeated key.
const (
	fService = 1 << iota
	fStart
	fSeconds
	fRx
	fTx
	fClass
)

func (p *fastParser) sample() (wireSample, bool) {
	var w wireSample
	if !p.lit('{') {
		return w, false
	}
	if p.peek('}') {
		p.i++
		return w, true
	}
	seen := 0
	for {
		k, _, ok := p.str()
		if !ok || !p.lit(':') {
			return w, false
		}
		var bit int
		switch string(k) {
		case "service_id":
			bit = fService
			s, _, ok := p.str()
			if !ok {
				return w, false
			}
			if string(s) != p.service {
				p.service = string(s)
			}
			w.ServiceID = p.service
		case "interval_start":
			bit = fStart
			_, q, ok := p.str()
			if !ok {
				return w, false
			}
			var t time.Time
			if t.UnmarshalJSON(q) != nil {
				return w, false
			}
			w.IntervalStart = t
		case "interval_seconds":
			bit = fSeconds
			n, ok := p.uint(18)
			if !ok {
				return w, false
			}
			w.IntervalSeconds = int64(n)
		case "rx_bytes":
			bit = fRx
			n, ok := p.uint(19)
			if !ok {
				return w, false
			}
			w.RxBytes = &n
		case "tx_bytes":
			bit = fTx
			n, ok := p.uint(19)
			if !ok {
				return w, false
			}
			w.TxBytes = &n
		case "class":
			bit = fClass
			s, _, ok := p.str()
			if !ok {
				return w, false
			}
			w.Class = string(s)
		default:
			return w, false
		}
		if seen&bit != 0 {
			return w, false
		}
		seen |= bit
		if p.peek(',') {
			p.i++
			continue
		}
		if !p.lit('}') {
			return w, false
		}
		return w, true
	}
}
