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
	return agreementVersionInForce(ctx, q, agreementListCols, at)
}
