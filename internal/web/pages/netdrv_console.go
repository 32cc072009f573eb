package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/webctx"
)

// The console's form for a VPN node's WireGuard interface (issue 13):
// the endpoint clients dial, the listen port, the address pools and the
// clients' resolvers, as PUT /api/v1/staff/nodes/{id}/wireguard takes
// them; the public key its agent reported is shown, not typed.

const tmplConsoleNodeWireGuard = "console_node_wireguard"

func init() {
	pageFiles[tmplConsoleNodeWireGuard] = [2]string{"layout_console.html", tmplConsoleNodeWireGuard + ".html"}
	notices["wireguard_saved"] = "page.console.nodes.wg.saved"
}

// ConsoleNodeWireGuardView is a VPN node's interface page.
type ConsoleNodeWireGuardView struct {
	ShopForm
	Page
	NodeID string
	// Configured: the interface was saved before; PublicKey is what the
	// node's agent reported ("" until it runs).
	Configured bool
	PublicKey  string
	// The form's values (as saved, or as typed).
	Endpoint, ListenPort, PoolV4, PoolV6, DNS string
}

func (h *handlers) consoleNodeWireGuardPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, v ConsoleNodeWireGuardView, status int) {
	v.NodeID = req.PathValue("id")
	cur, err := h.app.VPNNode(req.Context(), p.Principal, v.NodeID)
	switch {
	case err == nil:
		v.Configured, v.PublicKey = true, cur.PublicKey
		if v.FormID == "" { // not a failed submission: show what is saved
			v.Endpoint, v.ListenPort, v.PoolV4, v.PoolV6 = cur.Endpoint, strconv.Itoa(cur.ListenPort), cur.PoolV4, cur.PoolV6
			v.DNS = strings.Join(cur.DNS, ", ")
		}
	case errs.KindOf(err) == errs.NotFound:
		if v.FormID == "" && v.ListenPort == "" {
			v.ListenPort = "51820"
		}
	default:
		h.actionError(w, req, err)
		return
	}
	v.Page = h.page(req, "page.console.nodes.wg.title", consoleNav(), "delivery")
	if v.Notice == "" {
		v.Notice = doneNotice(req, v.Lang)
	}
	h.r.render(w, req, status, tmplConsoleNodeWireGuard, v.Lang, v)
}

func (h *handlers) consoleNodeWireGuard(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	h.consoleNodeWireGuardPage(w, req, p, ConsoleNodeWireGuardView{}, http.StatusOK)
}

func (h *handlers) consoleNodeWireGuardSave(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	typed := ConsoleNodeWireGuardView{Endpoint: field(req, "endpoint"), ListenPort: bounded(field(req, "listen_port")), PoolV4: bounded(field(req, "pool_v4")),
		PoolV6: bounded(field(req, "pool_v6")), DNS: field(req, "dns")}
	in := app.VPNNodeInput{Endpoint: typed.Endpoint, PoolV4: typed.PoolV4, PoolV6: typed.PoolV6}
	in.ListenPort, _ = strconv.Atoi(typed.ListenPort) // not a number: 0, refused as out of range
	for _, d := range strings.FieldsFunc(typed.DNS, func(r rune) bool { return r == ',' || r == ' ' }) {
		in.DNS = append(in.DNS, d)
	}
	id := req.PathValue("id")
	if _, err := h.app.VPNNodeConfigure(req.Context(), p.Principal, id, in); err != nil {
		h.shopFail(w, req, err, "wireguard", func(f ShopForm, status int) {
			typed.ShopForm = f
			h.consoleNodeWireGuardPage(w, req, p, typed, status)
		})
		return
	}
	http.Redirect(w, req, "/console/nodes/"+url.PathEscape(id)+"/wireguard?done=wireguard_saved", http.StatusSeeOther)
}
