package app

import (
	"context"
	"crypto/rand"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// Node kinds (issue 13): servers host cloud servers, vpn nodes terminate
// WireGuard lines, cdn nodes are edges. The agent on a node authenticates
// with the node's token; the metering ingestion shares it.
var nodeKinds = []string{"server", "vpn", "cdn"}

func nodeView(n store.NodeRow) NodeView {
	k := n.Kind
	if k == "" {
		k = "server"
	}
	return NodeView{ID: n.ID, Kind: k, Name: n.Name, Region: n.Region, Sandbox: n.Sandbox, HasToken: n.TokenHash != "", CreatedAt: n.CreatedAt,
		RevokedAt: n.DisabledAt, Disabled: !n.DisabledAt.IsZero()}
}

// NodeInput creates a node.
type NodeInput struct {
	ID     string `json:"id" minLength:"2" maxLength:"64" pattern:"^[a-z0-9_-]+$" example:"nc-vpn-1"`
	Kind   string `json:"kind" enum:"server,vpn,cdn" example:"vpn"`
	Name   string `json:"name" minLength:"1" maxLength:"100" example:"南昌 VPN 1"`
	Region string `json:"region" maxLength:"64" example:"cn-jx-nanchang"`
}

// NodeCreated is a new node and its token, shown this once (only its
// hash is stored).
type NodeCreated struct {
	Node  NodeView `json:"node"`
	Token string   `json:"token" example:"ynode_…"`
}

// Nodes lists every node (provisioning.manage).
func (a *App) Nodes(ctx context.Context, p account.Principal) ([]NodeView, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return nil, err
	}
	rows, err := store.Nodes(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := []NodeView{}
	for _, n := range rows {
		out = append(out, nodeView(n))
	}
	return out, nil
}

// NodeCreate creates a node with a fresh token (provisioning.manage): an
// id in use is node.exists (409). The token is returned once.
func (a *App) NodeCreate(ctx context.Context, p account.Principal, in NodeInput) (NodeCreated, error) {
	const op = "app.NodeCreate"
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return NodeCreated{}, err
	}
	in.Name, in.Region = strings.TrimSpace(in.Name), strings.TrimSpace(in.Region)
	if !validSlug(in.ID) {
		return NodeCreated{}, fieldErr(op, "node.invalid", errs.Invalid, "body.id", "format", "2–64 of a–z, 0–9, - and _", nil)
	}
	kindOK := false
	for _, k := range nodeKinds {
		kindOK = kindOK || k == in.Kind
	}
	if !kindOK {
		return NodeCreated{}, fieldErr(op, "node.invalid", errs.Invalid, "body.kind", "enum", "server, vpn or cdn", nil)
	}
	if in.Name == "" || len(in.Name) > 100 {
		return NodeCreated{}, fieldErr(op, "node.invalid", errs.Invalid, "body.name", "required", "name the node", nil)
	}
	if in.ID == SandboxNode {
		return NodeCreated{}, fieldErr(op, "node.invalid", errs.Invalid, "body.id", "reserved", "the sandbox node is the platform's own", nil)
	}
	tok := "ynode_" + newToken()
	var row store.NodeRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := store.NodeGet(ctx, tx, in.ID); err == nil {
			return fieldErr(op, "node.exists", errs.Conflict, "body.id", "unique", "a node has this id", nil)
		} else if !store.IsNotFound(err) {
			return err
		}
		row = store.NodeRow{ID: in.ID, Kind: in.Kind, Name: in.Name, Region: in.Region, TokenHash: tokenHash(tok), CreatedAt: tx.Now}
		if err := tx.NodePut(ctx, row); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.created", SubjectType: "node", SubjectID: in.ID,
			Data: map[string]any{"kind": in.Kind, "name": in.Name, "region": in.Region}})
	})
	if err != nil {
		return NodeCreated{}, err
	}
	return NodeCreated{Node: nodeView(row), Token: tok}, nil
}

// NodeRevoke revokes a node's token (provisioning.manage): its agent and
// its usage reports are refused from then on. Revoking twice is
// node.revoked (409).
func (a *App) NodeRevoke(ctx context.Context, p account.Principal, nodeID string) (NodeView, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return NodeView{}, err
	}
	var out store.NodeRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := store.NodeGet(ctx, tx, nodeID); store.IsNotFound(err) {
			return errNotFound("node")
		} else if err != nil {
			return err
		}
		ok, err := tx.NodeRevoke(ctx, nodeID, tx.Now)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op("app.NodeRevoke"), errs.Conflict, "node.revoked", "the node is revoked already")
		}
		if out, err = store.NodeGet(ctx, tx, nodeID); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.revoked", SubjectType: "node", SubjectID: nodeID})
	})
	return nodeView(out), err
}

// AuthenticateNode resolves a node token (the agent's and the usage
// ingestion's): an empty, unknown or revoked token is
// usage.node_unauthorized (401).
func (a *App) AuthenticateNode(ctx context.Context, token string) (NodeView, error) {
	const op = "app.AuthenticateNode"
	if token == "" {
		return NodeView{}, errs.E(errs.Op(op), errs.Unauthenticated, CodeNodeUnauthorized, "a node token is required")
	}
	n, err := store.NodeByToken(ctx, a.db, tokenHash(token))
	if store.IsNotFound(err) {
		return NodeView{}, errs.E(errs.Op(op), errs.Unauthenticated, CodeNodeUnauthorized, "unknown or revoked node token")
	}
	if err != nil {
		return NodeView{}, err
	}
	return nodeView(n), nil
}

// newToken is 26 base32 characters of crypto randomness (130 bits).
func newToken() string { return rand.Text() }
