package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// TestConsoleAssignmentsPage (clause 9.3): the operations officer is
// refused an assignment with less than assignment.notice_days' notice (the
// form names the rule in each language) and notices one with enough; a
// customer objects and leaves; the page lists the objection with its
// pro-rata total and its refund, paid, linked to the refund's console page;
// the customer's own page shows the same refund.
func TestConsoleAssignmentsPage(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	cust, order := e.paidOrder(t)
	local := func(d time.Duration) string {
		return e.s.App.Now().Add(d).In(clock.Shanghai).Format("2006-01-02T15:04")
	}
	for _, c := range []struct {
		lang        i18n.Lang
		title, rule string
	}{
		{i18n.ZH, "协议转让通知", "须至少提前 30 天通知。"},
		{i18n.EN, "Assignments of the agreement", "Needs at least 30 days' notice."},
	} {
		ops := e.console(t, ccDemoStaff(account.RoleOperations), c.lang)
		_, doc := htmlOf(t, ops, "POST", "/console/assignments", url.Values{"assignee": {"受让公司"}, "effective_at": {local(20 * 24 * time.Hour)}},
			http.StatusUnprocessableEntity)
		if got := mustID(t, doc, "form-error").textContent(); !strings.Contains(got, c.rule) {
			t.Errorf("%s: form error %q", c.lang, got)
		}
		if got := mustID(t, doc, "assignments-heading").textContent(); got != c.title {
			t.Errorf("%s: heading %q", c.lang, got)
		}
	}
	ops := e.console(t, ccDemoStaff(account.RoleOperations), i18n.EN)
	htmlOf(t, ops, "POST", "/console/assignments", url.Values{"assignee": {"示例受让科技有限公司"}, "effective_at": {local(31 * 24 * time.Hour)}},
		http.StatusSeeOther)
	as, err := e.s.App.Assignments(e.ctx, cust)
	if err != nil || len(as) != 1 {
		t.Fatalf("assignments %+v %v", as, err)
	}
	o, err := e.s.App.ObjectToAssignment(e.ctx, cust, as[0].ID)
	var rf app.ObjectionRefund // the demo individual has a server of its own too
	for _, r := range o.Refunds {
		if r.OrderID == order.ID {
			rf = r
		}
	}
	if err != nil || rf.State != app.RefundPaid || rf.AmountFen != 3900 {
		t.Fatalf("objection %+v %v", o, err)
	}
	_, doc := htmlOf(t, ops, "GET", "/console/assignments?done=assignment_noticed", nil, http.StatusOK)
	if got := mustID(t, doc, "form-notice").textContent(); got != "The assignment notice went out." {
		t.Errorf("notice %q", got)
	}
	rows := doc.all(func(n *node) bool { return n.attrs["data-objection"] == cust.TenantID() })
	if len(rows) != 1 {
		t.Fatalf("%d objection rows", len(rows))
	}
	refunds := rows[0].all(func(n *node) bool { return n.attrs["data-refund"] == rf.ID })
	if len(refunds) != 1 || refunds[0].attrs["data-state"] != "paid" || !strings.Contains(refunds[0].textContent(), "Paid") {
		t.Fatalf("refund cell %+v", refunds)
	}
	if links := refunds[0].tags("a"); len(links) != 1 || links[0].attrs["href"] != "/console/refunds/"+rf.ID {
		t.Errorf("refund link %+v", links)
	}
	// The customer's own page says it left, with the refund and its state.
	me := e.console(t, webtest.Customer{Kind: account.KindIndividual, Email: "individual@demo.yuanxu.test", Password: "yuanxu-demo-individual"}, i18n.EN)
	_, doc = htmlOf(t, me, "GET", "/account/maintenance", nil, http.StatusOK)
	if got := mustID(t, doc, "objected-"+as[0].ID).textContent(); !strings.HasPrefix(got, "You objected and left;") {
		t.Errorf("objected %q", got)
	}
	if mine := doc.all(func(n *node) bool { return n.attrs["data-refund"] == rf.ID }); len(mine) != 1 || mine[0].attrs["data-state"] != "paid" ||
		!strings.Contains(mine[0].textContent(), "Paid") {
		t.Errorf("own refund %+v", mine)
	}
	// The refund's own pages name its kind and the rule of 9.3.
	lead := e.console(t, ccDemoStaff(account.RoleSupportLead), i18n.EN)
	for _, c := range []struct {
		cl   *webtest.Client
		path string
	}{{lead, "/console/refunds/" + rf.ID}, {me, "/refunds/" + rf.ID}} {
		_, doc := htmlOf(t, c.cl, "GET", c.path, nil, http.StatusOK)
		if txt := mustID(t, doc, "main").textContent(); !strings.Contains(txt, "Objection to an assignment (clause 9.3)") {
			t.Errorf("%s: %.400s", c.path, txt)
		}
	}
	if total := rows[0].all(func(n *node) bool { _, ok := n.attrs["data-total"]; return ok }); len(total) != 1 || !strings.HasPrefix(total[0].textContent(), "¥") {
		t.Errorf("total %+v", total)
	}
}

