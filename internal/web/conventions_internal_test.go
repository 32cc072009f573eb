package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/danielgtaylor/huma/v2"
)

type numbersInput struct {
	ListParams
}

type numbersOutput struct {
	Body Page[int]
}

type numbersCursor struct {
	After int `json:"a"`
}

// A list operation built from ListParams, Page and the cursor helpers
// pages through 1..7 and answers problems for bad query parameters.
func TestListConventionsThroughHuma(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, false)
	register(s, huma.Operation{OperationID: "list-numbers", Method: http.MethodGet, Path: "/test/numbers",
		Summary: "Numbers", Tags: []string{"meta"}},
		func(_ context.Context, in *numbersInput) (*numbersOutput, error) {
			var c numbersCursor
			if in.Cursor != "" {
				if err := DecodeCursor(in.Cursor, &c); err != nil {
					return nil, err
				}
			}
			out := &numbersOutput{Body: Page[int]{Items: []int{}}}
			for n := c.After + 1; n <= 7 && len(out.Body.Items) < in.Limit; n++ {
				out.Body.Items = append(out.Body.Items, n)
			}
			if k := len(out.Body.Items); k > 0 && out.Body.Items[k-1] < 7 {
				out.Body.NextCursor, _ = EncodeCursor(numbersCursor{After: out.Body.Items[k-1]})
			}
			return out, nil
		})
	get := func(query string) (int, []byte) {
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, httptest.NewRequest("GET", APIPrefix+"/test/numbers"+query, nil))
		return rec.Code, rec.Body.Bytes()
	}
	var all []int
	cursor := ""
	for range 10 {
		q := "?limit=3"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		code, body := get(q)
		if code != 200 {
			t.Fatalf("page %q: %d %s", q, code, body)
		}
		var p Page[int]
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Items...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != 7 || all[0] != 1 || all[6] != 7 {
		t.Errorf("paged %v, want 1..7", all)
	}
	if code, body := get(""); code != 200 || len(body) == 0 {
		t.Errorf("default limit: %d %s", code, body)
	}
	tests := []struct {
		query  string
		status int
		code   string
		field  string
		rule   string
	}{
		{"?limit=abc", 400, CodeInvalidType, "query.limit", "parse"},
		{"?limit=1000", 422, CodeInvalid, "query.limit", "maximum"},
		{"?limit=0", 422, CodeInvalid, "query.limit", "minimum"},
		{"?cursor=!!", 400, CodeInvalidCursor, "query.cursor", "cursor"},
		{"?sort=-id", 400, CodeUnknownField, "query.sort", "unknown_field"},
	}
	for _, tt := range tests {
		code, body := get(tt.query)
		var p Problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s: %v: %s", tt.query, err, body)
		}
		if code != tt.status || p.Code != tt.code || len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Rule != tt.rule {
			t.Errorf("%s: %d %s %+v, want %d %s %s/%s", tt.query, code, p.Code, p.Errors, tt.status, tt.code, tt.field, tt.rule)
		}
		if p.Status != code {
			t.Errorf("%s: status field %d", tt.query, p.Status)
		}
	}
}
