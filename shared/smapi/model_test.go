package smapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// smapiModel is testdata/ask-smapi-model.json: the operations jokebox
// calls, excerpted from the spec.json of Amazon's npm package
// ask-smapi-model, with their documented status codes, headers and
// top-level field names, and the enums of the statuses jokebox reads.
type smapiModel struct {
	Package    string              `json:"package"`
	Version    string              `json:"version"`
	Operations []modelOperation    `json:"operations"`
	Enums      map[string][]string `json:"enums"`
}

type modelOperation struct {
	Name          string                   `json:"name"`
	Method        string                   `json:"method"`
	Path          string                   `json:"path"`
	Query         []string                 `json:"query"`
	RequestFields []string                 `json:"requestFields"`
	Responses     map[string]modelResponse `json:"responses"`
}

type modelResponse struct {
	Headers []string `json:"headers"`
	Schema  string   `json:"schema"`
	Fields  []string `json:"fields"`
}

var (
	modelOnce sync.Once
	model     *smapiModel
	modelErr  error
)

func loadModel(t *testing.T) *smapiModel {
	t.Helper()
	modelOnce.Do(func() {
		b, err := os.ReadFile("testdata/ask-smapi-model.json")
		if err != nil {
			modelErr = err
			return
		}
		model = &smapiModel{}
		modelErr = json.Unmarshal(b, model)
	})
	if modelErr != nil {
		t.Fatalf("read the SMAPI model excerpt: %v", modelErr)
	}
	return model
}

// operation returns the operation whose method and path template match.
func (m *smapiModel) operation(method, path string) *modelOperation {
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

// check lists how a request and the answer a fake gave differ from the
// model: an unknown operation or query parameter, a request field the
// operation does not take, an undocumented status code, a documented
// success header missing, or an answer field the schema does not have.
func (m *smapiModel) check(r *http.Request, reqBody []byte, status int, h http.Header, respBody []byte) []string {
	op := m.operation(r.Method, r.URL.Path)
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
		if resp.Schema == "" && len(bytes.TrimSpace(respBody)) > 0 {
			bad("answer %d has a body; the model documents none", status)
		}
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
	return keys
}

// TestModelExcerpt checks the vendored excerpt itself and the statuses this
// package knows against the model's enums: a status outside them stops a
// poll, so they must be exactly the model's.
func TestModelExcerpt(t *testing.T) {
	m := loadModel(t)
	if m.Package != "ask-smapi-model" || m.Version == "" || len(m.Operations) == 0 {
		t.Fatalf("excerpt: package %q version %q, %d operations", m.Package, m.Version, len(m.Operations))
	}
	for _, op := range m.Operations {
		if op.Name == "" || len(op.Responses) == 0 {
			t.Errorf("operation %s %s: name %q, %d responses", op.Method, op.Path, op.Name, len(op.Responses))
		}
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for enum, ours := range map[string][]string{
		"v1.skill.Status": resourceStatuses,
		"v1.skill.validations.ValidationsApiResponseStatus": validationStatuses,
		"v1.skill.certification.CertificationStatus":        certificationStatuses,
		"v1.skill.PublicationMethod":                        {AutoPublishing, ManualPublishing},
	} {
		if got, want := sorted(ours), sorted(m.Enums[enum]); !slices.Equal(got, want) {
			t.Errorf("%s: ours %v; the model's %v", enum, got, want)
		}
	}
	// The submission answers 202 with a Location whose shape the model
	// does not document: the certifications list is the documented way.
	if op := m.operation("POST", "/v1/skills/x/submit"); op == nil || !slices.Contains(op.Responses["202"].Headers, "Location") {
		t.Errorf("submit operation: %+v; want a 202 with Location", op)
	}
	if op := m.operation("GET", "/v1/skills/x/certifications"); op == nil || !slices.Contains(op.Responses["200"].Fields, "items") {
		t.Errorf("certifications list operation: %+v; want a 200 with items", op)
	}
}

// TestModelCheckCatchesDrift makes sure the check the fakes run under can
// fail: answers that break the model one way each.
func TestModelCheckCatchesDrift(t *testing.T) {
	m := loadModel(t)
	req := func(method, target, body string) *http.Request {
		r, _ := http.NewRequest(method, "http://smapi"+target, strings.NewReader(body))
		return r
	}
	tests := []struct {
		name   string
		r      *http.Request
		body   string
		status int
		header http.Header
		resp   string
		want   string
	}{
		{"unknown path", req("GET", "/v1/skills/s/nowhere", ""), "", 200, nil, "", "matches no operation"},
		{"unknown query", req("GET", "/v1/skills/s/status?resources=x", ""), "", 200, http.Header{"Content-Type": {"application/json"}}, `{}`, `query parameter "resources"`},
		{"submit answered 200", req("POST", "/v1/skills/s/submit", ""), "", 200, nil, "", "status 200 is not documented"},
		{"submit without Location", req("POST", "/v1/skills/s/submit", ""), "", 202, nil, "", "lacks the documented header Location"},
		{"unknown request field", req("POST", "/v1/skills/s/submit", `{"method":"AUTO"}`), `{"method":"AUTO"}`, 202, http.Header{"Location": {"/x"}}, "", `request field "method"`},
		{"unknown answer field", req("GET", "/v1/skills/s/certifications/c", ""), "", 200, http.Header{"Content-Type": {"application/json"}}, `{"id":"c","state":"IN_PROGRESS"}`, `field "state"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(m.check(tt.r, []byte(tt.body), tt.status, tt.header, []byte(tt.resp)), "; ")
			if !strings.Contains(got, tt.want) {
				t.Errorf("check = %q; want %q", got, tt.want)
			}
		})
	}
	ok := req("GET", "/v1/skills/s/certifications/c", "")
	if p := m.check(ok, nil, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":"c","status":"IN_PROGRESS","skillSubmissionTimestamp":"2026-01-01T00:00:00Z"}`)); len(p) > 0 {
		t.Errorf("check of a conforming answer = %q; want none", p)
	}
}
