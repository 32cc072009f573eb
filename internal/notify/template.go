package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// Source is the text of one event's templates in one language. Subject and
// Text are the email subject and plain-text body, also the inbox title and
// body; the HTML part of an email is Text laid out by the shared layout
// (escaped: variables never inject markup). SMS is the local rendering of
// the provider template — what the sandbox outbox and previews show — and
// SMSParams names, in order, the variables sent to the provider (Tencent
// takes them by position, Aliyun by name).
type Source struct {
	Subject   string
	Text      string
	SMS       string
	SMSParams []string
}

type compiled struct {
	subject, text, sms *template.Template
	smsParams          []string
}

type tkey struct {
	ev   Event
	lang Lang
}

// Catalog holds the parsed, checked templates of every event in every
// language. It is immutable and safe for concurrent use.
type Catalog struct {
	tmpls map[tkey]compiled
}

// DefaultSources are the shipped templates (templates_zh.go,
// templates_en.go).
func DefaultSources() map[Event]map[Lang]Source {
	out := map[Event]map[Lang]Source{}
	for ev, s := range zhSources {
		out[ev] = map[Lang]Source{ZhCN: s}
	}
	for ev, s := range enSources {
		if out[ev] == nil {
			out[ev] = map[Lang]Source{}
		}
		out[ev][En] = s
	}
	return out
}

// NewCatalog parses and checks templates: every catalogued event has every
// language; each template parses, refers only to the event's declared
// variables (a reference to anything else is an error here, at start-up,
// not a blank in a customer's SMS), the SMS text refers only to its
// SMSParams, and each renders with the event's sample values. All problems
// are reported together.
func NewCatalog(sources map[Event]map[Lang]Source) (*Catalog, error) {
	c := &Catalog{tmpls: map[tkey]compiled{}}
	var probs []string
	for _, spec := range Specs {
		for _, lang := range Langs {
			src, ok := sources[spec.Event][lang]
			if !ok {
				probs = append(probs, fmt.Sprintf("%s/%s: no template", spec.Event, lang))
				continue
			}
			ct, err := compile(spec, lang, src)
			if err != nil {
				probs = append(probs, err.Error())
				continue
			}
			c.tmpls[tkey{spec.Event, lang}] = ct
		}
	}
	for ev := range sources {
		if _, ok := SpecOf(ev); !ok {
			probs = append(probs, fmt.Sprintf("template for unknown event %q", ev))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return nil, fmt.Errorf("notification templates: %s", strings.Join(probs, "; "))
	}
	for _, spec := range Specs {
		for _, lang := range Langs {
			if _, err := c.Render(spec.Event, lang, spec.Sample, RenderOptions{Brand: "yuanxu", UnsubscribeURL: "https://example.invalid/u"}); err != nil {
				probs = append(probs, fmt.Sprintf("%s/%s: sample does not render: %v", spec.Event, lang, err))
			}
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("notification templates: %s", strings.Join(probs, "; "))
	}
	return c, nil
}

// DefaultCatalog is NewCatalog(DefaultSources()).
func DefaultCatalog() (*Catalog, error) { return NewCatalog(DefaultSources()) }

func compile(spec EventSpec, lang Lang, src Source) (compiled, error) {
	name := fmt.Sprintf("%s/%s", spec.Event, lang)
	var ct compiled
	parts := []struct {
		part  string
		text  string
		dst   **template.Template
		allow []string
	}{
		{"subject", src.Subject, &ct.subject, spec.Vars},
		{"text", src.Text, &ct.text, spec.Vars},
		{"sms", src.SMS, &ct.sms, src.SMSParams},
	}
	for _, p := range parts {
		if strings.TrimSpace(p.text) == "" {
			return ct, fmt.Errorf("%s: %s is empty", name, p.part)
		}
		t, perr := template.New(name + "/" + p.part).Option("missingkey=error").Parse(p.text)
		if perr != nil {
			return ct, fmt.Errorf("%s: %s: %v", name, p.part, perr)
		}
		for _, f := range fields(t.Tree.Root) {
			if !slices.Contains(p.allow, f) {
				return ct, fmt.Errorf("%s: %s refers to {{.%s}}, which is not a declared variable %v", name, p.part, f, p.allow)
			}
		}
		*p.dst = t
	}
	for _, v := range src.SMSParams {
		if !slices.Contains(spec.Vars, v) {
			return ct, fmt.Errorf("%s: sms parameter %q is not a declared variable", name, v)
		}
	}
	ct.smsParams = src.SMSParams
	return ct, nil
}

// fields lists the variable names a template refers to ({{.name}}), and
// reports anything other than plain field references as the pseudo-name
// of its node type so that it fails the check.
func fields(n parse.Node) []string {
	var out []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case nil:
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.TextNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.DotNode, *parse.NilNode:
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, x.Ident[0])
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.IdentifierNode:
			// functions such as "eq" are allowed; their arguments are walked.
		default:
			out = append(out, fmt.Sprintf("<%T>", n))
		}
	}
	walk(n)
	return out
}

