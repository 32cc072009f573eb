package web_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"yuanxu/internal/webtest"
)

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Tags        []string                   `json:"tags"`
	RequestBody *openAPIBody               `json:"requestBody"`
	Responses   map[string]openAPIResponse `json:"responses"`
}

type openAPIBody struct {
	Content map[string]struct {
		Schema map[string]any `json:"schema"`
	} `json:"content"`
}

type openAPIResponse struct {
	Description string `json:"description"`
	openAPIBody
}

type openAPIDocument struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
	} `json:"components"`
	raw map[string]any
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func openAPIDoc(t *testing.T, s *webtest.Server) openAPIDocument {
	t.Helper()
	res := s.Do(t, "GET", "/api/v1/openapi.json", nil)
	doc := webtest.Decode[openAPIDocument](t, res, 200)
	if err := json.Unmarshal(res.Body, &doc.raw); err != nil {
		t.Fatal(err)
	}
	return doc
}

// operations returns the document's operations keyed "METHOD /path".
func (d openAPIDocument) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	ops := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for _, m := range httpMethods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return ops
}

// resolve follows a local JSON pointer ("#/components/schemas/X").
func (d openAPIDocument) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("non-local $ref %q", ref)
	}
	var cur any = d.raw
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve at %q", ref, tok)
		}
	}
	return cur, nil
}

// refs collects every $ref in v.
func refs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				*out = append(*out, s)
			}
			refs(e, out)
		}
	case []any:
		for _, e := range x {
			refs(e, out)
		}
	}
}

// checkExamples requires an example on every property of an object schema
// (following $refs), recursively.
func (d openAPIDocument) checkExamples(t *testing.T, where string, schema map[string]any, depth int) {
	t.Helper()
	if ref, ok := schema["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		schema, _ = target.(map[string]any)
	}
	props, _ := schema["properties"].(map[string]any)
	if depth > 5 || len(props) == 0 {
		return
	}
	for name, p := range props {
		ps, _ := p.(map[string]any)
		if ps["$ref"] != nil || ps["type"] == "object" {
			d.checkExamples(t, where+"."+name, ps, depth+1)
			continue
		}
		if items, ok := ps["items"].(map[string]any); ok && (items["$ref"] != nil || items["type"] == "object") {
			d.checkExamples(t, where+"."+name+"[]", items, depth+1)
			continue
		}
		if ps["examples"] == nil && ps["example"] == nil {
			t.Errorf("%s.%s has no example", where, name)
		}
	}
}

var openAPIVersion = regexp.MustCompile(`^3\.1\.\d+$`)

// TestOpenAPIDocumentIsValid checks the document structurally as OpenAPI
// 3.1: version, info, operations with ids, summaries, tags and responses,
// examples on every body, problem+json errors, security schemes, and every
// $ref resolving.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t, newSandbox(t))
	if !openAPIVersion.MatchString(doc.OpenAPI) {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info = %+v", doc.Info)
	}
	for _, name := range []string{"cookieAuth", "bearerAuth"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
	ops := doc.operations(t)
	if len(ops) == 0 {
		t.Fatal("no operations")
	}
	ids := map[string]string{}
	for key, op := range ops {
		if !strings.HasPrefix(strings.SplitN(key, " ", 2)[1], "/") {
			t.Errorf("%s: path does not start with /", key)
		}
		if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
			t.Errorf("%s: operationId %q, summary %q, tags %v", key, op.OperationID, op.Summary, op.Tags)
		}
		if other, dup := ids[op.OperationID]; dup {
			t.Errorf("operationId %q used by %s and %s", op.OperationID, other, key)
		}
		ids[op.OperationID] = key
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", key)
		}
		if op.RequestBody != nil {
			for ct, mt := range op.RequestBody.Content {
				doc.checkExamples(t, key+" request "+ct, mt.Schema, 0)
			}
		}
		for status, r := range op.Responses {
			if r.Description == "" {
				t.Errorf("%s %s: response without description", key, status)
			}
			code, _ := strconv.Atoi(status)
			for ct, mt := range r.Content {
				if (code >= 400 || status == "default") && ct != "application/problem+json" {
					t.Errorf("%s %s: error content type %s", key, status, ct)
				}
				doc.checkExamples(t, key+" "+status+" "+ct, mt.Schema, 0)
			}
		}
	}
	var all []string
	refs(doc.raw, &all)
	if len(all) == 0 {
		t.Error("no $refs at all: schemas are not shared")
	}
	for _, r := range all {
		if _, err := doc.resolve(r); err != nil {
			t.Error(err)
		}
	}
}

func TestOpenAPIListsSandboxRoutesInSandboxMode(t *testing.T) {
	t.Parallel()
	ops := openAPIDoc(t, newSandbox(t)).operations(t)
	for _, key := range []string{"GET /sandbox/clock", "POST /sandbox/clock", "GET /meta"} {
		if _, ok := ops[key]; !ok {
			t.Errorf("%s missing from the OpenAPI document", key)
		}
	}
}
