package smapitest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// modelJSON is the excerpt of ask-smapi-model's spec.json the fakes answer
// by. TestExcerptMatchesPackage regenerates it from node_modules.
//
//go:embed ask-smapi-model.json
var modelJSON []byte

// Model is ask-smapi-model.json: the operations jokebox calls, excerpted
// from the spec.json of Amazon's npm package ask-smapi-model, with their
// documented status codes, headers and top-level field names, and the
// enums of the statuses jokebox reads.
type Model struct {
	Source     string              `json:"source"`
	Package    string              `json:"package"`
	Version    string              `json:"version"`
	Operations []Operation         `json:"operations"`
	Enums      map[string][]string `json:"enums"`
}

// Operation is one SMAPI operation of the model.
type Operation struct {
	Name          string              `json:"name"`
	Method        string              `json:"method"`
	Path          string              `json:"path"`
	Query         []string            `json:"query,omitempty"`
	RequestSchema string              `json:"requestSchema,omitempty"`
	RequestFields []string            `json:"requestFields,omitempty"`
	Responses     map[string]Response `json:"responses"`
}

// Response is one documented answer of an operation.
type Response struct {
	Headers []string `json:"headers,omitempty"`
	Schema  string   `json:"schema,omitempty"`
	Fields  []string `json:"fields,omitempty"`
}

var (
	modelOnce sync.Once
	model     *Model
)

// LoadModel returns the embedded model excerpt.
func LoadModel() *Model {
	modelOnce.Do(func() {
		model = &Model{}
		if err := json.Unmarshal(modelJSON, model); err != nil {
			panic("smapitest: the embedded ask-smapi-model.json is malformed: " + err.Error())
		}
	})
	return model
}

// Operation returns the operation whose method and path template match, or
// nil.
func (m *Model) Operation(method, path string) *Operation {
	segs := strings.Split(path, "/")
	for i, op := range m.Operations {
		tmpl := strings.Split(op.Path, "/")
		if op.Method != method || len(tmpl) != len(segs) {
			continue
		}
		ok := true
		for j, s := range tmpl {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				ok = ok && segs[j] != ""
			} else {
				ok = ok && s == segs[j]
			}
		}
		if ok {
			return &m.Operations[i]
		}
	}
	return nil
}

// Named returns the operation called name, or nil.
func (m *Model) Named(name string) *Operation {
	for i := range m.Operations {
		if m.Operations[i].Name == name {
			return &m.Operations[i]
		}
	}
	return nil
}

// Check lists how a request and the answer a fake gave differ from the
// model: an unknown operation or query parameter, a request field the
// operation does not take, an undocumented status code, a documented
// success header missing, a body on an answer documented without one, or
// an answer field the schema does not have.
func (m *Model) Check(r *http.Request, reqBody []byte, status int, h http.Header, respBody []byte) []string {
	op := m.Operation(r.Method, r.URL.Path)
	if op == nil {
		return []string{fmt.Sprintf("%s %s matches no operation of %s %s", r.Method, r.URL.Path, m.Package, m.Version)}
	}
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, op.Name+": "+fmt.Sprintf(format, args...))
	}
	for q := range r.URL.Query() {
		if !slices.Contains(op.Query, q) {
			bad("query parameter %q is not in the model (%v)", q, op.Query)
		}
	}
	if op.RequestSchema == "" && len(bytes.TrimSpace(reqBody)) > 0 {
		bad("the request has a body; the model documents none")
	}
	for _, f := range fieldsOf(reqBody, bad, "request") {
		if !slices.Contains(op.RequestFields, f) {
			bad("request field %q is not in the model (%v)", f, op.RequestFields)
		}
	}
	resp, ok := op.Responses[fmt.Sprint(status)]
	if !ok {
		var codes []string
		for c := range op.Responses {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		bad("status %d is not documented (%v)", status, codes)
		return problems
	}
	if status < 300 {
		for _, name := range resp.Headers {
			if name != "Content-Language" && h.Get(name) == "" {
				bad("answer %d lacks the documented header %s", status, name)
			}
		}
	}
	if resp.Schema == "" && len(bytes.TrimSpace(respBody)) > 0 {
		bad("answer %d has a body; the model documents none", status)
	}
	for _, f := range fieldsOf(respBody, bad, "answer") {
		if !slices.Contains(resp.Fields, f) {
			bad("answer %d field %q is not in %s (%v)", status, f, resp.Schema, resp.Fields)
		}
	}
	return problems
}

// fieldsOf returns the top-level keys of a JSON object body, none for an
// empty body.
func fieldsOf(body []byte, bad func(string, ...any), what string) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		bad("%s body is not a JSON object: %.60q", what, body)
		return nil
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
