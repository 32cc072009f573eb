package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"yuanxu/internal/account"
)

// APIPrefix is where the JSON API is mounted.
const APIPrefix = "/api/v1"

// OpenAPIPath is the OpenAPI 3.1 document of the API.
const OpenAPIPath = APIPrefix + "/openapi.json"

// recordingMux is the API's ServeMux; it remembers every pattern huma
// registers, so a test can prove each one is documented.
type recordingMux struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

func (m *recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.mu.Lock()
	m.patterns = append(m.patterns, pattern)
	m.mu.Unlock()
	m.ServeMux.HandleFunc(pattern, h)
}

// Patterns lists the registered patterns in registration order.
func (m *recordingMux) Patterns() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.patterns...)
}

// newAPI builds the huma API on its own mux and registers every operation.
// No docs UI is served: huma's needs a CDN, which the CSP forbids.
func (s *server) newAPI() error {
	cfg := huma.DefaultConfig("yuanxu API", s.version)
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.OpenAPIPath = "/openapi"
	cfg.RejectUnknownQueryParameters = true // as strict as bodies: a typo is an error
	cfg.Info.Description = "Self-service, billing and compliance API of yuanxu. Errors are application/problem+json " +
		"with a stable code and a message in zh-CN (default) or English by Accept-Language."
	cfg.Servers = []*huma.Server{{URL: APIPrefix}}
	cfg.Tags = []*huma.Tag{
		{Name: "meta", Description: "About this server."},
		{Name: "sandbox", Description: "The sandbox test clock and outboxes (sandbox mode only)."},
		{Name: "auth", Description: "Registration, sign-in, second factor, password reset."},
		{Name: "me", Description: "The signed-in account: profile, security, sessions, API keys, sub-users, inbox."},
		{Name: "accounts", Description: "Accounts by id."},
		{Name: "staff", Description: "Console operations (staff roles)."},
		{Name: "agreement", Description: "The agreement: versions, diffs, explanations; the working-day calendar."},
		{Name: "tickets", Description: "Support tickets (clause 5): customers' own, and staff queues."},
	}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"cookieAuth": {Type: "apiKey", In: "cookie", Name: SessionCookie,
			Description: "Session of the portal or console; unsafe requests must be same-origin."},
		"bearerAuth": {Type: "http", Scheme: "bearer",
			Description: "API key: Authorization: Bearer <key>. Exempt from same-origin checks; ignores cookies."},
	}
	s.apiMux = &recordingMux{ServeMux: http.NewServeMux()}
	s.api = humago.NewWithPrefix(s.apiMux, APIPrefix, cfg)
	return s.registerOperations()
}

// registerOperations is the map of the API.
func (s *server) registerOperations() (err error) {
	defer func() {
		// huma panics on a malformed operation: a wiring bug, reported.
		if v := recover(); v != nil {
			err = fmt.Errorf("web: registering API operations: %v", v)
		}
	}()
	registerMeta(s)
	registerAuth(s)
	registerMe(s)
	registerStaff(s)
	registerSandboxMail(s)
	registerResend(s)
	registerAgreement(s) // api_agreement.go
	registerKYC(s)
	registerTickets(s)
	registerCommerce(s)    // api_commerce.go
	registerServices(s)    // api_services.go
	registerPayments(s)    // api_payments.go
	registerRefunds(s)     // api_refunds.go
	registerUsage(s)       // api_usage.go
	registerResellers(s)   // api_resellers.go
	registerCompliance(s)  // api_compliance.go
	registerAuthority(s)   // api_authority.go
	registerMeasures(s)    // api_compliance_measures.go
	registerDelivery(s)    // api_delivery.go
	registerAnnounce(s)    // api_announce.go
	registerNetDelivery(s) // api_netdrv.go
	if s.app.IsSandbox() {
		registerSandbox(s)
	}
	return nil
}

// register adds one operation. Every operation must have an operationId,
// a summary and tags. The handler's errors are turned into localized
// problems here (so huma applies their Retry-After), and huma's own body
// limit is off: limitBodies enforces Config.MaxBodyBytes for all of /api/.
func register[I, O any](s *server, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
		panic(fmt.Sprintf("operation %s %s needs an operationId, a summary and tags", op.Method, op.Path))
	}
	op.MaxBodyBytes = -1
	if op.BodyReadTimeout == 0 {
		op.BodyReadTimeout = 10 * time.Second
	}
	if len(op.Errors) == 0 {
		op.Errors = []int{http.StatusInternalServerError}
	}
	// An operation that declares a security scheme answers 401 to an
	// anonymous request before its input is read or validated; one under
	// /staff/ answers 403 to anyone but staff, before its input too (the
	// authorisation matrix: a customer learns nothing from a staff route's
	// validation, and every id gets the same answer).
	var gate huma.Middlewares
	if needsAuth(op.Security) {
		gate = append(gate, requireAuth(s))
	}
	if strings.HasPrefix(op.Path, "/staff/") {
		gate = append(gate, requireStaff)
	}
	op.Middlewares = append(gate, op.Middlewares...)
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, problemFromError(ctx, err)
		}
		return out, nil
	})
	stored := op
	s.ops = append(s.ops, &stored)
}

// operationKeys lists the registered operations as "METHOD /api/v1/path"
// keys, for tests and the README.
func (s *server) operationKeys() []string {
	keys := make([]string, 0, len(s.ops))
	for _, op := range s.ops {
		keys = append(keys, op.Method+" "+APIPrefix+op.Path)
	}
	return keys
}

// needsAuth reports whether security requires a credential: declared and
// without the empty "no auth" alternative.
func needsAuth(sec []map[string][]string) bool {
	if len(sec) == 0 {
		return false
	}
	for _, alt := range sec {
		if len(alt) == 0 {
			return false
		}
	}
	return true
}

// requireStaff answers 403 authz.staff_only to a request whose principal
// is not a staff member (an anonymous one, where the operation needs no
// credential, too). The app still authorises every staff permission.
func requireStaff(hctx huma.Context, next func(huma.Context)) {
	if p, ok := PrincipalFrom(hctx.Context()); !ok || p.Kind != account.KindStaff {
		_, w := humago.Unwrap(hctx)
		writeProblem(w, newProblem(hctx.Context(), http.StatusForbidden, account.ReasonStaffOnly, nil, nil))
		return
	}
	next(hctx)
}

// requireAuth answers 401 problem+json to a request without a principal.
// The second-factor and logout steps carry a session that is not (yet, or
// any longer) a principal; they check their cookie themselves.
func requireAuth(s *server) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		switch hctx.Operation().OperationID {
		case "login-second-factor", "logout":
			next(hctx)
			return
		}
		if _, ok := PrincipalFrom(hctx.Context()); !ok {
			_, w := humago.Unwrap(hctx)
			writeProblem(w, newProblem(hctx.Context(), http.StatusUnauthorized, "unauthenticated", nil, nil))
			return
		}
		next(hctx)
	}
}
