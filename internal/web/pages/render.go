package pages

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"text/template/parse"

	"yuanxu/internal/web/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

// Page templates: each is partials + one layout + one content file, and
// executes "layout".
const (
	tmplHome         = "portal_home"
	tmplLogin        = "portal_login"
	tmplPortalError  = "portal_error"
	tmplConsoleHome  = "console_home"
	tmplConsoleLogin = "console_login"
	tmplConsoleError = "console_error"

	tmplSecondFactor        = "portal_second_factor"
	tmplRegister            = "portal_register"
	tmplReset               = "portal_reset"
	tmplAccountProfile      = "account_profile"
	tmplAccountSecurity     = "account_security"
	tmplAccountSessions     = "account_sessions"
	tmplAccountKeys         = "account_keys"
	tmplAccountInbox        = "account_inbox"
	tmplConsoleSecondFactor = "console_second_factor"
	tmplConsoleCustomers    = "console_customers"
	tmplConsoleStaff        = "console_staff"
	tmplConsoleDeliveries   = "console_notifications"
	tmplConsoleSMS          = "console_sms"
	tmplConsoleMail         = "console_mail"
	tmplConsoleTemplates    = "console_templates"
)

var pageFiles = map[string][2]string{
	tmplHome:         {"layout_portal.html", "portal_home.html"},
	tmplLogin:        {"layout_portal.html", "portal_login.html"},
	tmplPortalError:  {"layout_portal.html", "error.html"},
	tmplConsoleHome:  {"layout_console.html", "console_home.html"},
	tmplConsoleLogin: {"layout_console.html", "console_login.html"},
	tmplConsoleError: {"layout_console.html", "error.html"},

	tmplSecondFactor:        {"layout_portal.html", "second_factor.html"},
	tmplRegister:            {"layout_portal.html", "portal_register.html"},
	tmplReset:               {"layout_portal.html", "portal_reset.html"},
	tmplAccountProfile:      {"layout_portal.html", "account_profile.html"},
	tmplAccountSecurity:     {"layout_portal.html", "account_security.html"},
	tmplAccountSessions:     {"layout_portal.html", "account_sessions.html"},
	tmplAccountKeys:         {"layout_portal.html", "account_keys.html"},
	tmplAccountInbox:        {"layout_portal.html", "account_inbox.html"},
	tmplConsoleSecondFactor: {"layout_console.html", "second_factor.html"},
	tmplConsoleCustomers:    {"layout_console.html", "console_customers.html"},
	tmplConsoleStaff:        {"layout_console.html", "console_staff.html"},
	tmplConsoleDeliveries:   {"layout_console.html", "console_notifications.html"},
	tmplConsoleSMS:          {"layout_console.html", "console_sms.html"},
	tmplConsoleMail:         {"layout_console.html", "console_mail.html"},
	tmplConsoleTemplates:    {"layout_console.html", "console_templates.html"},
	tmplAccountKYC:          {"layout_portal.html", "account_kyc.html"},
	tmplAccountPrivacy:      {"layout_portal.html", "account_privacy.html"},
	tmplConsoleKYC:          {"layout_console.html", "console_kyc.html"},
	tmplConsoleKYCDetail:    {"layout_console.html", "console_kyc_detail.html"},
}

// renderer holds every page template, one set per language, so that the
// template func t is bound to the language and needs no argument for it.
//
// Register parses and checks every page once (in the default language: the
// trees do not depend on the language, only the funcs bound to them do) and
// fails on any error, as before; the sets a page is rendered from are then
// built on its first render in each language and kept. Keeping all of them
// parsed from the start held ~14 MB of parse trees (two languages × every
// page × the layout and partials each page repeats) resident in an idle
// instance (issue 19, idle memory).
type renderer struct {
	sets   map[i18n.Lang]map[string]*lazyTemplate
	assets *assets
	log    *slog.Logger
}

// lazyTemplate is one page's template set in one language, parsed once on
// first use.
type lazyTemplate struct {
	once  sync.Once
	lang  i18n.Lang
	name  string
	files [2]string
	t     *template.Template
	err   error
}

func newRenderer(as *assets, log *slog.Logger) (*renderer, error) {
	r := &renderer{sets: map[i18n.Lang]map[string]*lazyTemplate{}, assets: as, log: log}
	for name, files := range pageFiles {
		if _, err := r.parse(i18n.Langs[0], name, files); err != nil {
			return nil, err
		}
	}
	for _, lang := range i18n.Langs {
		set := make(map[string]*lazyTemplate, len(pageFiles))
		for name, files := range pageFiles {
			set[name] = &lazyTemplate{lang: lang, name: name, files: files}
		}
		r.sets[lang] = set
	}
	return r, nil
}

