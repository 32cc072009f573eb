package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
)

// The VPN and CDN delivery rows of the authorisation matrix (section
// "VPN and CDN delivery" of testdata/authz_matrix.txt). The customer API
// rows name a real service (own: the column's paid one, a cloud server;
// other: the stranger's), so the owner passes authorisation and is then
// refused on content (wireguard.no_peer 404, cdn.not_cdn 409, cdn.no_site
// 404) and nothing changes; the staff node rows name a node that does not
// exist (never an account id, which POST /api/v1/staff/nodes/{id}/token
// would create); bodies are valid, so the answers are about who asks.

func (env *matrixEnv) netdrvPath(p probe, a *actor) (string, bool) {
	mc := env.commerce
	if mc == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	var id string
	switch path {
	case "/api/v1/services/{id}/wireguard.conf", "/api/v1/services/{id}/wireguard.png", "/api/v1/services/{id}/cdn-site",
		"/api/v1/services/{id}/cdn-site/check":
		own := mc.own["indiv"]["paid"] // staff and anonymous: a customer's
		if a.kind.Customer() {
			own = mc.own[a.name]["paid"]
		}
		id = env.serviceOf(own)
		if p.variant == "other" {
			id = env.serviceOf(mc.readOrder["other"])
		}
	case "/api/v1/staff/nodes/{id}/wireguard":
		id = "matrix-no-such-node"
	default:
		return "", false
	}
	return strings.ReplaceAll(p.path, "{id}", url.PathEscape(id)), true
}

func (env *matrixEnv) netdrvBody(p probe, a *actor) (contentType, body string, ok bool) {
	js := func(v any) (string, string, bool) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return "application/json", string(b), true
	}
	switch p.route {
	case "PUT /api/v1/services/{id}/cdn-site":
		return js(map[string]any{"domain": "m-" + a.name + ".matrix.example.cn", "origin": "https://origin.example.cn"})
	case "PUT /api/v1/staff/nodes/{id}/wireguard":
		return js(map[string]any{"endpoint": "vpn.matrix.example.cn:51820", "listen_port": 51820, "pool_v4": "10.99.0.0/24"})
	case "POST /api/v1/agent/wireguard-key":
		return js(map[string]any{"public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="})
	case "POST /services/{id}/cdn":
		return "application/x-www-form-urlencoded", url.Values{"domain": {"p-" + a.name + ".matrix.example.cn"}, "origin": {"https://origin.example.cn"}}.Encode(), true
	}
	return "", "", false
}
