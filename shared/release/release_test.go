package release

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/smapi"
)

// fakeSkill is an in-memory development-stage manifest with counters.
type fakeSkill struct {
	mu                         sync.Mutex
	doc                        []byte
	puts, validations, submits int
}

var _ SkillAPI = (*smapi.Client)(nil)

func newFakeSkill() *fakeSkill {
	return &fakeSkill{doc: []byte(`{"manifest":{"manifestVersion":"1.0","apis":{"custom":{"endpoint":{"uri":"arn:placeholder"},"interfaces":[{"type":"AUDIO_PLAYER"}]}}}}`)}
}

func (f *fakeSkill) GetManifest(ctx context.Context, skillID, stage string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.doc...), nil
}

func (f *fakeSkill) PutManifest(ctx context.Context, skillID, stage string, manifest []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !json.Valid(manifest) {
		return smapiErr("malformed manifest")
	}
	f.doc = manifest
	f.puts++
	return nil
}

func (f *fakeSkill) Validate(ctx context.Context, skillID, stage string, locales []string) (*smapi.Validation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validations++
	return &smapi.Validation{ID: "val-1", Status: smapi.ValidationSuccessful}, nil
}

func (f *fakeSkill) Submit(ctx context.Context, skillID, method string) (*smapi.Certification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits++
	return &smapi.Certification{ID: fmt.Sprint("c-", f.submits), Status: smapi.CertificationInProgress}, nil
}

func (f *fakeSkill) endpoint() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	uri, _ := smapi.EndpointURI(f.doc)
	return uri
}

type smapiErr string

func (e smapiErr) Error() string { return string(e) }

// forbidden fails the test on any Lambda call.
type forbidden struct {
	LambdaAPI
	t *testing.T
}

func (f forbidden) PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	f.t.Fatal("dry run called PublishVersion")
	return nil, nil
}

func (f forbidden) GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	f.t.Fatal("dry run called GetAlias")
	return nil, nil
}

func TestDryRun(t *testing.T) {
	tests := []struct {
		name string
		run  func(r *Releaser) error
		want []string
	}{
		{"release", func(r *Releaser) error { return r.Release(context.Background(), Options{}) }, []string{
			"release fn (dry run: nothing is called)",
			"  1/4 would publish a new version of fn",
			"  2/4 would point alias next at the new version",
			"  3/4 would let Alexa invoke alias next for skill amzn1.ask.skill.x",
			"  4/4 would set the development stage's endpoint to alias next",
		}},
		{"release --submit", func(r *Releaser) error { return r.Release(context.Background(), Options{Submit: true}) }, []string{
			"release fn for certification (dry run: nothing is called)",
			"  1/8 would publish a new version of fn",
			"  2/8 would point alias next at the new version",
			"  3/8 would let Alexa invoke alias next for skill amzn1.ask.skill.x",
			"  4/8 would check that alias live runs the new version",
			"  5/8 would let Alexa invoke alias live for skill amzn1.ask.skill.x",
			"  6/8 would set the development stage's endpoint to alias live for certification",
			"  7/8 would validate the development stage",
			"  8/8 would submit the skill for certification",
		}},
		{"promote", func(r *Releaser) error { return r.Promote(context.Background()) }, []string{
			"promote fn (dry run: nothing is called)",
			"  1/3 would read alias next",
			"  2/3 would point alias live at next's version",
			"  3/3 would let Alexa invoke alias live for skill amzn1.ask.skill.x",
		}},
		{"rollback", func(r *Releaser) error { return r.Rollback(context.Background()) }, []string{
			"rollback fn (dry run: nothing is called)",
			"  1/1 would point alias live back at its previous version",
		}},
		{"hotfix", func(r *Releaser) error { return r.Hotfix(context.Background()) }, []string{
			"hotfix fn (dry run: nothing is called)",
			"  1/4 would publish a new version of fn",
			"  2/4 would point alias live at the new version",
			"  3/4 would let Alexa invoke alias live for skill amzn1.ask.skill.x",
			"  4/4 would point alias next at the new version too, so a later promote keeps the fix",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			r := &Releaser{Lambda: forbidden{t: t}, Function: "fn", SkillID: "amzn1.ask.skill.x", Out: &out, DryRun: true}
			if err := tt.run(r); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("dry run output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingConfig(t *testing.T) {
	err := (&Releaser{}).Release(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "Lambda client, function name, skill ID, SMAPI client") {
		t.Errorf("Release with nothing set = %v; want every missing part named", err)
	}
}

func TestStatementID(t *testing.T) {
	tests := map[string]string{
		"amzn1.ask.skill.0f3c2a1b-1111-2222-3333-444455556666": "alexa-skill-0f3c2a1b-1111-2222-3333-444455556666",
		"plain":                         "alexa-skill-plain",
		"a.b/c d":                       "alexa-skill-b-c-d",
		"x." + strings.Repeat("z", 120): "alexa-skill-" + strings.Repeat("z", 80),
	}
	for in, want := range tests {
		if got := StatementID(in); got != want {
			t.Errorf("StatementID(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestDescription(t *testing.T) {
	tests := []struct {
		in   string
		want description
	}{
		{"jokebox previous=3", description{previous: "3"}},
		{"jokebox rolled-back-from=5", description{rolledBackFrom: "5"}},
		{"jokebox previous=x rolled-back-from=", description{}},
		{"", description{}},
	}
	for _, tt := range tests {
		if got := parseDescription(tt.in); got != tt.want {
			t.Errorf("parseDescription(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
		if tt.want != (description{}) {
			if got := parseDescription(tt.want.String()); got != tt.want {
				t.Errorf("round trip of %+v = %+v", tt.want, got)
			}
		}
	}
}

func TestPolicyEventSourceToken(t *testing.T) {
	// The shape AWS returns for a permission with an EventSourceToken.
	const aws = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"alexa-skill-1","Effect":"Allow",
	  "Principal":{"Service":"alexa-appkit.amazon.com"},"Action":"lambda:InvokeFunction",
	  "Resource":"arn:aws:lambda:us-east-1:1:function:f:live",
	  "Condition":{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.1"}}}]}`
	p, err := DecodePolicy([]byte(aws))
	if err != nil {
		t.Fatal(err)
	}
	st := p.Find("alexa-skill-1")
	if st == nil || st.EventSourceToken() != "amzn1.ask.skill.1" {
		t.Errorf("Find/EventSourceToken = %+v", st)
	}
	if p.Has("other") {
		t.Error("Has(other) = true")
	}
}

func FuzzDecodePolicy(f *testing.F) {
	f.Add([]byte(`{"Statement":[{"Sid":"a","Condition":{"StringEquals":{"lambda:EventSourceToken":"t"}}}]}`))
	f.Add([]byte(`{"Statement":[{"Sid":"a","Condition":{"StringEquals":{"lambda:EventSourceToken":["t"]}}}]}`))
	f.Add([]byte(`{"Statement":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePolicy(b)
		if err != nil {
			return
		}
		for i := range p.Statement {
			_ = p.Statement[i].EventSourceToken()
			if !p.Has(p.Statement[i].Sid) {
				t.Errorf("Has(%q) = false for a present statement", p.Statement[i].Sid)
			}
		}
	})
}
