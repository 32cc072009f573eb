package pages

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"yuanxu/internal/app"
	"yuanxu/internal/money"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The portal's side of the gateways: the pending attempt of an order or a
// top-up (a button to the Alipay page, or the QR code drawn from its text),
// the choices of gateway and kind, the top-up form of the wallet, an
// attempt's own page and the gateway's return page.

// PayAttempt is a gateway attempt as the portal shows it.
type PayAttempt struct {
	ID, Ref, Gateway, GatewayLabel, Kind, State, StateLabel string
	Amount, Created, Expires, Settled                       string
	Pending, Succeeded                                      bool
	// PayURL is the Alipay cashier page to go to (kind page).
	PayURL string
	// QRImage draws QRText (kind qr) as a PNG data URL; QRLink is QRText
	// when it is an http(s) URL (the sandbox's codes are), "" otherwise
	// (weixin://… cannot be opened by a desktop browser).
	QRImage        template.URL
	QRText, QRLink string
	// Href is the page of what the attempt pays: its order, or (a top-up)
	// the attempt's own page.
	Href string
}

// PayChoice is one way to pay an order through a gateway: a button that
// posts method and kind.
type PayChoice struct {
	ID, Method, Kind, Label string
}

// PayTopUp is the wallet's gateway top-up form and the recent top-ups.
type PayTopUp struct {
	Shown           bool // a gateway is configured
	Amount          string
	Gateways, Kinds []ShopOption
	Recent          []PayAttempt
	Min, Max        string // the limits, formatted
}

// payQRSize is the QR image's side in pixels.
const payQRSize = 240

// payQR draws text as a QR code PNG data URL; "" when it cannot be encoded.
func payQR(text string) template.URL {
	if text == "" {
		return ""
	}
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	code, err = barcode.Scale(code, payQRSize, payQRSize)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return ""
	}
	// Trusted: our own PNG, base64 (no quote or markup can appear in it).
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// payWebURL returns s when it is an absolute http(s) URL, else "".
func payWebURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// payAttemptOf is the portal's view of an attempt.
func payAttemptOf(lang i18n.Lang, a app.AttemptView) PayAttempt {
	v := PayAttempt{ID: a.ID, Ref: a.Ref, Gateway: a.Gateway, GatewayLabel: shopT(lang, "page.shop.method."+a.Gateway, a.Gateway), Kind: a.Kind,
		State: a.State, StateLabel: shopT(lang, "page.pay.state."+a.State, a.State), Amount: shopYuan(lang, a.AmountFen),
		Created: shopTime(a.CreatedAt), Expires: shopTime(a.ExpiresAt), Settled: shopTime(a.SettledAt),
		Pending: a.State == app.AttemptPending || a.State == app.AttemptCreating, Succeeded: a.State == app.AttemptSucceeded,
		Href: "/payments/" + url.PathEscape(a.ID)}
	if a.OrderID != "" {
		v.Href = "/orders/" + url.PathEscape(a.OrderID)
	}
	if v.Pending {
		v.PayURL = payWebURL(a.PayURL)
		if a.QRCode != "" {
			v.QRText, v.QRImage, v.QRLink = a.QRCode, payQR(a.QRCode), payWebURL(a.QRCode)
		}
	}
	return v
}

// payChoices are the gateway buttons of an order page, for the configured
// gateways: Alipay by page and by QR code, WeChat Pay by QR code.
func (h *handlers) payChoices(lang i18n.Lang) []PayChoice {
	var out []PayChoice
	for _, g := range h.app.Gateways() {
		for _, k := range []string{"page", "qr"} {
			if g == app.MethodWeChatPay && k == "page" {
				continue
			}
			out = append(out, PayChoice{ID: "pay-" + g + "-" + k, Method: g, Kind: k, Label: i18n.T(lang, "page.pay.choice."+g+"."+k, nil)})
		}
	}
	return out
}

// payKinds are the options of a form's kind select ("" lets the app
// choose: Alipay's page, WeChat Pay's QR code).
func payKinds(lang i18n.Lang, selected string) []ShopOption {
	out := shopOptions(lang, "page.pay.kind.", []string{"", "page", "qr"}, selected)
	out[0].Label = i18n.T(lang, "page.pay.kind.default", nil)
	return out
}

// payKind bounds a form's kind to the values the app knows ("" otherwise,
// so that a typo falls back to the default rather than an odd error).
func payKind(s string) string {
	if s == "page" || s == "qr" {
		return s
	}
	return ""
}

// payRefresh makes the browser load the page again in a few seconds (the
// Refresh header: no script, allowed by the CSP), while a payment is
// being confirmed.
func payRefresh(w http.ResponseWriter) { w.Header().Set("Refresh", payRefreshSeconds) }

