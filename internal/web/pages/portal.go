package pages

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/policy"
)

// home renders the portal home: what the platform sells and the consumer
// promises, with their numbers from the policy in force now.
func (h *handlers) home(w http.ResponseWriter, req *http.Request) {
	v := HomeView{Page: h.page(req, "page.home.title", portalNav(), "")}
	p, err := h.promises(req.Context())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.Promises = p
	h.r.render(w, req, http.StatusOK, tmplHome, v.Lang, v)
}

// promises reads the policy of the agreement version in force at business
// time now. A visitor has accepted no version, so this is the version a
// checkout now would record.
func (h *handlers) promises(ctx context.Context) (Promises, error) {
	set, id, err := h.policyInForce(ctx)
	if err != nil {
		return Promises{}, err
	}
	threshold := set.Int64(policy.RefundTrafficThresholdBytes)
	p := Promises{
		VersionID:         id,
		RefundWindowHours: hours(set.Duration(policy.RefundWindow)),
		RefundAnchorKey:   "page.home.anchor." + set.String(policy.RefundWindowAnchor),
		RefundTraffic:     byteSize(threshold),
		RefundTrafficByte: threshold,
		RefundClauses:     clauses(string(policy.RefundWindow), string(policy.RefundTrafficThresholdBytes)),
		InspectionHours:   hours(set.Duration(policy.InspectionWindow)),
		InspectionClauses: clauses(string(policy.InspectionWindow)),
		ReviewWorkingDays: set.Int(policy.RefundReviewWorkingDays),
		ReviewClauses:     clauses(string(policy.RefundReviewWorkingDays)),
		PayoutDays:        set.Int(policy.RefundPayoutDays),
		PayoutClauses:     clauses(string(policy.RefundDestinations), string(policy.RefundPayoutDays)),
	}
	for _, d := range set.Strings(policy.RefundDestinations) {
		p.DestinationKeys = append(p.DestinationKeys, "page.home.destination."+d)
	}
	return p, nil
}

// clauses lists the clause ids of the named policy keys, in order, without
// repeats: "3.1, 3.1.a".
func clauses(keys ...string) string {
	var ids []string
	seen := map[string]bool{}
	for _, k := range keys {
		key, ok := policy.Lookup(k)
		if !ok {
			continue
		}
		for _, c := range key.Clauses {
			if !seen[c] {
				seen[c] = true
				ids = append(ids, c)
			}
		}
	}
	return strings.Join(ids, ", ")
}

// hours formats a duration in hours: "24", "1.5".
func hours(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64)
}

// byteSize formats a byte count the way the agreement states it: binary
// units (1 GB is 2^30 bytes), exact, falling back to bytes.
func byteSize(n int64) string {
	units := []struct {
		size int64
		name string
	}{{1 << 40, "TB"}, {1 << 30, "GB"}, {1 << 20, "MB"}, {1 << 10, "KB"}}
	for _, u := range units {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}
