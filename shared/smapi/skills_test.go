package smapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/smapi"
	"github.com/jokebox/jokebox/shared/smapi/smapitest"
)

const skillJSON = `{"manifest":{"publishingInformation":{"locales":{"en-US":{"name":"joke box"},"es-ES":{"name":"caja de chistes"}}},
"apis":{"custom":{"interfaces":[{"type":"AUDIO_PLAYER"}]}},"manifestVersion":"1.0"}}`

// newClient is an SMAPI client pointed at the fake through the ASK_*
// variables, as the commands build it.
func newClient(t *testing.T, f *smapitest.Server) *smapi.Client {
	t.Helper()
	env := f.Env()
	ask, err := config.LoadASK(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return &smapi.Client{
		Tokens:       &smapi.TokenSource{Credentials: smapi.Credentials{ClientID: ask.ClientID, ClientSecret: ask.ClientSecret, RefreshToken: ask.RefreshToken}, TokenURL: ask.TokenURL},
		BaseURL:      ask.SMAPIURL,
		PollInterval: time.Millisecond,
		BackoffBase:  time.Millisecond,
		BackoffMax:   5 * time.Millisecond,
	}
}

func TestSkillLifecycle(t *testing.T) {
	ctx := context.Background()
	f := smapitest.New(t)
	c := newClient(t, f)

	vs, err := c.Vendors(ctx)
	if err != nil || len(vs) != 1 || vs[0].ID != smapitest.VendorID || vs[0].Name != smapitest.VendorName {
		t.Fatalf("Vendors = %+v, %v; want the fake's one vendor", vs, err)
	}
	id, err := c.CreateSkill(ctx, vs[0].ID, []byte(skillJSON))
	if err != nil {
		t.Fatalf("CreateSkill: %v", err)
	}
	var seen []string
	if err := c.WaitSkill(ctx, id, func(s string) { seen = append(seen, s) }); err != nil {
		t.Fatalf("WaitSkill: %v", err)
	}
	if strings.Join(seen, ",") != "IN_PROGRESS,SUCCEEDED" {
		t.Errorf("WaitSkill progress = %v; want IN_PROGRESS then SUCCEEDED", seen)
	}
	doc, err := c.GetManifest(ctx, id, smapi.StageDevelopment)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	json.Unmarshal(doc, &got)
	json.Unmarshal([]byte(skillJSON), &want)
	if gb, _ := json.Marshal(got); string(gb) != mustCompact(t, skillJSON) {
		t.Errorf("manifest after create = %s; want %s", gb, mustCompact(t, skillJSON))
	}
	doc, err = smapi.SetEndpointURI(doc, "arn:aws:lambda:us-east-1:123456789012:function:jokebox-dev-skill:live")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutManifest(ctx, id, smapi.StageDevelopment, doc); err != nil {
		t.Fatalf("PutManifest: %v", err)
	}
	if on, err := c.TestingEnabled(ctx, id, smapi.StageDevelopment); err != nil || on {
		t.Fatalf("TestingEnabled before = %v, %v; want false", on, err)
	}
	if err := c.SetTestingEnabled(ctx, id, smapi.StageDevelopment); err != nil {
		t.Fatalf("SetTestingEnabled: %v", err)
	}
	if on, err := c.TestingEnabled(ctx, id, smapi.StageDevelopment); err != nil || !on {
		t.Fatalf("TestingEnabled after = %v, %v; want true", on, err)
	}
	model := []byte(`{"interactionModel":{"languageModel":{"invocationName":"joke box","intents":[]}}}`)
	if err := c.PutInteractionModel(ctx, id, smapi.StageDevelopment, "en-US", model); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitModelBuild(ctx, id, []string{"en-US"}, nil); err != nil {
		t.Fatalf("WaitModelBuild: %v", err)
	}
	if m, err := c.GetInteractionModel(ctx, id, smapi.StageDevelopment, "en-US"); err != nil || string(m) != string(model) {
		t.Errorf("GetInteractionModel = %s, %v; want what was put", m, err)
	}
	if _, err := c.GetInteractionModel(ctx, id, smapi.StageDevelopment, "es-ES"); smapi.StatusCode(err) != http.StatusNotFound {
		t.Errorf("GetInteractionModel of a locale without a model: %v; want a 404", err)
	}
	list, err := c.ListSkills(ctx, smapitest.VendorID)
	if err != nil || len(list) != 1 || list[0].SkillID != id || list[0].NameByLocale["es-ES"] != "caja de chistes" {
		t.Errorf("ListSkills = %+v, %v", list, err)
	}
	w := f.Writes()
	for op, n := range map[string]int{"createSkillForVendorV1": 1, "updateSkillManifestV1": 1, "setSkillEnablementV1": 1, "setInteractionModelV1": 1} {
		if w[op] != n {
			t.Errorf("writes of %s = %d; want %d (all: %v)", op, w[op], n, w)
		}
	}
	if err := c.DeleteSkill(ctx, id); err != nil {
		t.Fatalf("DeleteSkill: %v", err)
	}
	if err := c.DeleteSkill(ctx, id); smapi.StatusCode(err) != http.StatusNotFound {
		t.Errorf("second DeleteSkill: %v; want a 404", err)
	}
	if len(f.Skills()) != 0 {
		t.Errorf("skills after delete: %+v", f.Skills())
	}
}

func mustCompact(t *testing.T, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSkillErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *smapitest.Server, c *smapi.Client) error
		want []string // substrings of the error
		code int
	}{
		{"another vendor's skill", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			id := f.AddSkill("M2OTHERVENDOR", []byte(skillJSON))
			_, err := c.GetManifest(ctx, id, smapi.StageDevelopment)
			return err
		}, []string{"HTTP 403", "not authorized"}, 403},
		{"another vendor's skill: enablement", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			id := f.AddSkill("M2OTHERVENDOR", []byte(skillJSON))
			_, err := c.TestingEnabled(ctx, id, smapi.StageDevelopment)
			return err
		}, []string{"HTTP 403"}, 403},
		{"create for another vendor", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			_, err := c.CreateSkill(ctx, "M2OTHERVENDOR", []byte(skillJSON))
			return err
		}, []string{"HTTP 403"}, 403},
		{"create without locales", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			_, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(`{"manifest":{"apis":{}}}`))
			return err
		}, []string{"HTTP 400", "locales"}, 400},
		{"create from a document without a manifest", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			_, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(`{"publishingInformation":{}}`))
			return err
		}, []string{`no "manifest" object`}, 0},
		{"creation failed", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			id, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(`{"manifest":{"publishingInformation":{"locales":{"en-US":{}}}}}`))
			if err != nil {
				return err
			}
			return c.WaitSkill(ctx, id, nil)
		}, []string{"failed", "MISSING_SKILL_NAME"}, 0},
		{"endpoint refused", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			f.SetEndpointCheck(func(skillID, uri string) error { return errors.New("the function does not allow skill " + skillID) })
			id, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(skillJSON))
			if err != nil {
				return err
			}
			if err := c.WaitSkill(ctx, id, nil); err != nil {
				return err
			}
			doc, _ := smapi.SetEndpointURI([]byte(skillJSON), "arn:aws:lambda:us-east-1:1:function:f")
			return c.PutManifest(ctx, id, smapi.StageDevelopment, doc)
		}, []string{"failed", "INVALID_ENDPOINT", "does not allow skill"}, 0},
		{"unknown skill", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			return c.WaitSkill(ctx, "amzn1.ask.skill.nope", nil)
		}, []string{"HTTP 404"}, 404},
		{"creation answered 500: not retried", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			f.Fail(smapitest.Fault{Operation: "createSkillForVendorV1", Status: 500, Applied: true})
			_, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(skillJSON))
			if n := f.Calls()["createSkillForVendorV1"]; n != 1 {
				t.Errorf("create calls = %d; want 1 (not retried)", n)
			}
			if !errors.Is(err, smapi.ErrMaybeCreated) {
				t.Errorf("err = %v; want ErrMaybeCreated", err)
			}
			return err
		}, []string{"may have been created", "list the vendor's skills", "HTTP 500"}, 500},
		{"creation answered 429: retried", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			f.Fail(smapitest.Fault{Operation: "createSkillForVendorV1", Status: 429, RetryAfter: "0"})
			_, err := c.CreateSkill(ctx, smapitest.VendorID, []byte(skillJSON))
			if n := f.Calls()["createSkillForVendorV1"]; n != 2 {
				t.Errorf("create calls = %d; want 2", n)
			}
			if len(f.Skills()) != 1 {
				t.Errorf("skills = %d; want 1", len(f.Skills()))
			}
			return err
		}, nil, 0},
		{"enablement 503 then ok: retried", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			id := f.AddSkill(smapitest.VendorID, []byte(skillJSON))
			f.Fail(smapitest.Fault{Operation: "setSkillEnablementV1", Status: 503, Times: 2})
			err := c.SetTestingEnabled(ctx, id, smapi.StageDevelopment)
			if n := f.Calls()["setSkillEnablementV1"]; n != 3 {
				t.Errorf("enablement calls = %d; want 3", n)
			}
			return err
		}, nil, 0},
		{"vendors 500 every time", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			f.Fail(smapitest.Fault{Operation: "getVendorListV1", Status: 500, Times: 100})
			_, err := c.Vendors(ctx)
			return err
		}, []string{"giving up after 5 attempts", "HTTP 500"}, 500},
		{"revoked refresh token", func(t *testing.T, f *smapitest.Server, c *smapi.Client) error {
			f.RevokeRefreshTokens()
			_, err := c.Vendors(ctx)
			if !errors.Is(err, smapi.ErrLWA) {
				t.Errorf("err = %v; want ErrLWA", err)
			}
			return err
		}, []string{"invalid_grant"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := smapitest.New(t)
			c := newClient(t, f)
			err := tt.run(t, f, c)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("err = %v; want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("err = nil; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q; want it to contain %q", err, w)
				}
			}
			if got := smapi.StatusCode(err); got != tt.code {
				t.Errorf("StatusCode(err) = %d; want %d", got, tt.code)
			}
			if strings.Contains(err.Error(), smapitest.ClientSecret) || strings.Contains(err.Error(), "Atzr|") || strings.Contains(err.Error(), "Atza|") {
				t.Errorf("err = %q shows a secret", err)
			}
		})
	}
}