// payTopUpForm is the wallet's gateway top-up form with the customer's
// latest top-ups.
func (h *handlers) payTopUpForm(req *http.Request, p webctx.Principal, lang i18n.Lang) PayTopUp {
	gws := h.app.Gateways()
	f := PayTopUp{Shown: len(gws) > 0, Min: shopYuan(lang, 100), Max: shopYuan(lang, 5_000_000)}
	if !f.Shown {
		return f
	}
	f.Gateways = shopOptions(lang, "page.shop.method.", gws, gws[0])
	f.Kinds = payKinds(lang, "")
	ats, err := h.app.Attempts(req.Context(), p.Principal, "", "")
	if err != nil {
		return f
	}
	for _, a := range ats {
		if a.Purpose == "topup" && len(f.Recent) < 5 {
			f.Recent = append(f.Recent, payAttemptOf(lang, a))
		}
	}
	return f
}

// payTopUp starts a gateway top-up of cash and goes to its page.
func (h *handlers) payTopUp(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	amount, gateway, kind := field(req, "amount"), field(req, "gateway"), payKind(field(req, "kind"))
	in := app.TopUpRequest{Gateway: gateway, Kind: kind}
	if in.Kind == "" {
		in.Kind = "page"
		if gateway == app.MethodWeChatPay {
			in.Kind = "qr"
		}
	}
	f, err := money.ParseYuanField(amount, "body.amount_fen")
	var at app.AttemptView
	if err == nil {
		in.AmountFen = int64(f)
		at, err = h.app.TopUp(req.Context(), p.Principal, in)
	}
	if err != nil {
		h.shopWalletFail(w, req, p, err, "gateway-topup", func(v *ShopWalletView) {
			v.TopUp.Amount = amount
			if slices.Contains(h.app.Gateways(), gateway) {
				v.TopUp.Gateways = shopOptions(v.Lang, "page.shop.method.", h.app.Gateways(), gateway)
			}
			v.TopUp.Kinds = payKinds(v.Lang, kind)
		})
		return
	}
	http.Redirect(w, req, "/payments/"+url.PathEscape(at.ID)+"?done=topup_started", http.StatusSeeOther)
}

// PayAttemptView is an attempt's own page.
type PayAttemptView struct {
	Page
	Form
	Attempt           PayAttempt
	Purpose, BackHref string
	Refreshing, TopUp bool
}

// payAttempt is one of the customer's attempts: where to pay while it is
// pending (the page refreshes itself), the outcome once settled.
func (h *handlers) payAttempt(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	a, err := h.app.Attempt(req.Context(), p.Principal, bounded(req.PathValue("id")))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := PayAttemptView{Page: h.page(req, "page.pay.attempt.title", portalNav(), "wallet"), TopUp: a.Purpose == "topup"}
	v.Notice = doneNotice(req, v.Lang)
	v.Attempt = payAttemptOf(v.Lang, a)
	v.Purpose = i18n.T(v.Lang, "page.pay.purpose."+a.Purpose, nil)
	v.BackHref = "/wallet"
	if a.OrderID != "" {
		v.Nav = portalNav()
		for i := range v.Nav {
			v.Nav[i].Current = v.Nav[i].ID == "orders"
		}
		v.BackHref = "/orders/" + url.PathEscape(a.OrderID)
	}
	if v.Attempt.Pending {
		v.Refreshing = true
		payRefresh(w)
	}
	h.r.render(w, req, http.StatusOK, tmplPayAttempt, v.Lang, v)
}

// PayReturnView is the page the gateway sends the browser back to.
type PayReturnView struct {
	Page
	Attempt *PayAttempt // the signed-in customer's attempt the return names
	Href    string      // where to follow the payment
	Order   bool        // Href is an order's page
}

// payReturn is where Alipay sends the browser after a page payment. It
// says the payment is being confirmed and links to the order (or the
// top-up): what the return's query says is never believed, only used to
// find the signed-in customer's own attempt.
func (h *handlers) payReturn(w http.ResponseWriter, req *http.Request) {
	v := PayReturnView{Page: h.page(req, "page.pay.return.title", portalNav(), "orders"), Href: "/orders"}
	ref := strings.TrimSpace(req.URL.Query().Get("out_trade_no"))
	if p, ok := principal(req); ok && p.Customer() && ref != "" && len(ref) <= 64 {
		if a, err := h.app.AttemptByRef(req.Context(), p.Principal, ref); err == nil {
			at := payAttemptOf(v.Lang, a)
			v.Attempt, v.Href, v.Order = &at, at.Href, a.OrderID != ""
		}
	}
	h.r.render(w, req, http.StatusOK, tmplPayReturn, v.Lang, v)
}
