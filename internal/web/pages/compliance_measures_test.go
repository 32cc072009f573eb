package pages_test

import (
	"testing"

	"yuanxu/internal/compliance"
	"yuanxu/internal/web/i18n"
)

// The measure pages build their labels at run time: every measure, measure
// state, notice state and appeal state has its catalog entry.
func TestMeasureCatalogKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	for _, m := range []compliance.Measure{compliance.MeasureRestrict, compliance.MeasureSuspend, compliance.MeasureBan} {
		keys = append(keys, "measure.kind."+string(m))
	}
	for _, s := range []compliance.MeasureState{compliance.MeasureInForce, compliance.MeasureOverturned, compliance.MeasureLapsed} {
		keys = append(keys, "measure.state."+string(s))
	}
	for _, n := range []string{"none", "pending", "delivered", "unreached"} {
		keys = append(keys, "measure.notice."+n)
	}
	for _, s := range []compliance.AppealState{compliance.AppealOpen, compliance.AppealUnderReview, compliance.AppealUpheld, compliance.AppealOverturned} {
		keys = append(keys, "appeal.state."+string(s))
	}
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("missing catalog key %s", k)
		}
	}
}