// RenderOptions are the per-installation and per-recipient parts of a
// rendering.
type RenderOptions struct {
	Brand string // who sends, in the footer ("元序 yuanxu")
	// UnsubscribeURL is shown in marketing mail and sent as
	// List-Unsubscribe; ignored for other categories.
	UnsubscribeURL string
	// TextOnly renders the subject and the text alone, as the in-app
	// inbox shows them: Rendered's HTML, SMS and SMSParams stay empty.
	// The variables are checked all the same.
	TextOnly bool
}

// Rendered is a notification rendered for one language: everything every
// channel needs.
type Rendered struct {
	Event     Event
	Lang      Lang
	Category  Category
	Subject   string
	Text      string // plain-text email body and inbox body
	HTML      string // the HTML alternative of the email
	SMS       string // local rendering of the provider template
	SMSParams []Param
	// Unsubscribe is set for marketing only.
	Unsubscribe string
}

// Param is one SMS template parameter.
type Param struct {
	Name, Value string
}

// Render renders ev in lang with vars, which must match the event's
// declaration (CheckVars). lang "" means zh-CN.
func (c *Catalog) Render(ev Event, lang Lang, vars map[string]string, o RenderOptions) (Rendered, error) {
	if err := CheckVars(ev, vars); err != nil {
		return Rendered{}, err
	}
	if lang == "" {
		lang = ZhCN
	}
	ct, ok := c.tmpls[tkey{ev, lang}]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: no %s template for %s", ErrUnknownEvent, lang, ev)
	}
	spec, _ := SpecOf(ev)
	r := Rendered{Event: ev, Lang: lang, Category: spec.Category}
	var err error
	if r.Subject, err = exec(ct.subject, vars); err != nil {
		return r, err
	}
	if r.Text, err = exec(ct.text, vars); err != nil {
		return r, err
	}
	r.Subject = strings.Join(strings.Fields(r.Subject), " ") // one line, whatever a value held
	if o.TextOnly {
		return r, nil
	}
	if r.SMS, err = exec(ct.sms, vars); err != nil {
		return r, err
	}
	for _, p := range ct.smsParams {
		r.SMSParams = append(r.SMSParams, Param{Name: p, Value: vars[p]})
	}
	if spec.Category == Marketing {
		r.Unsubscribe = o.UnsubscribeURL
	}
	r.HTML, err = layoutHTML(r, o.Brand)
	return r, err
}

// RenderSMS renders only the SMS text of ev in lang from the SMS
// parameters (what a provider receives): the sandbox outbox shows it.
func (c *Catalog) RenderSMS(ev Event, lang Lang, params map[string]string) (string, error) {
	if lang == "" {
		lang = ZhCN
	}
	ct, ok := c.tmpls[tkey{ev, lang}]
	if !ok {
		return "", fmt.Errorf("%w: no %s template for %s", ErrUnknownEvent, lang, ev)
	}
	return exec(ct.sms, params)
}

// SMSParamNames returns the names of ev's SMS parameters in lang, in
// provider order.
func (c *Catalog) SMSParamNames(ev Event, lang Lang) []string {
	return slices.Clone(c.tmpls[tkey{ev, lang}].smsParams)
}

// Preview renders ev with its sample values (the console's preview page).
func (c *Catalog) Preview(ev Event, lang Lang, o RenderOptions) (Rendered, error) {
	spec, ok := SpecOf(ev)
	if !ok {
		return Rendered{}, fmt.Errorf("%w: %q", ErrUnknownEvent, ev)
	}
	return c.Render(ev, lang, spec.Sample, o)
}

func exec(t *template.Template, vars map[string]string) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

var htmlLayout = htmltemplate.Must(htmltemplate.New("layout").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:-apple-system,'PingFang SC','Noto Sans CJK SC',sans-serif;line-height:1.6;color:#1f2328;max-width:640px;margin:0 auto;padding:16px">
<h1 style="font-size:20px">{{.Subject}}</h1>
{{range .Paragraphs}}<p>{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{end}}<hr style="border:none;border-top:1px solid #d0d7de">
<p style="color:#656d76;font-size:12px">{{.Footer}}{{if .Unsubscribe}} <a href="{{.Unsubscribe}}">{{.UnsubscribeLabel}}</a>{{end}}</p>
</body></html>`))

var footers = map[Lang][2]string{
	ZhCN: {"此消息由 %s 自动发送，请勿直接回复。", "退订"},
	En:   {"This message was sent automatically by %s; please do not reply.", "Unsubscribe"},
}

func layoutHTML(r Rendered, brand string) (string, error) {
	if brand == "" {
		brand = "yuanxu"
	}
	var paras [][]string
	for _, p := range strings.Split(r.Text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, strings.Split(p, "\n"))
		}
	}
	f := footers[r.Lang]
	var b bytes.Buffer
	err := htmlLayout.Execute(&b, map[string]any{
		"Lang": string(r.Lang), "Subject": r.Subject, "Paragraphs": paras,
		"Footer": fmt.Sprintf(f[0], brand), "Unsubscribe": r.Unsubscribe, "UnsubscribeLabel": f[1],
	})
	return b.String(), err
}