// parse parses and checks one page's templates with lang's funcs.
func (r *renderer) parse(lang i18n.Lang, name string, files [2]string) (*template.Template, error) {
	t, err := template.New(name).Funcs(r.funcs(lang)).ParseFS(templateFS,
		"templates/partials.html", "templates/"+files[0], "templates/"+files[1])
	if err != nil {
		return nil, fmt.Errorf("pages: parsing %s: %w", name, err)
	}
	if t.Lookup("layout") == nil || t.Lookup("content") == nil {
		return nil, fmt.Errorf("pages: %s defines no layout or no content", name)
	}
	if err := r.check(t); err != nil {
		return nil, fmt.Errorf("pages: %s: %w", name, err)
	}
	return t, nil
}

// template returns lt's parsed set, parsing it on first use.
func (r *renderer) template(lt *lazyTemplate) (*template.Template, error) {
	lt.once.Do(func() { lt.t, lt.err = r.parse(lt.lang, lt.name, lt.files) })
	return lt.t, lt.err
}

// funcs are the template funcs for one language.
func (r *renderer) funcs(lang i18n.Lang) template.FuncMap {
	return template.FuncMap{
		// t "key" ["name" value]… translates key, filling {name}.
		"t": func(key string, kv ...any) (string, error) {
			return translate(lang, key, kv)
		},
		// tlist ["key"…] translates each key and joins them as a list.
		"tlist": func(keys []string) string {
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = i18n.T(lang, k, nil)
			}
			return strings.Join(parts, i18n.T(lang, "layout.list_sep", nil))
		},
		"hasRole":   hasRole,
		"asset":     r.assets.url,
		"integrity": r.assets.sri,
	}
}

// translate is the template func t. A missing key is an error, so a typo
// fails the render (and Register, for literal keys) instead of showing the
// key to a customer.
func translate(lang i18n.Lang, key string, kv []any) (string, error) {
	if !i18n.Has(key) {
		return "", fmt.Errorf("no catalog key %q", key)
	}
	if len(kv)%2 != 0 {
		return "", fmt.Errorf("t %q: odd number of parameter arguments", key)
	}
	var params map[string]any
	if len(kv) > 0 {
		params = make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			name, ok := kv[i].(string)
			if !ok {
				return "", fmt.Errorf("t %q: parameter name %v is not a string", key, kv[i])
			}
			params[name] = kv[i+1]
		}
	}
	return i18n.T(lang, key, params), nil
}

// check walks the parse trees and verifies every literal argument of t and
// asset: catalog keys exist in both languages, assets are embedded.
func (r *renderer) check(t *template.Template) error {
	var errs []error
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		walk(tt.Tree.Root, func(fn, arg string) {
			switch fn {
			case "t":
				if m, ok := i18n.Lookup(arg); !ok || m.ZH == "" || m.EN == "" {
					errs = append(errs, fmt.Errorf("template %s: catalog key %q missing or untranslated", tt.Name(), arg))
				}
			case "asset", "integrity":
				if _, ok := r.assets.byName[arg]; !ok {
					errs = append(errs, fmt.Errorf("template %s: no static asset %q", tt.Name(), arg))
				}
			}
		})
	}
	return errors.Join(errs...)
}

// walk calls visit for every call of a template func whose first argument
// is a string literal.
func walk(n parse.Node, visit func(fn, arg string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, visit)
		}
	case *parse.ActionNode:
		walk(n.Pipe, visit)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, visit)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok {
				if s, ok := n.Args[1].(*parse.StringNode); ok {
					visit(id.Ident, s.Text)
				}
			}
		}
		for _, a := range n.Args {
			walk(a, visit)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walk(n.Pipe, visit)
	}
}

func walkBranch(b *parse.BranchNode, visit func(fn, arg string)) {
	walk(b.Pipe, visit)
	walk(b.List, visit)
	walk(b.ElseList, visit)
}

// render executes a page template into a buffer and writes it with status.
// A failing template is logged and answered with a plain 500: nothing of a
// half-rendered page reaches the client.
func (r *renderer) render(w http.ResponseWriter, req *http.Request, status int, name string, lang i18n.Lang, data any) {
	var buf bytes.Buffer
	lt := r.sets[lang][name]
	if lt == nil {
		lt = r.sets[i18n.ZH][name]
	}
	err := errors.New("no such page template")
	var t *template.Template
	if lt != nil {
		t, err = r.template(lt)
	}
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", data)
	}
	if err != nil {
		r.log.ErrorContext(req.Context(), "rendering page failed",
			slog.String("template", name), slog.String("path", req.URL.Path), slog.Any("error", err))
		http.Error(w, i18n.T(lang, "page.error.internal.plain", nil), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(lang))
	// Pages depend on the language and, soon, on the session.
	h.Add("Vary", "Accept-Language, Cookie")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