// TestExpiredAccessTokenRefreshed: SMAPI's 401 to an expired access token
// makes the client fetch a new one and retry once.
func TestExpiredAccessTokenRefreshed(t *testing.T) {
	ctx := context.Background()
	f := smapitest.New(t)
	c := newClient(t, f)
	if _, err := c.Vendors(ctx); err != nil {
		t.Fatal(err)
	}
	f.ExpireAccessTokens()
	if _, err := c.Vendors(ctx); err != nil {
		t.Fatalf("Vendors after the access token expired: %v", err)
	}
	if _, access := f.Tokens(); access != 2 {
		t.Errorf("access tokens issued = %d; want 2", access)
	}
}

// TestScopesEnforced: a token without the test scope cannot enable a
// skill, one without the models scope cannot upload a model.
func TestScopesEnforced(t *testing.T) {
	ctx := context.Background()
	f := smapitest.New(t)
	id := f.AddSkill(smapitest.VendorID, []byte(skillJSON))
	c := &smapi.Client{
		Tokens:  &smapi.TokenSource{Credentials: smapi.Credentials{ClientID: smapitest.ClientID, ClientSecret: smapitest.ClientSecret, RefreshToken: f.RefreshToken(smapitest.ScopeSkills)}, TokenURL: f.LWAURL + config.LWATokenPath},
		BaseURL: f.SMAPIURL,
	}
	if err := c.SetTestingEnabled(ctx, id, smapi.StageDevelopment); smapi.StatusCode(err) != 401 || !strings.Contains(err.Error(), smapitest.ScopeSkillsTest) {
		t.Errorf("enablement without %s: %v; want a 401 naming it", smapitest.ScopeSkillsTest, err)
	}
	if err := c.PutInteractionModel(ctx, id, smapi.StageDevelopment, "en-US", []byte(`{"interactionModel":{"languageModel":{"invocationName":"x"}}}`)); smapi.StatusCode(err) != 401 {
		t.Errorf("model upload without %s: %v; want a 401", smapitest.ScopeModels, err)
	}
	if _, err := c.Vendors(ctx); err != nil {
		t.Errorf("vendors with %s: %v", smapitest.ScopeSkills, err)
	}
}

// TestListSkillsPages: ListSkills follows nextToken over every page.
func TestListSkillsPages(t *testing.T) {
	f := smapitest.New(t)
	c := newClient(t, f)
	want := map[string]bool{}
	for range 51 {
		want[f.AddSkill(smapitest.VendorID, []byte(skillJSON))] = true
	}
	f.AddSkill("M2OTHERVENDOR", []byte(skillJSON))
	got, err := c.ListSkills(context.Background(), smapitest.VendorID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if !want[s.SkillID] {
			t.Errorf("listed %s, not a skill of the vendor", s.SkillID)
		}
		delete(want, s.SkillID)
	}
	if len(want) > 0 || len(got) != 51 {
		t.Errorf("listed %d skills, %d missing; want 51", len(got), len(want))
	}
	if n := f.Calls()["listSkillsForVendorV1"]; n != 2 {
		t.Errorf("list calls = %d; want 2 pages", n)
	}
}
