package smapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// change is the state of a skill's creation, manifest update or model
// build as the status operation reports it.
type change struct {
	status  string // IN_PROGRESS, SUCCEEDED or FAILED
	pending int    // polls left IN_PROGRESS
	final   string // the status after the pending polls
	errors  []map[string]string
}

// skill is a skill the fake holds.
type skill struct {
	id, vendor string
	// manifest is the development stage's manifest object (without the
	// {"manifest": …} envelope).
	manifest json.RawMessage
	etag     int
	update   *change
	models   map[string]json.RawMessage // locale → {"interactionModel": …}
	builds   map[string]*change
	modelTag map[string]int
	enabled  map[string]bool // stage → enabled for the account
}

// Skill is what a test may read of a skill the fake holds.
type Skill struct {
	ID       string
	VendorID string
	// Manifest is the development stage's manifest document,
	// {"manifest": {...}}.
	Manifest []byte
	// Models maps each locale to its uploaded interaction model document.
	Models map[string][]byte
	// Enabled maps each stage to whether the skill is enabled there for
	// the account.
	Enabled map[string]bool
}

// Skills returns the skills the fake holds, in creation order.
func (s *Server) Skills() []Skill {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Skill
	for _, id := range s.order {
		k := s.skills[id]
		if k == nil {
			continue
		}
		x := Skill{ID: k.id, VendorID: k.vendor, Models: map[string][]byte{}, Enabled: map[string]bool{}}
		x.Manifest, _ = json.Marshal(map[string]json.RawMessage{"manifest": k.manifest})
		for l, m := range k.models {
			x.Models[l] = slices.Clone(m)
		}
		for st, e := range k.enabled {
			x.Enabled[st] = e
		}
		out = append(out, x)
	}
	return out
}

// Skill returns one skill, false if the fake holds none with that ID.
func (s *Server) Skill(id string) (Skill, bool) {
	for _, k := range s.Skills() {
		if k.ID == id {
			return k, true
		}
	}
	return Skill{}, false
}

