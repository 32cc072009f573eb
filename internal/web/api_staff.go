package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

type customersInput struct {
	Q      string `query:"q" maxLength:"254" doc:"Exact email or phone, an account id, or a name prefix." example:"li.lei@example.com"`
	Kind   string `query:"kind" enum:"individual,enterprise,sub_user,reseller," doc:"Only this kind."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"256"`
}

type staffCreateInput struct {
	Body struct {
		Email       string   `json:"email" maxLength:"254" example:"zhang.wei@yuanxu.example"`
		DisplayName string   `json:"display_name" maxLength:"64" example:"张伟"`
		Password    string   `json:"password" maxLength:"256" example:"correct horse battery staple"`
		Roles       []string `json:"roles" maxItems:"16" example:"[\"support\"]"`
	}
}

type rolesInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Roles []string `json:"roles" maxItems:"16" example:"[\"support\",\"finance\"]"`
	}
}

type disableInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" maxLength:"500" example:"fraudulent registration"`
	}
}

type standingSetInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Flag    string `json:"flag" enum:"restricted,suspended,banned" example:"restricted"`
		Reason  string `json:"reason" maxLength:"500" example:"mailbox full"`
		CaseRef string `json:"case_ref,omitempty" maxLength:"64" example:"VC-2025-0001"`
	}
}

type standingLiftInput struct {
	ID     string `path:"id" maxLength:"64"`
	Flag   string `query:"flag" enum:"restricted,suspended,banned" required:"true"`
	Reason string `query:"reason" maxLength:"500"`
}

