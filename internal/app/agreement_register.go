package app

import (
	"context"
	"errors"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// registrationAcceptance checks the agreement part of a registration: the
// version in force (and, when the form sent it, the SHA256 of the text it
// showed), with every key clause acknowledged. Field names are the
// registration's: body.acknowledged_clauses, body.agreement_sha256.
func (a *App) registrationAcceptance(ctx context.Context, in RegisterInput) (store.AcceptanceRow, error) {
	r, err := a.prepareAcceptance(ctx, a.db, "", AcceptInput{SHA256: in.AgreementSHA256, Acknowledged: in.AcknowledgedClauses,
		UserAgent: truncate(in.UserAgent, 512), Channel: in.acceptChannel, ResellerID: in.resellerID}, store.OccasionRegistration)
	var e *errs.Error
	if errors.As(err, &e) {
		c := *e
		c.Fields = append([]errs.FieldError(nil), e.Fields...)
		for i, f := range c.Fields {
			switch f.Field {
			case "acknowledged":
				c.Fields[i].Field = "body.acknowledged_clauses"
			case "sha256":
				c.Fields[i].Field = "body.agreement_sha256"
			case "user_agent":
				c.Fields[i].Field = "user_agent"
			}
		}
		return r, &c
	}
	return r, err
}

// KeyClauseIDs returns the key clause ids of a version, in document order:
// what a registration or re-acceptance must acknowledge one by one.
func KeyClauseIDs(v AgreementVersion) []string {
	if v.Doc == nil {
		return nil
	}
	return clauseStrings(v.Doc.KeyClauses())
}

// DefaultKeyClauses returns the key clause ids of the embedded default
// agreement (the version in force on a new database): for tests and tools
// that register customers in process.
func DefaultKeyClauses() []string { return clauseStrings(agreement.Default().KeyClauses()) }
