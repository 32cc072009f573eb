package store

import (
	"context"
	"time"
)

// AgreementVersionHeadGet is AgreementVersionGet without the source
// (Source is ""): callers that hold the document parsed by its SHA256 need
// not transfer its text (~45 KB for the default agreement) again.
func AgreementVersionHeadGet(ctx context.Context, q Querier, id string) (AgreementVersionRow, error) {
	return scanAgreementVersion(q.QueryRow(ctx, `SELECT `+agreementListCols+` FROM agreement_version WHERE id = $1`, id))
}

// AgreementVersionHeadInForce is AgreementVersionInForce without the
// source (Source is ""); the same version is chosen.
func AgreementVersionHeadInForce(ctx context.Context, q Querier, at time.Time) (AgreementVersionRow, error) {
	r, err := scanAgreementVersion(q.QueryRow(ctx, `SELECT `+agreementListCols+` FROM agreement_version
 WHERE state IN ('effective', 'superseded') AND effective_at_ms <= $1 ORDER BY effective_at_ms DESC, id DESC LIMIT 1`, Ms(at)))
	if !IsNotFound(err) {
		return r, err
	}
	return scanAgreementVersion(q.QueryRow(ctx, `SELECT `+agreementListCols+` FROM agreement_version
 WHERE state IN ('effective', 'superseded') ORDER BY effective_at_ms, id LIMIT 1`))
}
