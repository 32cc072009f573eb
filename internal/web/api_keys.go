package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

// APIKeyBody is an API key without its secret.
type APIKeyBody struct {
	ID         string     `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Name       string     `json:"name" example:"deploy bot"`
	Display    string     `json:"display" doc:"Prefix and last characters, to recognise the key." example:"yx_live_ab…9f"`
	Scopes     []string   `json:"scopes" example:"[\"order.read\"]"`
	CreatedAt  time.Time  `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func keyBody(k app.APIKeyView) APIKeyBody {
	return APIKeyBody{ID: k.ID, Name: k.Name, Display: k.Display, Scopes: append([]string{}, k.Scopes...), CreatedAt: k.CreatedAt,
		LastUsedAt: timePtr(k.LastUsedAt), ExpiresAt: timePtr(k.ExpiresAt), RevokedAt: timePtr(k.RevokedAt)}
}

type keyCreateInput struct {
	Body struct {
		Name      string     `json:"name" maxLength:"64" example:"deploy bot"`
		Scopes    []string   `json:"scopes" maxItems:"64" doc:"Permissions the key may use (never more than the account has)." example:"[\"order.read\"]"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
	}
}

type keyCreateOutput struct {
	Body struct {
		Key    string     `json:"key" doc:"The full key, shown once." example:"yx_live_0123456789abcdef"`
		APIKey APIKeyBody `json:"api_key"`
	}
}

type keysOutput struct {
	Body struct {
		APIKeys []APIKeyBody `json:"api_keys"`
	}
}

type subUserInput struct {
	Body struct {
		DisplayName string   `json:"display_name" maxLength:"64" example:"王芳"`
		Email       string   `json:"email" maxLength:"254" example:"wang.fang@example.com"`
		Phone       string   `json:"phone" maxLength:"20" doc:"Mainland mobile number (required: every account has one)." example:"13800138000"`
		Password    string   `json:"password" maxLength:"256" example:"correct horse battery staple"`
		Scopes      []string `json:"scopes" maxItems:"16" example:"[\"may_manage_tickets\"]"`
	}
}

type accountsOutput struct {
	Body struct {
		Accounts   []AccountBody `json:"accounts"`
		NextCursor string        `json:"next_cursor,omitempty" example:"eyJrIjoiMSJ9"`
	}
}

type scopesInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Scopes []string `json:"scopes" maxItems:"16" example:"[\"may_order\",\"may_pay\"]"`
	}
}

// InboxItemBody is one in-app notification.
type InboxItemBody struct {
	ID        string     `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Event     string     `json:"event" example:"auth.password_changed"`
	Title     string     `json:"title" example:"密码已修改"`
	Body      string     `json:"body" example:"您的密码已于 2025-06-01 10:00 修改。"`
	CreatedAt time.Time  `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	ReadAt    *time.Time `json:"read_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
}

type inboxInput struct {
	Unread bool `query:"unread" doc:"Only unread items."`
	Limit  int  `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type inboxOutput struct {
	Body struct {
		Items []InboxItemBody `json:"items"`
	}
}

// registerKeys adds API keys and sub-users.
func registerKeys(s *server) {
	tag := []string{"me"}
	register(s, huma.Operation{OperationID: "list-api-keys", Method: http.MethodGet, Path: "/me/api-keys", Tags: tag, Security: secSession,
		Summary: "List API keys", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*keysOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ks, err := s.app.APIKeys(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &keysOutput{}
			out.Body.APIKeys = []APIKeyBody{}
			for _, k := range ks {
				out.Body.APIKeys = append(out.Body.APIKeys, keyBody(k))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "create-api-key", Method: http.MethodPost, Path: "/me/api-keys", Tags: tag, Security: secSession,
		Summary: "Create an API key", Description: "The full key is in this answer only.", Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *keyCreateInput) (*keyCreateOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			var exp time.Time
			if in.Body.ExpiresAt != nil {
				exp = *in.Body.ExpiresAt
			}
			k, full, err := s.app.APIKeyCreate(ctx, p.Principal, in.Body.Name, in.Body.Scopes, exp)
			if err != nil {
				return nil, err
			}
			out := &keyCreateOutput{}
			out.Body.Key, out.Body.APIKey = full, keyBody(k)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/me/api-keys/{id}", Tags: tag, Security: secSession,
		Summary: "Revoke an API key", Errors: []int{401, 403, 404}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.APIKeyRevoke(ctx, p.Principal, in.ID)
		})
	register(s, huma.Operation{OperationID: "list-sub-users", Method: http.MethodGet, Path: "/me/sub-users", Tags: tag, Security: secSession,
		Summary: "List the enterprise's sub-users", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*accountsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.SubUsers(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &accountsOutput{}
			out.Body.Accounts = accountBodies(vs)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "create-sub-user", Method: http.MethodPost, Path: "/me/sub-users", Tags: tag, Security: secSession,
		Summary: "Create a sub-user", Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *subUserInput) (*accountOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			v, err := s.app.SubUserCreate(ctx, p.Principal, app.SubUserInput{DisplayName: b.DisplayName, Email: b.Email, Phone: b.Phone,
				Password: b.Password, Scopes: scopes(b.Scopes)})
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	register(s, huma.Operation{OperationID: "set-sub-user-scopes", Method: http.MethodPut, Path: "/me/sub-users/{id}/scopes", Tags: tag, Security: secSession,
		Summary: "Set a sub-user's scopes", Errors: []int{401, 403, 404, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *scopesInput) (*struct{}, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.SubUserSetScopes(ctx, p.Principal, in.ID, scopes(in.Body.Scopes))
		})
}

// registerInbox adds the in-app notification inbox.
func registerInbox(s *server) {
	tag := []string{"me"}
	register(s, huma.Operation{OperationID: "list-inbox", Method: http.MethodGet, Path: "/me/inbox", Tags: tag, Security: secAny,
		Summary: "Read the inbox", Description: "Newest first.", Errors: []int{401, 403}},
		func(ctx context.Context, in *inboxInput) (*inboxOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.app.Authorize(ctx, p.Principal, "notification.manage_own", p.SelfObject()); err != nil {
				return nil, err
			}
			items, err := s.app.Inbox(ctx, p.AccountID, in.Unread, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &inboxOutput{}
			out.Body.Items = make([]InboxItemBody, 0, len(items))
			for _, it := range items {
				out.Body.Items = append(out.Body.Items, InboxItemBody{ID: it.NotificationID, Event: it.Event, Title: it.Title, Body: it.Body,
					CreatedAt: it.CreatedAt, ReadAt: timePtr(it.ReadAt)})
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "mark-inbox-read", Method: http.MethodPost, Path: "/me/inbox/{id}/read", Tags: tag, Security: secAny,
		Summary: "Mark an inbox item read", Errors: []int{401, 403, 404}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.app.Authorize(ctx, p.Principal, "notification.manage_own", p.SelfObject()); err != nil {
				return nil, err
			}
			return nil, s.app.InboxMarkRead(ctx, p.AccountID, in.ID)
		})
}

// staffOnly authorises a staff permission that acts on no particular
// customer.
func staffOnly(ctx context.Context, s *server, perm account.Permission) (Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return p, err
	}
	return p, s.app.Authorize(ctx, p.Principal, perm, account.Object{})
}