// AddSkill adds a skill of vendorID (another vendor's, say) with the
// manifest document doc ({"manifest": {...}}), already built, and returns
// its ID.
func (s *Server) AddSkill(vendorID string, doc []byte) string {
	var env struct {
		Manifest json.RawMessage `json:"manifest"`
	}
	if err := json.Unmarshal(doc, &env); err != nil || env.Manifest == nil {
		s.t.Fatalf("smapitest.AddSkill: the document is not {\"manifest\": {...}}: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.newSkill(vendorID, env.Manifest)
	k.update = &change{status: "SUCCEEDED", final: "SUCCEEDED"}
	return k.id
}

func (s *Server) newSkill(vendor string, manifest json.RawMessage) *skill {
	k := &skill{
		id: "amzn1.ask.skill." + uuidish(s.newID("")), vendor: vendor, manifest: manifest, etag: 1,
		models: map[string]json.RawMessage{}, builds: map[string]*change{}, modelTag: map[string]int{}, enabled: map[string]bool{},
	}
	s.skills[k.id] = k
	s.order = append(s.order, k.id)
	return k
}

// uuidish shapes 24 hex digits like the tail of a skill ID.
func uuidish(h string) string {
	h = (h + strings.Repeat("0", 32))[:32]
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// answer is what a handler decided: a status, headers and a JSON body.
type answer struct {
	status int
	header http.Header
	body   any // nil: no body
}

func (s *Server) serveSMAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	op := s.model.Operation(r.Method, r.URL.Path)
	rec := httptest.NewRecorder()
	if op == nil {
		s.t.Errorf("fake SMAPI: %s %s is no operation of %s %s", r.Method, r.URL.Path, s.model.Package, s.model.Version)
		http.NotFound(w, r)
		return
	}
	a := s.handle(op, r, body)
	for k, v := range a.header {
		for _, x := range v {
			rec.Header().Add(k, x) // canonical names: ETag is sent as Etag
		}
	}
	var out []byte
	if a.body != nil {
		rec.Header().Set("Content-Type", "application/json")
		out, _ = json.Marshal(a.body)
	}
	rec.WriteHeader(a.status)
	rec.Write(out)
	for _, p := range s.model.Check(r, body, rec.Code, rec.Header(), rec.Body.Bytes()) {
		s.t.Errorf("fake SMAPI outside the model: %s", p)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// errorAnswer is an error answer in the shape the model documents for
// op's status: v1.BadRequestError {message, violations} or a
// v1.Error / v1.skill.StandardizedError {code, message}.
func (s *Server) errorAnswer(op *Operation, status int, code, msg string) answer {
	a := answer{status: status, header: http.Header{}}
	if status == http.StatusUnauthorized {
		a.header.Set("WWW-Authenticate", `Bearer realm="smapitest"`)
	}
	if op.Responses[strconv.Itoa(status)].Schema == "v1.BadRequestError" {
		a.body = map[string]any{"message": msg, "violations": []map[string]string{{"code": code, "message": msg}}}
	} else {
		a.body = map[string]string{"code": code, "message": msg}
	}
	return a
}

// scopeOf is the scope an operation needs.
func scopeOf(op *Operation) string {
	switch {
	case strings.Contains(op.Path, "/interactionModel/"):
		return ScopeModels
	case strings.HasSuffix(op.Path, "/enablement"):
		return ScopeSkillsTest
	default:
		return ScopeSkills
	}
}

func (s *Server) handle(op *Operation, r *http.Request, body []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op.Name]++
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g := s.access[tok]
	switch {
	case !ok || tok == "":
		return s.errorAnswer(op, 401, "UNAUTHORIZED", "no bearer token")
	case g == nil || !s.now().Before(g.expires):
		return s.errorAnswer(op, 401, "UNAUTHORIZED", "The auth token is invalid or expired")
	case !g.has(scopeOf(op)):
		return s.errorAnswer(op, 401, "UNAUTHORIZED", "the token's scopes do not include "+scopeOf(op))
	}
	for i := range s.faults {
		f := &s.faults[i]
		if f.Times == 0 || f.Operation != "" && f.Operation != op.Name {
			continue
		}
		f.Times--
		if f.Applied {
			if a := s.dispatch(op, r, body); a.status < 300 && r.Method != http.MethodGet {
				s.writes[op.Name]++
			}
		}
		a := s.errorAnswer(op, f.Status, "INJECTED_FAULT", fmt.Sprintf("smapitest: injected HTTP %d", f.Status))
		if f.RetryAfter != "" {
			a.header.Set("Retry-After", f.RetryAfter)
		}
		return a
	}
	a := s.dispatch(op, r, body)
	if a.status < 300 && r.Method != http.MethodGet {
		s.writes[op.Name]++
	}
	return a
}

// segments splits a request path: /v1/skills/{id}/stages/{stage}/… .
func segments(r *http.Request) []string {
	var out []string
	for _, p := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			u = p
		}
		out = append(out, u)
	}
	return out
}

// owned finds a skill the caller may use: 404 if there is none, 403 if it
// belongs to a vendor not of the account.
func (s *Server) owned(op *Operation, id string) (*skill, *answer) {
	k := s.skills[id]
	if k == nil {
		a := s.errorAnswer(op, 404, "RESOURCE_NOT_FOUND", fmt.Sprintf("The skill %s does not exist", id))
		return nil, &a
	}
	if !s.isVendor(k.vendor) {
		a := s.errorAnswer(op, 403, "ACCESS_DENIED", "You are not authorized to access skill "+id)
		return nil, &a
	}
	return k, nil
}

func (s *Server) isVendor(id string) bool {
	return slices.ContainsFunc(s.vendors, func(v Vendor) bool { return v.ID == id })
}

func (s *Server) dispatch(op *Operation, r *http.Request, body []byte) answer {
	seg := segments(r)
	ok := func(status int, h http.Header, b any) answer { return answer{status: status, header: h, body: b} }
	switch op.Name {
	case "getVendorListV1":
		return ok(200, nil, map[string]any{"vendors": s.vendors})
	case "createSkillForVendorV1":
		var req struct {
			VendorID string          `json:"vendorId"`
			Manifest json.RawMessage `json:"manifest"`
		}
		if json.Unmarshal(body, &req) != nil {
			return s.errorAnswer(op, 400, "INVALID_REQUEST_BODY", "the request body is not valid JSON")
		}
		if req.VendorID == "" {
			return s.errorAnswer(op, 400, "MISSING_PARAMETER", "vendorId is required")
		}
		if !s.isVendor(req.VendorID) {
			return s.errorAnswer(op, 403, "ACCESS_DENIED", "You are not authorized to create skills for vendor "+req.VendorID)
		}
		if msg := manifestProblem(req.Manifest); msg != "" {
			return s.errorAnswer(op, 400, "INVALID_MANIFEST", msg)
		}
		k := s.newSkill(req.VendorID, req.Manifest)
		k.update = s.startChange(s.asyncProblems(k))
		h := http.Header{"Location": {"/v1/skills/" + k.id + "/status?resource=manifest"}}
		return ok(202, h, map[string]string{"skillId": k.id})
	case "listSkillsForVendorV1":
		return s.listSkills(op, r)
	case "deleteSkillV1":
		k, a := s.owned(op, seg[2])
		if a != nil {
			return *a
		}
		delete(s.skills, k.id)
		return ok(204, nil, nil)
	case "getSkillStatusV1":
		k, a := s.owned(op, seg[2])
		if a != nil {
			return *a
		}
		return ok(200, nil, s.status(k, r.URL.Query()["resource"]))
	}
	k, a := s.owned(op, seg[2])
	if a != nil {
		return *a
	}
	stage := seg[4]
	switch op.Name {
	case "getSkillManifestV1":
		if stage != "development" {
			return s.errorAnswer(op, 404, "RESOURCE_NOT_FOUND", "the skill has no "+stage+" stage")
		}
		h := http.Header{"ETag": {strconv.Itoa(k.etag)}}
		return ok(200, h, map[string]json.RawMessage{"manifest": k.manifest})
	case "updateSkillManifestV1":
		if stage != "development" {
			return s.errorAnswer(op, 403, "STAGE_NOT_EDITABLE", "only the development stage's manifest can be updated")
		}
		var req struct {
			Manifest json.RawMessage `json:"manifest"`
		}
		if json.Unmarshal(body, &req) != nil {
			return s.errorAnswer(op, 400, "INVALID_REQUEST_BODY", "the request body is not valid JSON")
		}
		if msg := manifestProblem(req.Manifest); msg != "" {
			return s.errorAnswer(op, 400, "INVALID_MANIFEST", msg)
		}
		if m := r.Header.Get("If-Match"); m != "" && m != strconv.Itoa(k.etag) {
			return s.errorAnswer(op, 412, "PRECONDITION_FAILED", "the manifest changed since eTag "+m)
		}
		if k.update != nil && k.update.status == "IN_PROGRESS" {
			return s.errorAnswer(op, 409, "CONFLICT", "a manifest update is in progress")
		}
		k.manifest = req.Manifest
		k.etag++
		k.update = s.startChange(s.asyncProblems(k))
		h := http.Header{"Location": {"/v1/skills/" + k.id + "/status?resource=manifest"}, "Content-Type": {"application/json"}}
		return answer{status: 202, header: h}
	case "getInteractionModelV1":
		m, found := k.models[seg[7]]
		if !found || stage != "development" {
			return s.errorAnswer(op, 404, "RESOURCE_NOT_FOUND", "no interaction model for locale "+seg[7])
		}
		var raw json.RawMessage = m
		return ok(200, http.Header{"ETag": {strconv.Itoa(k.modelTag[seg[7]])}}, raw)
	case "setInteractionModelV1":
		locale := seg[7]
		if stage != "development" {
			return s.errorAnswer(op, 403, "STAGE_NOT_EDITABLE", "only the development stage's models can be updated")
		}
		var req struct {
			InteractionModel *struct {
				LanguageModel *struct {
					InvocationName string `json:"invocationName"`
				} `json:"languageModel"`
			} `json:"interactionModel"`
		}
		if json.Unmarshal(body, &req) != nil || req.InteractionModel == nil || req.InteractionModel.LanguageModel == nil {
			return s.errorAnswer(op, 400, "INVALID_INTERACTION_MODEL", "the body is not {\"interactionModel\": {\"languageModel\": {...}}}")
		}
		if !manifestHasLocale(k.manifest, locale) {
			return s.errorAnswer(op, 404, "RESOURCE_NOT_FOUND", "the skill's manifest has no locale "+locale)
		}
		var problems []map[string]string
		if req.InteractionModel.LanguageModel.InvocationName == "" {
			problems = append(problems, map[string]string{"code": "INVALID_INVOCATION_NAME", "message": "the invocation name is empty"})
		}
		k.models[locale] = slices.Clone(body)
		k.modelTag[locale]++
		k.builds[locale] = s.startChange(problems)
		h := http.Header{"Location": {"/v1/skills/" + k.id + "/status?resource=interactionModel"}}
		return answer{status: 202, header: h}
	case "setSkillEnablementV1":
		if stage != "development" && stage != "live" {
			return s.errorAnswer(op, 400, "INVALID_STAGE", "stage must be development or live")
		}
		// One stage is enabled at a time for an account.
		k.enabled = map[string]bool{stage: true}
		return ok(204, http.Header{"Content-Type": {"application/json"}}, nil)
	case "getSkillEnablementStatusV1":
		if !k.enabled[stage] {
			return s.errorAnswer(op, 404, "RESOURCE_NOT_FOUND", "the skill is not enabled in "+stage)
		}
		return ok(204, http.Header{"Content-Type": {"application/json"}}, nil)
	}
	s.t.Errorf("fake SMAPI: operation %s is not implemented", op.Name)
	return s.errorAnswer(op, 500, "NOT_IMPLEMENTED", "smapitest does not implement "+op.Name)
}

// startChange begins an asynchronous change that fails with problems, if
// any, after the pending polls.
func (s *Server) startChange(problems []map[string]string) *change {
	c := &change{status: "IN_PROGRESS", pending: s.pendingPolls, final: "SUCCEEDED", errors: problems}
	if len(problems) > 0 {
		c.final = "FAILED"
	}
	if c.pending <= 0 {
		c.status = c.final
	}
	return c
}

// poll reports a change's status and moves it on by one poll.
func (c *change) poll() map[string]any {
	lur := map[string]any{"status": c.status}
	if c.status == "FAILED" {
		lur["errors"] = c.errors
	}
	if c.status == "IN_PROGRESS" {
		c.pending--
		if c.pending <= 0 {
			c.status = c.final
		}
	}
	return lur
}

func (s *Server) status(k *skill, resources []string) map[string]any {
	want := func(r string) bool { return len(resources) == 0 || slices.Contains(resources, r) }
	out := map[string]any{}
	if want("manifest") && k.update != nil {
		out["manifest"] = map[string]any{"lastUpdateRequest": k.update.poll(), "eTag": strconv.Itoa(k.etag)}
	}
	if want("interactionModel") && len(k.builds) > 0 {
		im := map[string]any{}
		for l, c := range k.builds {
			lur := c.poll()
			lur["buildDetails"] = map[string]any{"steps": []map[string]string{{"name": "LANGUAGE_MODEL_FULL_BUILD", "status": lur["status"].(string)}}}
			im[l] = map[string]any{"lastUpdateRequest": lur, "eTag": strconv.Itoa(k.modelTag[l])}
		}
		out["interactionModel"] = im
	}
	return out
}

func (s *Server) listSkills(op *Operation, r *http.Request) answer {
	q := r.URL.Query()
	vendor := q.Get("vendorId")
	if vendor == "" {
		return s.errorAnswer(op, 400, "MISSING_PARAMETER", "vendorId is required")
	}
	if !s.isVendor(vendor) {
		return s.errorAnswer(op, 400, "INVALID_VENDOR", "you are not a member of vendor "+vendor)
	}
	max := 50
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return s.errorAnswer(op, 400, "INVALID_PARAMETER", "maxResults must be 1 to 50")
		}
		max = n
	}
	var ids []string
	for _, id := range s.order {
		if k := s.skills[id]; k != nil && k.vendor == vendor {
			ids = append(ids, id)
		}
	}
	start := 0
	if t := q.Get("nextToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "page-"))
		if err != nil || n < 0 || n > len(ids) {
			return s.errorAnswer(op, 400, "INVALID_PARAMETER", "invalid nextToken")
		}
		start = n
	}
	end := min(start+max, len(ids))
	var skills []map[string]any
	for _, id := range ids[start:end] {
		skills = append(skills, map[string]any{"skillId": id, "stage": "development", "nameByLocale": namesOf(s.skills[id].manifest)})
	}
	out := map[string]any{"skills": skills, "isTruncated": end < len(ids)}
	if end < len(ids) {
		out["nextToken"] = fmt.Sprintf("page-%d", end)
	}
	return answer{status: 200, body: out}
}