// TestConsoleAnnouncementEditing: an announcement saved as a draft is
// opened in the editor (?edit=), its fields filled in, rewritten and
// published; the list still holds one announcement, now published.
func TestConsoleAnnouncementEditing(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	ops := e.console(t, ccDemoStaff(account.RoleOperations), i18n.EN)
	_, doc := htmlOf(t, ops, "GET", "/console/announcements", nil, http.StatusOK)
	before := len(doc.all(func(n *node) bool { _, ok := n.attrs["data-announcement"]; return ok }))
	htmlOf(t, ops, "POST", "/console/announcements", url.Values{"title_zh": {"草稿标题"}, "title_en": {"Draft title"}, "body_zh": {"正文"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, ops, "GET", "/console/announcements", nil, http.StatusOK)
	var id string
	for _, n := range doc.all(func(n *node) bool { _, ok := n.attrs["data-edit"]; return ok }) {
		if strings.Contains(n.parent.parent.textContent(), "Draft title") {
			id = n.attrs["data-edit"]
		}
	}
	if id == "" {
		t.Fatal("no edit link for the draft")
	}
	_, doc = htmlOf(t, ops, "GET", "/console/announcements?edit="+id, nil, http.StatusOK)
	if mustID(t, doc, "a-id").attrs["value"] != id || mustID(t, doc, "a-title-en").attrs["value"] != "Draft title" ||
		mustID(t, doc, "a-body-zh").textContent() != "正文" || mustID(t, doc, "announce-new-heading").textContent() != "Edit the announcement" {
		t.Fatal("the editor is not filled in")
	}
	if _, checked := mustID(t, doc, "a-publish").attrs["checked"]; checked {
		t.Error("a draft opens with publish checked")
	}
	htmlOf(t, ops, "GET", "/console/announcements?edit=01936a9e-4c1f-7c39-9f1e-000000000000", nil, http.StatusNotFound)
	htmlOf(t, ops, "POST", "/console/announcements", url.Values{"id": {id}, "title_zh": {"正式标题"}, "title_en": {"Final title"}, "publish": {"1"}},
		http.StatusSeeOther)
	_, doc = htmlOf(t, ops, "GET", "/console/announcements", nil, http.StatusOK)
	rows := doc.all(func(n *node) bool { _, ok := n.attrs["data-announcement"]; return ok })
	if len(rows) != before+1 {
		t.Fatalf("%d announcements, %d before", len(rows), before)
	}
	for _, r := range rows {
		if r.attrs["data-announcement"] == id && (!strings.Contains(r.textContent(), "Final title") || strings.Contains(r.textContent(), "Draft")) {
			t.Errorf("edited row %q", r.textContent())
		}
	}
}
