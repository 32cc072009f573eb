package web_test

// The rows of the authorisation matrix that correct a maintenance window's
// or an incident's texts (issue 17). They keep the account-id placeholders,
// as the other staff window and incident rows do (operations gets 404 past
// authorisation, everyone else 403 or 401), with a valid body so that the
// answer is about who asks and not about the body's schema.

// announceBody is the request body of a texts row, or false.
func (env *matrixEnv) announceBody(p probe, _ *actor) (string, string, bool) {
	switch p.route {
	case "PUT /api/v1/staff/maintenance-windows/{id}/texts", "PUT /api/v1/staff/incidents/{id}/texts":
		return "application/json", `{"title_zh":"矩阵","title_en":"Matrix"}`, true
	}
	return "", "", false
}