// manifestDoc is the part of a manifest the fake reads.
type manifestDoc struct {
	PublishingInformation *struct {
		Locales map[string]struct {
			Name string `json:"name"`
		} `json:"locales"`
	} `json:"publishingInformation"`
	APIs *struct {
		Custom *struct {
			Endpoint *struct {
				URI string `json:"uri"`
			} `json:"endpoint"`
		} `json:"custom"`
	} `json:"apis"`
}

// manifestProblem is why SMAPI would refuse a manifest outright, "" if it
// would take it: it must be an object with at least one locale.
func manifestProblem(m json.RawMessage) string {
	if len(bytes.TrimSpace(m)) == 0 {
		return "manifest is required"
	}
	var d manifestDoc
	if err := json.Unmarshal(m, &d); err != nil {
		return "manifest is not an object"
	}
	if d.PublishingInformation == nil || len(d.PublishingInformation.Locales) == 0 {
		return "manifest.publishingInformation.locales must name at least one locale"
	}
	return ""
}

// asyncProblems are the errors a creation or an update reports when it
// ends: a locale without a name, or an endpoint the endpoint check refuses.
func (s *Server) asyncProblems(k *skill) []map[string]string {
	var d manifestDoc
	json.Unmarshal(k.manifest, &d)
	var out []map[string]string
	var locales []string
	for l := range d.PublishingInformation.Locales {
		locales = append(locales, l)
	}
	slices.Sort(locales)
	for _, l := range locales {
		if d.PublishingInformation.Locales[l].Name == "" {
			out = append(out, map[string]string{"code": "MISSING_SKILL_NAME", "message": "publishingInformation.locales." + l + ".name is required"})
		}
	}
	if d.APIs != nil && d.APIs.Custom != nil && d.APIs.Custom.Endpoint != nil && s.endpointCheck != nil {
		if err := s.endpointCheck(k.id, d.APIs.Custom.Endpoint.URI); err != nil {
			out = append(out, map[string]string{"code": "INVALID_ENDPOINT", "message": err.Error()})
		}
	}
	return out
}

func manifestHasLocale(m json.RawMessage, locale string) bool {
	var d manifestDoc
	if json.Unmarshal(m, &d) != nil || d.PublishingInformation == nil {
		return false
	}
	_, ok := d.PublishingInformation.Locales[locale]
	return ok
}

func namesOf(m json.RawMessage) map[string]string {
	var d manifestDoc
	out := map[string]string{}
	if json.Unmarshal(m, &d) == nil && d.PublishingInformation != nil {
		for l, v := range d.PublishingInformation.Locales {
			out[l] = v.Name
		}
	}
	return out
}
