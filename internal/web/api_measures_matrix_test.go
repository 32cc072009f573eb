package web_test

import (
	"context"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

// The measure and appeal rows of the authorisation matrix. Each customer
// column's account (and the stranger's) carries a real measure with an
// appeal that overturned it — records without effect on what the other
// rows do (an overturned restriction leaves the standing clean). "own" is
// the column's (its tenant's for the sub-user, the individual's for the
// API key; staff: the individual's), "other" the stranger's.

type matrixMeasures struct {
	measure, appeal map[string]string // account id → id
}

func (env *matrixEnv) setupMeasures(t *testing.T, stranger account.Principal) {
	t.Helper()
	ctx := context.Background()
	a := env.s.App
	auth := func(name string) account.Principal {
		p, _, err := a.Authenticate(ctx, env.byName[name].cookie)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	officer, reviewer := auth("compL"), auth("appeal")
	mm := &matrixMeasures{measure: map[string]string{}, appeal: map[string]string{}}
	for _, cp := range []account.Principal{auth("indiv"), auth("entr"), auth("resel"), stranger} {
		c, err := a.RaiseFinding(ctx, officer, app.FindingInput{AccountID: cp.AccountID, Rule: "other", Detail: "matrix measure"})
		if err != nil {
			t.Fatal(err)
		}
		for _, act := range []app.CaseAction{{Action: "review"}, {Action: "confirm", Text: "matrix"}} {
			if _, err := a.ActOnCase(ctx, officer, c.ID, act); err != nil {
				t.Fatal(err)
			}
		}
		m, err := a.ImposeMeasure(ctx, officer, c.ID, app.MeasureInput{Kind: "restrict", Reason: "matrix"})
		if err != nil {
			t.Fatal(err)
		}
		ap, err := a.FileAppeal(ctx, cp, app.AppealInput{MeasureID: m.ID, Statement: "matrix"})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []app.AppealDecision{{Action: "review"}, {Action: "overturn", Text: "matrix"}} {
			if _, err := a.DecideAppeal(ctx, reviewer, ap.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		mm.measure[cp.AccountID], mm.appeal[cp.AccountID] = m.ID, ap.ID
	}
	env.measures = mm
}

func (env *matrixEnv) measuresPath(p probe, a *actor) (string, bool) {
	mm := env.measures
	if mm == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	var ids map[string]string
	switch path {
	case "/api/v1/measures/{id}":
		ids = mm.measure
	case "/api/v1/appeals/{id}":
		ids = mm.appeal
	default:
		return "", false
	}
	owner := env.stranger.ID
	if p.variant == "own" {
		switch {
		case a.name == "subu":
			owner = env.byName["entr"].id
		case a.kind.Customer() && !a.key:
			owner = a.id
		default: // the API key (the individual's) and staff
			owner = env.byName["indiv"].id
		}
	}
	id := ids[owner]
	if id == "" {
		id = noSuchID
	}
	return strings.ReplaceAll(path, "{id}", id), true
}