type deliveriesInput struct {
	ID             string `query:"id" maxLength:"64"`
	NotificationID string `query:"notification_id" maxLength:"64"`
	SubjectType    string `query:"subject_type" maxLength:"64"`
	SubjectID      string `query:"subject_id" maxLength:"64"`
	Limit          int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

// DeliveryBody is one delivery of a notification, address masked.
type DeliveryBody struct {
	ID             string     `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	NotificationID string     `json:"notification_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a71"`
	Event          string     `json:"event" example:"auth.verification_code"`
	Lang           string     `json:"lang" example:"zh-CN"`
	Channel        string     `json:"channel" example:"email"`
	To             string     `json:"to" doc:"Masked." example:"li***@example.com"`
	Status         string     `json:"status" example:"delivered"`
	Attempts       int        `json:"attempts" example:"1"`
	Provider       string     `json:"provider" example:"aliyun"`
	Reason         string     `json:"reason,omitempty" example:"mailbox full"`
	AccountID      string     `json:"account_id,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	SubjectType    string     `json:"subject_type,omitempty" example:"order"`
	SubjectID      string     `json:"subject_id,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	CreatedAt      time.Time  `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
}

type deliveriesOutput struct {
	Body struct {
		Deliveries []DeliveryBody `json:"deliveries"`
	}
}

type sandboxSMSInput struct {
	Phone string `query:"phone" maxLength:"20" doc:"Only messages to this number."`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// SandboxSMSBody is a message the sandbox SMS provider received.
type SandboxSMSBody struct {
	ID         string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	To         string    `json:"to" doc:"Masked." example:"li***@example.com"`
	Template   string    `json:"template" example:"SMS_000001"`
	Text       string    `json:"text" example:"【元序】您的验证码是 123456"`
	ReceivedAt time.Time `json:"received_at" example:"2025-06-01T10:00:00+08:00"`
}

type sandboxSMSOutput struct {
	Body struct {
		Messages []SandboxSMSBody `json:"messages"`
	}
}

func roles(ss []string) []account.Role {
	out := make([]account.Role, 0, len(ss))
	for _, s := range ss {
		out = append(out, account.Role(s))
	}
	return out
}

// registerStaff adds the console's operations.
func registerStaff(s *server) {
	tag := []string{"staff"}
	register(s, huma.Operation{OperationID: "search-customers", Method: http.MethodGet, Path: "/staff/customers", Tags: tag, Security: secSession,
		Summary: "Search customers", Description: "Needs account.read_any. Results are masked.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *customersInput) (*accountsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, next, err := s.app.CustomerSearch(ctx, p.Principal, app.CustomerQuery{Q: in.Q, Kind: in.Kind, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			out := &accountsOutput{}
			out.Body.Accounts, out.Body.NextCursor = accountBodies(vs), next
			return out, nil
		})
	register(s, huma.Operation{OperationID: "list-staff", Method: http.MethodGet, Path: "/staff/members", Tags: tag, Security: secSession,
		Summary: "List staff members", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*accountsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.StaffList(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &accountsOutput{}
			out.Body.Accounts = accountBodies(vs)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "create-staff", Method: http.MethodPost, Path: "/staff/members", Tags: tag, Security: secSession,
		Summary: "Create a staff member", Description: "Needs staff.manage.", Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *staffCreateInput) (*accountOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			v, err := s.app.CreateStaff(ctx, &p.Principal, app.CreateStaffInput{Email: b.Email, DisplayName: b.DisplayName, Password: b.Password, Roles: roles(b.Roles)})
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	register(s, huma.Operation{OperationID: "set-staff-roles", Method: http.MethodPut, Path: "/staff/members/{id}/roles", Tags: tag, Security: secSession,
		Summary: "Set a staff member's roles", Description: "Needs staff.manage; never one's own.", Errors: []int{401, 403, 404, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *rolesInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.StaffSetRoles(ctx, p.Principal, in.ID, roles(in.Body.Roles))
		})
	register(s, huma.Operation{OperationID: "disable-account", Method: http.MethodPost, Path: "/staff/accounts/{id}/disable", Tags: tag, Security: secSession,
		Summary: "Disable an account", Description: "Needs account.disable; ends its sessions.", Errors: []int{401, 403, 404, 409}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *disableInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.AccountDisable(ctx, p.Principal, in.ID, in.Body.Reason)
		})
	register(s, huma.Operation{OperationID: "set-standing", Method: http.MethodPut, Path: "/staff/accounts/{id}/standing", Tags: tag, Security: secSession,
		Summary: "Impose a standing measure", Errors: []int{401, 403, 404, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *standingSetInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.StandingSet(ctx, p.Principal, in.ID, account.Measure{Flag: account.Flag(in.Body.Flag), Reason: in.Body.Reason, CaseRef: in.Body.CaseRef})
		})
	register(s, huma.Operation{OperationID: "lift-standing", Method: http.MethodDelete, Path: "/staff/accounts/{id}/standing", Tags: tag, Security: secSession,
		Summary: "Lift a standing measure", Description: "A flag set by hand. standing.not_set (409) when the flag is not in force; " +
			"standing.held_by_measure (409, with the measure and its case) when a compliance measure of a violation case put it in force: " +
			"it ends with that measure, when an appeal overturns it (clauses 4.2, 6.2).",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *standingLiftInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.StandingLift(ctx, p.Principal, in.ID, account.Flag(in.Flag), in.Reason)
		})
	register(s, huma.Operation{OperationID: "list-deliveries", Method: http.MethodGet, Path: "/staff/notifications", Tags: tag, Security: secSession,
		Summary: "Notification delivery log", Description: "Needs notify.log.read. Addresses are masked.", Errors: []int{401, 403}},
		func(ctx context.Context, in *deliveriesInput) (*deliveriesOutput, error) {
			if _, err := staffOnly(ctx, s, "notify.log.read"); err != nil {
				return nil, err
			}
			ds, err := s.app.NotifyDeliveries(ctx, app.DeliveryFilter{ID: in.ID, NotificationID: in.NotificationID,
				SubjectType: in.SubjectType, SubjectID: in.SubjectID, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			out := &deliveriesOutput{}
			out.Body.Deliveries = make([]DeliveryBody, 0, len(ds))
			for _, d := range ds {
				out.Body.Deliveries = append(out.Body.Deliveries, DeliveryBody{ID: d.ID, NotificationID: d.NotificationID, Event: d.Event,
					Lang: d.Lang, Channel: d.Channel, To: d.AddressMasked, Status: d.Status, Attempts: d.Attempts, Provider: d.Provider,
					Reason: d.Reason, AccountID: d.AccountID, SubjectType: d.SubjectType, SubjectID: d.SubjectID, CreatedAt: d.CreatedAt,
					DeliveredAt: timePtr(d.DeliveredAt)})
			}
			return out, nil
		})
	if s.app.IsSandbox() {
		register(s, huma.Operation{OperationID: "sandbox-sms-outbox", Method: http.MethodGet, Path: "/staff/sandbox/sms", Tags: []string{"sandbox"}, Security: secSession,
			Summary: "Sandbox SMS outbox", Description: "Messages the sandbox SMS provider received (sandbox mode only). Needs notify.log.read.", Errors: []int{401, 403}},
			func(ctx context.Context, in *sandboxSMSInput) (*sandboxSMSOutput, error) {
				if _, err := staffOnly(ctx, s, "notify.log.read"); err != nil {
					return nil, err
				}
				ms, err := s.app.SandboxSMSMessages(ctx, in.Phone, in.Limit)
				if err != nil {
					return nil, err
				}
				out := &sandboxSMSOutput{}
				out.Body.Messages = []SandboxSMSBody{}
				for _, m := range ms {
					out.Body.Messages = append(out.Body.Messages, SandboxSMSBody{ID: m.ID, To: m.PhoneMasked, Template: m.TemplateCode, Text: m.Text, ReceivedAt: m.ReceivedAt})
				}
				return out, nil
			})
	}
}
