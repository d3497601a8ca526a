package release

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/jokebox/jokebox/internal/motoserver"
)

const region = "us-east-1"

// startMoto starts moto_server with Lambda invocations served without
// docker.
func startMoto(t *testing.T) string {
	t.Helper()
	base := motoserver.Start(t)
	resp, err := http.Post(base+"/moto-api/config", "application/json", strings.NewReader(`{"lambda":{"use_docker":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return base
}

// createRole creates an IAM role in moto with a signed Query API call; moto
// refuses CreateFunction for a role its IAM does not know.
func createRole(t *testing.T, base, name string) string {
	t.Helper()
	form := url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "iam", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CreateRole: HTTP %d: %s", resp.StatusCode, b)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

func zipOf(t *testing.T, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recorder wraps the real client, records AddPermission inputs and can make
// one method fail.
type recorder struct {
	*lambda.Client
	permissions []*lambda.AddPermissionInput
	failAdd     error
}

func (r *recorder) AddPermission(ctx context.Context, in *lambda.AddPermissionInput, optFns ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	if r.failAdd != nil {
		return nil, r.failAdd
	}
	r.permissions = append(r.permissions, in)
	return r.Client.AddPermission(ctx, in, optFns...)
}

var _ LambdaAPI = (*lambda.Client)(nil)

func alias(t *testing.T, c *lambda.Client, fn, name string) (version, desc string) {
	t.Helper()
	a, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(name)})
	if err != nil {
		t.Fatalf("GetAlias %s: %v", name, err)
	}
	return aws.ToString(a.FunctionVersion), aws.ToString(a.Description)
}

func TestReleaseAgainstMoto(t *testing.T) {
	base := startMoto(t)
	ctx := context.Background()
	role := createRole(t, base, "jokebox-skill-role")
	lc := lambda.New(lambda.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(base),
	})
	const fn = "jokebox-skill"
	const skillID = "amzn1.ask.skill.0f3c2a1b-1111-2222-3333-444455556666"
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: zipOf(t, "#!/bin/sh\necho 1\n")},
	}); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	updateCode := func(content string) {
		t.Helper()
		if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: zipOf(t, content)}); err != nil {
			t.Fatalf("UpdateFunctionCode: %v", err)
		}
	}

	rec := &recorder{Client: lc}
	skill := newFakeSkill()
	var out strings.Builder
	r := &Releaser{Lambda: rec, Skill: skill, Function: fn, SkillID: skillID, Locales: []string{"en-US"}, Out: &out,
		Resume: "jokebox release --function " + fn}
	nextARN := "arn:aws:lambda:" + region + ":123456789012:function:" + fn + ":next"
	liveARN := "arn:aws:lambda:" + region + ":123456789012:function:" + fn + ":live"
	sid := StatementID(skillID)

	// First release: version 1, next → 1, permission, endpoint.
	if err := r.Release(ctx, Options{}); err != nil {
		t.Fatalf("Release: %v\n%s", err, out.String())
	}
	if v, _ := alias(t, lc, fn, AliasNext); v != "1" {
		t.Errorf("next = version %s; want 1", v)
	}
	if got := skill.endpoint(); got != nextARN {
		t.Errorf("endpoint = %q; want %q", got, nextARN)
	}
	if len(rec.permissions) != 1 {
		t.Fatalf("AddPermission calls = %d; want 1", len(rec.permissions))
	}
	p := rec.permissions[0]
	if aws.ToString(p.EventSourceToken) != skillID || aws.ToString(p.Principal) != AlexaPrincipal ||
		aws.ToString(p.Qualifier) != AliasNext || aws.ToString(p.Action) != "lambda:InvokeFunction" || aws.ToString(p.StatementId) != sid {
		t.Errorf("AddPermission input = %+v", p)
	}
	pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn), Qualifier: aws.String(AliasNext)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DecodePolicy([]byte(aws.ToString(pol.Policy)))
	if err != nil {
		t.Fatal(err)
	}
	st := doc.Find(sid)
	if st == nil {
		t.Fatalf("policy lacks %s: %s", sid, aws.ToString(pol.Policy))
	}
	if tok := st.EventSourceToken(); tok != skillID {
		// moto 5.2 drops the condition: an emulator gap, checked above on
		// the request instead.
		t.Logf("emulator gap: GetPolicy statement has EventSourceToken %q (want %q); moto drops it", tok, skillID)
	}

	// Same release again: nothing new, one statement only.
	out.Reset()
	if err := r.Release(ctx, Options{}); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if len(rec.permissions) != 1 || skill.puts != 1 {
		t.Errorf("second Release: AddPermission calls %d, manifest PUTs %d; want 1 and 1", len(rec.permissions), skill.puts)
	}
	for _, want := range []string{"done: version 1", "next already at version 1", "already present", "endpoint already"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second Release output lacks %q:\n%s", want, out.String())
		}
	}

	// Promote with no live alias yet.
	if err := r.Promote(ctx); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if v, _ := alias(t, lc, fn, AliasLive); v != "1" {
		t.Errorf("live = %s after first promote; want 1", v)
	}

	// Version 2: release, promote, rollback, rollback again.
	updateCode("#!/bin/sh\necho 2\n")
	if err := r.Release(ctx, Options{}); err != nil {
		t.Fatalf("Release 2: %v", err)
	}
	if v, _ := alias(t, lc, fn, AliasNext); v != "2" {
		t.Errorf("next = %s; want 2", v)
	}
	if v, _ := alias(t, lc, fn, AliasLive); v != "1" {
		t.Errorf("live = %s before promote; want 1", v)
	}
	if err := r.Promote(ctx); err != nil {
		t.Fatalf("Promote 2: %v", err)
	}
	if v, d := alias(t, lc, fn, AliasLive); v != "2" || d != "jokebox previous=1" {
		t.Errorf("live = %s %q; want 2 \"jokebox previous=1\"", v, d)
	}
	if err := r.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if v, d := alias(t, lc, fn, AliasLive); v != "1" || d != "jokebox rolled-back-from=2" {
		t.Errorf("live after rollback = %s %q; want 1 \"jokebox rolled-back-from=2\"", v, d)
	}
	out.Reset()
	if err := r.Rollback(ctx); err != nil || !strings.Contains(out.String(), "already rolled back") {
		t.Errorf("second Rollback = %v:\n%s", err, out.String())
	}
	if v, _ := alias(t, lc, fn, AliasLive); v != "1" {
		t.Errorf("live after second rollback = %s; want 1", v)
	}

	// Submission needs live at the released version.
	out.Reset()
	err = r.Release(ctx, Options{Submit: true})
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "promote") || len(se.Completed) != 3 {
		t.Errorf("Release --submit with live behind = %v; want a StepError after 3 steps asking to promote", err)
	}
	if err := r.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, Options{Submit: true, PublicationMethod: "MANUAL_PUBLISHING"}); err != nil {
		t.Fatalf("Release --submit: %v", err)
	}
	if got := skill.endpoint(); got != liveARN {
		t.Errorf("endpoint after submit = %q; want %q", got, liveARN)
	}
	if skill.validations != 1 || skill.submits != 1 {
		t.Errorf("validations %d, submits %d; want 1 and 1", skill.validations, skill.submits)
	}

	// Hotfix: version 3 straight to live and next.
	updateCode("#!/bin/sh\necho 3\n")
	if err := r.Hotfix(ctx); err != nil {
		t.Fatalf("Hotfix: %v", err)
	}
	if v, d := alias(t, lc, fn, AliasLive); v != "3" || d != "jokebox previous=2" {
		t.Errorf("live after hotfix = %s %q; want 3 \"jokebox previous=2\"", v, d)
	}
	if v, _ := alias(t, lc, fn, AliasNext); v != "3" {
		t.Errorf("next after hotfix = %s; want 3", v)
	}

	// A failing step stops the run and says how to resume.
	updateCode("#!/bin/sh\necho 4\n")
	rec.failAdd = errors.New("AccessDeniedException: not allowed")
	r2 := *r
	r2.SkillID = "amzn1.ask.skill.another-skill" // a new statement ID, so AddPermission is needed
	out.Reset()
	err = r2.Release(ctx, Options{})
	if !errors.As(err, &se) {
		t.Fatalf("Release with failing AddPermission = %v; want a StepError", err)
	}
	msg := err.Error()
	for _, want := range []string{"publish a new version of jokebox-skill (version 4)", "point alias next at the new version (next moved from version 3 to 4)", "AccessDeniedException", "resume with: jokebox release --function jokebox-skill"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	rec.failAdd = nil
	if err := r2.Release(ctx, Options{}); err != nil {
		t.Fatalf("resumed Release: %v", err)
	}
	if v, _ := alias(t, lc, fn, AliasNext); v != "4" {
		t.Errorf("next after resumed release = %s; want 4", v)
	}
}
