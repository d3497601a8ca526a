package e2e

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/deploy"
)

// deployPolicy is deploy/iam-policy.json.
type deployPolicy struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  any
		Condition map[string]any
	}
}

func readDeployPolicy(t *testing.T) deployPolicy {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p deployPolicy
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("deploy/iam-policy.json: %v", err)
	}
	return p
}

// allows reports whether an Allow statement grants action on a resource
// matching arn (a glob match of the statement's patterns, as IAM's * and ?).
func (p deployPolicy) allows(action, arn string) bool {
	for _, s := range p.Statement {
		if s.Effect != "Allow" || !slices.Contains(s.Action, action) {
			continue
		}
		var rs []string
		switch r := s.Resource.(type) {
		case string:
			rs = []string{r}
		case []any:
			for _, x := range r {
				rs = append(rs, x.(string))
			}
		}
		for _, r := range rs {
			if r == "*" {
				return true
			}
			// path.Match's * stops at /; IAM's does not.
			if ok, _ := path.Match(strings.ReplaceAll(r, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00")); ok {
				return true
			}
		}
	}
	return false
}

// createActions are, per resource type of the template, the actions
// CloudFormation calls to create it and that the policy must grant, with
// an ARN like the one the resource gets in the test stage (region
// eu-west-1, account 123456789012). A type missing here fails the test:
// whoever adds a resource type adds its actions to deploy/iam-policy.json.
var createActions = map[string]struct {
	arn     string
	actions []string
}{
	"AWS::S3::Bucket":                 {"arn:aws:s3:::jokebox-test-123456789012-eu-west-1", []string{"s3:CreateBucket", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutLifecycleConfiguration", "s3:PutBucketLogging", "s3:PutBucketNotification", "s3:PutBucketTagging", "s3:DeleteBucket"}},
	"AWS::S3::BucketPolicy":           {"arn:aws:s3:::jokebox-test-123456789012-eu-west-1", []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}},
	"AWS::SSM::Parameter":             {"arn:aws:ssm:eu-west-1:123456789012:parameter/jokebox/test/manifest", []string{"ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource"}},
	"AWS::SQS::Queue":                 {"arn:aws:sqs:eu-west-1:123456789012:jokebox-test-index", []string{"sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:DeleteQueue"}},
	"AWS::SQS::QueuePolicy":           {"arn:aws:sqs:eu-west-1:123456789012:jokebox-test-index", []string{"sqs:SetQueueAttributes"}},
	"AWS::IAM::Role":                  {"arn:aws:iam::123456789012:role/jokebox-test-SkillRole-ABC123", []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:GetRole", "iam:DeleteRolePolicy", "iam:DeleteRole", "iam:TagRole", "iam:PassRole"}},
	"AWS::Lambda::Function":           {"arn:aws:lambda:eu-west-1:123456789012:function:jokebox-test-skill", []string{"lambda:CreateFunction", "lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:TagResource", "lambda:DeleteFunction"}},
	"AWS::Lambda::Permission":         {"arn:aws:lambda:eu-west-1:123456789012:function:jokebox-test-skill", []string{"lambda:AddPermission", "lambda:RemovePermission"}},
	"AWS::Lambda::EventSourceMapping": {"arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:0f3516a0-0000-4000-8000-000000000000", []string{"lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:DeleteEventSourceMapping"}},
	"AWS::Events::Rule":               {"arn:aws:events:eu-west-1:123456789012:rule/jokebox-test-RotatorEventsRuleSchedule1-ABC", []string{"events:PutRule", "events:PutTargets", "events:DescribeRule", "events:RemoveTargets", "events:DeleteRule"}},
	"AWS::Logs::LogGroup":             {"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/jokebox-test-skill", []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup"}},
	"AWS::DynamoDB::Table":            {"arn:aws:dynamodb:eu-west-1:123456789012:table/jokebox-test-listeners", []string{"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource", "dynamodb:DeleteTable"}},
}

// TestDeployPolicy checks deploy/iam-policy.json against the packaged
// template: every resource type is covered by its create and delete
// actions on the names the stack gives, osls's own calls and jokebox
// deploy's are granted, and no action is a wildcard.
func TestDeployPolicy(t *testing.T) {
	t.Parallel()
	p := readDeployPolicy(t)
	action := regexp.MustCompile(`^[a-z0-9]+:[A-Z][A-Za-z0-9]+$`)
	for _, s := range p.Statement {
		for _, a := range s.Action {
			if !action.MatchString(a) {
				t.Errorf("statement %s: action %q is not one named action (no wildcards)", s.Sid, a)
			}
		}
		if s.Effect != "Allow" {
			t.Errorf("statement %s: effect %q; want Allow", s.Sid, s.Effect)
		}
	}

	tpl, _ := packageTemplate(t, "test")
	types := map[string]bool{}
	for _, r := range tpl.Resources {
		types[r.Type] = true
	}
	for typ := range types {
		c, ok := createActions[typ]
		if !ok {
			t.Errorf("the template has a resource of type %s, which this test does not know: add the actions CloudFormation needs for it to deploy/iam-policy.json and to createActions", typ)
			continue
		}
		for _, a := range c.actions {
			if !p.allows(a, c.arn) {
				t.Errorf("%s: the policy does not allow %s on %s", typ, a, c.arn)
			}
		}
	}

	// The stack, osls's deployment bucket and artifacts, and what jokebox
	// deploy itself calls (release's alias steps, the skill's record, the
	// manifest read for the models).
	for _, c := range []struct{ action, arn string }{
		{"cloudformation:CreateStack", "arn:aws:cloudformation:eu-west-1:123456789012:stack/jokebox-test/0f3516a0"},
		{"cloudformation:UpdateStack", "arn:aws:cloudformation:eu-west-1:123456789012:stack/jokebox-test/0f3516a0"},
		{"cloudformation:DescribeStacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/jokebox-test/0f3516a0"},
		{"cloudformation:DescribeStackEvents", "arn:aws:cloudformation:eu-west-1:123456789012:stack/jokebox-test/0f3516a0"},
		{"cloudformation:DeleteStack", "arn:aws:cloudformation:eu-west-1:123456789012:stack/jokebox-test/0f3516a0"},
		{"cloudformation:ValidateTemplate", "*"},
		{"s3:CreateBucket", "arn:aws:s3:::jokebox-test-serverlessdeploymentbucket-1a2b3c"},
		{"s3:ListBucket", "arn:aws:s3:::jokebox-test-serverlessdeploymentbucket-1a2b3c"},
		{"s3:PutObject", "arn:aws:s3:::jokebox-test-serverlessdeploymentbucket-1a2b3c/serverless/jokebox/test/1/skill.zip"},
		{"s3:GetObject", "arn:aws:s3:::jokebox-test-serverlessdeploymentbucket-1a2b3c/serverless/jokebox/test/1/compiled-cloudformation-template.json"},
		{"s3:DeleteObject", "arn:aws:s3:::jokebox-test-serverlessdeploymentbucket-1a2b3c/serverless/jokebox/test/1/skill.zip"},
		{"s3:GetObject", "arn:aws:s3:::jokebox-test-123456789012-eu-west-1/_jokebox/manifests/00000001.jbx"},
		{"ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/jokebox/test/manifest"},
		{"ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter" + deploy.RecordName("test")},
		{"ssm:PutParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter" + deploy.RecordName("test")},
		{"ssm:DeleteParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter" + deploy.RecordName("test")},
		{"lambda:GetFunctionConfiguration", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test")},
		{"lambda:PublishVersion", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test")},
		{"lambda:GetAlias", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test") + ":next"},
		{"lambda:CreateAlias", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test") + ":next"},
		{"lambda:UpdateAlias", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test") + ":next"},
		{"lambda:GetPolicy", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test") + ":next"},
		{"lambda:AddPermission", "arn:aws:lambda:eu-west-1:123456789012:function:" + deploy.FunctionName("test") + ":next"},
	} {
		if !p.allows(c.action, c.arn) {
			t.Errorf("the policy does not allow %s on %s", c.action, c.arn)
		}
	}

	// Nothing outside the stage's names: another service's function,
	// queue, role or bucket is out of reach.
	for _, c := range []struct{ action, arn string }{
		{"lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:payroll"},
		{"iam:PassRole", "arn:aws:iam::123456789012:role/admin"},
		{"s3:GetObject", "arn:aws:s3:::payroll-bucket/secrets.txt"},
		{"s3:PutObject", "arn:aws:s3:::jokebox-test-123456789012-eu-west-1/jokes/a.mp3"},
		{"sqs:DeleteQueue", "arn:aws:sqs:eu-west-1:123456789012:payroll"},
		{"cloudformation:DeleteStack", "arn:aws:cloudformation:eu-west-1:123456789012:stack/payroll/1"},
	} {
		if p.allows(c.action, c.arn) {
			t.Errorf("the policy allows %s on %s, outside jokebox's names", c.action, c.arn)
		}
	}
}
