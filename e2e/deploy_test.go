// Package e2e holds end-to-end tests of the deployment: the CloudFormation
// template that serverless.yml produces, checked resource by resource and by
// cfn-lint, and a deploy of the whole stack into moto_server.
//
// The tests run the osls CLI from node_modules (`npm ci` first), cfn-lint
// and moto_server from PATH. Without -short they fail when a tool is
// missing; with -short the moto deploy is skipped, and the template test is
// skipped only when node_modules is absent.
package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/listeners"
)

// testSkillID is params.test.skillId in serverless.yml.
const testSkillID = "amzn1.ask.skill.00000000-0000-4000-8000-000000000000"

// lambdaFunctions are the functions serverless.yml deploys, by their key there.
var lambdaFunctions = []string{"skill", "indexer", "rotator"}

// audioExtensions are the playable extensions the bucket notifies the queue of.
var audioExtensions = []string{"mp3", "m4a", "aac", "mp4"}

// ---------------------------------------------------------------- template

// cfnTemplate is the part of a CloudFormation template the tests read.
type cfnTemplate struct {
	Resources map[string]cfnResource     `json:"Resources"`
	Outputs   map[string]json.RawMessage `json:"Outputs"`
}

// cfnResource is one resource; Properties stay raw and are decoded per type.
type cfnResource struct {
	Type           string          `json:"Type"`
	Properties     json.RawMessage `json:"Properties"`
	DependsOn      any             `json:"DependsOn"`
	DeletionPolicy string          `json:"DeletionPolicy"`
}

// props decodes the properties of the resource with logical ID id into a T.
func props[T any](t *testing.T, tpl cfnTemplate, id string) T {
	t.Helper()
	var v T
	r, ok := tpl.Resources[id]
	if !ok {
		t.Fatalf("template has no resource %s", id)
	}
	if err := json.Unmarshal(r.Properties, &v); err != nil {
		t.Fatalf("decode %s properties: %v", id, err)
	}
	return v
}

// ofType returns the logical IDs of the resources of type typ, sorted.
func (tpl cfnTemplate) ofType(typ string) []string {
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// render writes an intrinsic-function value as one string in Fn::Sub syntax:
// "x" stays "x", {"Fn::Sub": s} is s, {"Fn::GetAtt": [R, A]} is "${R.A}"
// and {"Ref": R} is "${R}", so that expectations read like the template.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["Fn::Sub"].(string); ok {
			return s
		}
		if a, ok := v["Fn::GetAtt"].([]any); ok && len(a) == 2 {
			return fmt.Sprintf("${%v.%v}", a[0], a[1])
		}
		if r, ok := v["Ref"].(string); ok {
			return "${" + r + "}"
		}
	}
	b, _ := json.Marshal(v)
	return "unrendered:" + string(b)
}

// renderAll renders a value that may be one item or a list of them.
func renderAll(v any) []string {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			out = append(out, render(x))
		}
		return out
	}
	if v == nil {
		return nil
	}
	return []string{render(v)}
}

// policyDocument is an IAM policy as CloudFormation holds it.
type policyDocument struct {
	Statement []policyStatement `json:"Statement"`
}

// policyStatement is one statement of an IAM or resource policy.
type policyStatement struct {
	Sid         string         `json:"Sid"`
	Effect      string         `json:"Effect"`
	Principal   any            `json:"Principal"`
	Action      any            `json:"Action"`
	NotAction   any            `json:"NotAction"`
	Resource    any            `json:"Resource"`
	NotResource any            `json:"NotResource"`
	Condition   map[string]any `json:"Condition"`
}

// grants maps each allowed action of a policy to the sorted resources it is
// allowed on.
func grants(t *testing.T, doc policyDocument) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.NotAction != nil || st.NotResource != nil {
			t.Errorf("statement %q: Effect %q, NotAction %v, NotResource %v; want Allow with Action and Resource",
				st.Sid, st.Effect, st.NotAction, st.NotResource)
		}
		for _, a := range renderAll(st.Action) {
			out[a] = append(out[a], renderAll(st.Resource)...)
		}
	}
	for a := range out {
		slices.Sort(out[a])
	}
	return out
}

// skillObjects are the objects the skill may read: the manifests, and the
// audio by every case variant of each playable suffix (IAM patterns are
// case-sensitive). Not the pointer, nor any other upload.
func skillObjects(bucketARN string) []string {
	out := []string{bucketARN + "/_jokebox/manifests/*"}
	for _, ext := range audioExtensions {
		for _, v := range caseVariants(ext) {
			out = append(out, bucketARN+"/*."+v)
		}
	}
	return out
}

// caseVariants returns every upper/lower-case spelling of s.
func caseVariants(s string) []string {
	out := []string{""}
	for _, r := range s {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		var next []string
		for _, p := range out {
			next = append(next, p+lo)
			if up != lo {
				next = append(next, p+up)
			}
		}
		out = next
	}
	return out
}

// TestAudioExtensionsArePlayable keeps audioExtensions, which the template
// tests check the notifications and the skill role against, in step with
// what the indexer accepts.
func TestAudioExtensionsArePlayable(t *testing.T) {
	t.Parallel()
	for _, ext := range audioExtensions {
		for _, v := range caseVariants(ext) {
			if !audio.Playable("a/b." + v) {
				t.Errorf("audio.Playable(%q) = false; want true", "a/b."+v)
			}
		}
	}
	for _, key := range []string{"a.wav", "a.ogg", "a.flac", "_jokebox/manifests/00000000000000000001.jbx", "_jokebox/pointer.json", "mp3"} {
		if audio.Playable(key) {
			t.Errorf("audio.Playable(%q) = true; add its extension to audioExtensions (and deploy/notifications.js)", key)
		}
	}
}

func TestCaseVariants(t *testing.T) {
	t.Parallel()
	got := caseVariants("mp3")
	slices.Sort(got)
	want := []string{"MP3", "Mp3", "mP3", "mp3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("caseVariants(%q) (-want +got):\n%s", "mp3", diff)
	}
}

// TestTemplate packages the `test` stage and checks the generated template:
// the bucket, its notifications, the queues, the parameter, least-privilege
// roles, the functions and their triggers; then runs cfn-lint on it.
func TestTemplate(t *testing.T) {
	t.Parallel()
	start := time.Now()
	tpl, path := packageTemplate(t, "test")
	t.Logf("serverless package --stage test: %v", time.Since(start).Round(time.Millisecond))

	const (
		bucketName = "jokebox-test-${AWS::AccountId}-${AWS::Region}"
		bucketARN  = "arn:${AWS::Partition}:s3:::" + bucketName
		paramName  = "/jokebox/test/manifest"
		paramARN   = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + paramName
		skillARN   = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:jokebox-test-skill"
		tableARN   = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/jokebox-test-listeners"
	)
	logARN := func(fn string) []string {
		return []string{"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/jokebox-test-" + fn + ":*"}
	}

	t.Run("bucket", func(t *testing.T) {
		type bucketProps struct {
			BucketName                     any
			PublicAccessBlockConfiguration map[string]bool
			BucketEncryption               struct {
				ServerSideEncryptionConfiguration []struct {
					ServerSideEncryptionByDefault struct{ SSEAlgorithm string }
				}
			}
			OwnershipControls struct {
				Rules []struct{ ObjectOwnership string }
			}
			VersioningConfiguration struct{ Status string }
			LifecycleConfiguration  struct{ Rules []map[string]any }
		}
		b := props[bucketProps](t, tpl, "AudioBucket")
		if got := render(b.BucketName); got != bucketName {
			t.Errorf("BucketName = %q; want %q", got, bucketName)
		}
		wantBlock := map[string]bool{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		if diff := cmp.Diff(wantBlock, b.PublicAccessBlockConfiguration); diff != "" {
			t.Errorf("PublicAccessBlockConfiguration (-want +got):\n%s", diff)
		}
		sse := b.BucketEncryption.ServerSideEncryptionConfiguration
		if len(sse) != 1 || sse[0].ServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
			t.Errorf("BucketEncryption = %+v; want one rule with SSEAlgorithm AES256", sse)
		}
		if r := b.OwnershipControls.Rules; len(r) != 1 || r[0].ObjectOwnership != "BucketOwnerEnforced" {
			t.Errorf("OwnershipControls = %+v; want BucketOwnerEnforced", r)
		}
		if b.VersioningConfiguration.Status != "Enabled" {
			t.Errorf("VersioningConfiguration.Status = %q; want Enabled", b.VersioningConfiguration.Status)
		}
		for _, rule := range b.LifecycleConfiguration.Rules {
			// Expiring current objects could delete the current manifest.
			for _, k := range []string{"ExpirationInDays", "ExpirationDate", "Transitions", "Transition"} {
				if _, ok := rule[k]; ok {
					t.Errorf("lifecycle rule %v has %s; only noncurrent versions and uploads may expire", rule["Id"], k)
				}
			}
		}
		r := tpl.Resources["AudioBucket"]
		if !slices.Contains(renderAll(r.DependsOn), "IndexQueuePolicy") {
			t.Errorf("AudioBucket DependsOn = %v; want IndexQueuePolicy (S3 checks the queue policy)", r.DependsOn)
		}
		if r.DeletionPolicy != "Retain" {
			t.Errorf("AudioBucket DeletionPolicy = %q; want Retain", r.DeletionPolicy)
		}
	})

	t.Run("notifications", func(t *testing.T) {
		type notificationProps struct {
			NotificationConfiguration struct {
				QueueConfigurations []struct {
					Event  string
					Queue  any
					Filter struct {
						S3Key struct {
							Rules []struct{ Name, Value string }
						}
					}
				}
				LambdaConfigurations []any
				TopicConfigurations  []any
			}
		}
		n := props[notificationProps](t, tpl, "AudioBucket").NotificationConfiguration
		if len(n.LambdaConfigurations)+len(n.TopicConfigurations) != 0 {
			t.Errorf("bucket notifies Lambda or SNS directly; want only the queue")
		}
		var want, got []string
		for _, event := range []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"} {
			for _, ext := range audioExtensions {
				for _, v := range caseVariants(ext) {
					want = append(want, event+" suffix=."+v+" → ${IndexQueue.Arn}")
				}
			}
		}
		suffixes := map[string][]string{}
		for _, q := range n.QueueConfigurations {
			var rules []string
			for _, r := range q.Filter.S3Key.Rules {
				rules = append(rules, r.Name+"="+r.Value)
				if r.Name == "suffix" {
					suffixes[q.Event] = append(suffixes[q.Event], r.Value)
				}
			}
			got = append(got, q.Event+" "+strings.Join(rules, ",")+" → "+render(q.Queue))
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("queue notifications (-want +got):\n%s", diff)
		}
		// S3 rejects rules for one event type whose suffixes overlap.
		for event, list := range suffixes {
			for i, a := range list {
				for j, b := range list {
					if i != j && strings.HasSuffix(a, b) {
						t.Errorf("%s: suffix %q overlaps %q", event, a, b)
					}
				}
			}
		}
		for _, key := range []string{"_jokebox/manifests/00000001.jbx", "_jokebox/pointer.json"} {
			for _, list := range suffixes {
				for _, s := range list {
					if strings.HasSuffix(key, s) {
						t.Errorf("manifest object %s matches notification suffix %q", key, s)
					}
				}
			}
		}
	})

	t.Run("listeners table", func(t *testing.T) {
		// One table: on demand, encrypted, point-in-time recovery (the
		// Security Hub FSBP controls DynamoDB.1 and DynamoDB.2 hold: no
		// provisioned capacity to scale, recovery on), a TTL attribute,
		// partition key the string "listener" and nothing else.
		type tableProps struct {
			TableName                        string
			BillingMode                      string
			AttributeDefinitions             []struct{ AttributeName, AttributeType string }
			KeySchema                        []struct{ AttributeName, KeyType string }
			SSESpecification                 struct{ SSEEnabled bool }
			PointInTimeRecoverySpecification struct{ PointInTimeRecoveryEnabled bool }
			TimeToLiveSpecification          struct {
				AttributeName string
				Enabled       bool
			}
			ProvisionedThroughput  any
			GlobalSecondaryIndexes []any
			LocalSecondaryIndexes  []any
			StreamSpecification    any
		}
		if got := tpl.ofType("AWS::DynamoDB::Table"); !slices.Equal(got, []string{"ListenersTable"}) {
			t.Fatalf("DynamoDB tables = %v; want [ListenersTable]", got)
		}
		p := props[tableProps](t, tpl, "ListenersTable")
		got := fmt.Sprintf("%s %s attrs=%v keys=%v sse=%t pitr=%t ttl=%s,%t", p.TableName, p.BillingMode, p.AttributeDefinitions, p.KeySchema,
			p.SSESpecification.SSEEnabled, p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled,
			p.TimeToLiveSpecification.AttributeName, p.TimeToLiveSpecification.Enabled)
		want := fmt.Sprintf("jokebox-test-listeners PAY_PER_REQUEST attrs=[{listener S}] keys=[{listener HASH}] sse=true pitr=true ttl=%s,true", listeners.AttrExpires)
		if got != want {
			t.Errorf("ListenersTable = %s; want %s", got, want)
		}
		if listeners.AttrListener != "listener" {
			t.Errorf("the code's partition key is %q; the table's is listener", listeners.AttrListener)
		}
		if p.ProvisionedThroughput != nil || p.GlobalSecondaryIndexes != nil || p.LocalSecondaryIndexes != nil || p.StreamSpecification != nil {
			t.Errorf("ListenersTable has provisioned throughput, indexes or a stream; want none")
		}
	})

	t.Run("queues", func(t *testing.T) {
		type queueProps struct {
			QueueName         string
			VisibilityTimeout int
			RedrivePolicy     struct {
				DeadLetterTargetArn any `json:"deadLetterTargetArn"`
				MaxReceiveCount     int `json:"maxReceiveCount"`
			}
		}
		type functionProps struct{ Timeout int }
		q := props[queueProps](t, tpl, "IndexQueue")
		indexer := props[functionProps](t, tpl, "IndexerLambdaFunction")
		if indexer.Timeout == 0 || q.VisibilityTimeout < 6*indexer.Timeout {
			t.Errorf("queue VisibilityTimeout = %d with indexer Timeout %d; want at least 6×", q.VisibilityTimeout, indexer.Timeout)
		}
		if got := render(q.RedrivePolicy.DeadLetterTargetArn); got != "${IndexDeadLetterQueue.Arn}" {
			t.Errorf("RedrivePolicy.deadLetterTargetArn = %s; want ${IndexDeadLetterQueue.Arn}", got)
		}
		if q.RedrivePolicy.MaxReceiveCount != 5 {
			t.Errorf("RedrivePolicy.maxReceiveCount = %d; want 5", q.RedrivePolicy.MaxReceiveCount)
		}
		if dlq := tpl.Resources["IndexDeadLetterQueue"]; dlq.Type != "AWS::SQS::Queue" {
			t.Errorf("IndexDeadLetterQueue type = %q; want AWS::SQS::Queue", dlq.Type)
		}
	})

	t.Run("queue policy", func(t *testing.T) {
		type queuePolicyProps struct {
			Queues         []any
			PolicyDocument policyDocument
		}
		p := props[queuePolicyProps](t, tpl, "IndexQueuePolicy")
		if got := renderAll(p.Queues); !slices.Equal(got, []string{"${IndexQueue}"}) {
			t.Errorf("Queues = %v; want [${IndexQueue}]", got)
		}
		allows := tlsOnly(t, p.PolicyDocument, "sqs:*", "${IndexQueue.Arn}")
		if len(allows) != 1 {
			t.Fatalf("queue policy allows %d statements; want 1", len(allows))
		}
		st := allows[0]
		got := map[string]string{
			"Effect":              st.Effect,
			"Principal":           fmt.Sprint(st.Principal),
			"Action":              strings.Join(renderAll(st.Action), ","),
			"Resource":            strings.Join(renderAll(st.Resource), ","),
			"aws:SourceArn":       render(dig(st.Condition, "ArnEquals", "aws:SourceArn")),
			"aws:SourceAccount":   render(dig(st.Condition, "StringEquals", "aws:SourceAccount")),
			"number of operators": strconv.Itoa(len(st.Condition)),
		}
		want := map[string]string{
			"Effect":              "Allow",
			"Principal":           "map[Service:s3.amazonaws.com]",
			"Action":              "sqs:SendMessage",
			"Resource":            "${IndexQueue.Arn}",
			"aws:SourceArn":       bucketARN,
			"aws:SourceAccount":   "${AWS::AccountId}",
			"number of operators": "2",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("queue policy statement (-want +got):\n%s", diff)
		}
	})

	t.Run("dead-letter queue policy", func(t *testing.T) {
		type queuePolicyProps struct {
			Queues         []any
			PolicyDocument policyDocument
		}
		p := props[queuePolicyProps](t, tpl, "IndexDeadLetterQueuePolicy")
		if got := renderAll(p.Queues); !slices.Equal(got, []string{"${IndexDeadLetterQueue}"}) {
			t.Errorf("Queues = %v; want [${IndexDeadLetterQueue}]", got)
		}
		if allows := tlsOnly(t, p.PolicyDocument, "sqs:*", "${IndexDeadLetterQueue.Arn}"); len(allows) != 0 {
			t.Errorf("dead-letter queue policy allows %d statements; want none (redrive needs no policy)", len(allows))
		}
	})

	t.Run("access logs", func(t *testing.T) {
		const logBucketName = "jokebox-test-logs-${AWS::AccountId}-${AWS::Region}"
		type logging struct {
			LoggingConfiguration *struct {
				DestinationBucketName any
				LogFilePrefix         string
			}
		}
		audio := props[logging](t, tpl, "AudioBucket").LoggingConfiguration
		if audio == nil || render(audio.DestinationBucketName) != "${AccessLogBucket}" || audio.LogFilePrefix != "audio/" {
			t.Errorf("AudioBucket LoggingConfiguration = %+v; want audio/ in AccessLogBucket (FSBP S3.9)", audio)
		}
		if !slices.Contains(renderAll(tpl.Resources["AudioBucket"].DependsOn), "AccessLogBucketPolicy") {
			t.Errorf("AudioBucket DependsOn = %v; want AccessLogBucketPolicy (logging needs the policy first)", tpl.Resources["AudioBucket"].DependsOn)
		}
		type bucketProps struct {
			BucketName                     any
			PublicAccessBlockConfiguration map[string]bool
			BucketEncryption               struct {
				ServerSideEncryptionConfiguration []struct {
					ServerSideEncryptionByDefault struct{ SSEAlgorithm string }
				}
			}
			OwnershipControls struct {
				Rules []struct{ ObjectOwnership string }
			}
			LifecycleConfiguration struct {
				Rules []struct {
					Status           string
					ExpirationInDays int
				}
			}
			LoggingConfiguration any
		}
		b := props[bucketProps](t, tpl, "AccessLogBucket")
		if got := render(b.BucketName); got != logBucketName {
			t.Errorf("BucketName = %q; want %q", got, logBucketName)
		}
		wantBlock := map[string]bool{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		if diff := cmp.Diff(wantBlock, b.PublicAccessBlockConfiguration); diff != "" {
			t.Errorf("PublicAccessBlockConfiguration (-want +got):\n%s", diff)
		}
		// Log delivery supports SSE-S3 only as the default encryption.
		if sse := b.BucketEncryption.ServerSideEncryptionConfiguration; len(sse) != 1 || sse[0].ServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
			t.Errorf("BucketEncryption = %+v; want one rule with SSEAlgorithm AES256", sse)
		}
		if r := b.OwnershipControls.Rules; len(r) != 1 || r[0].ObjectOwnership != "BucketOwnerEnforced" {
			t.Errorf("OwnershipControls = %+v; want BucketOwnerEnforced (delivery by policy, not ACL)", r)
		}
		expires := false
		for _, r := range b.LifecycleConfiguration.Rules {
			expires = expires || r.Status == "Enabled" && r.ExpirationInDays > 0
		}
		if !expires {
			t.Errorf("AccessLogBucket lifecycle %+v; want logs to expire", b.LifecycleConfiguration.Rules)
		}
		if b.LoggingConfiguration != nil {
			t.Errorf("AccessLogBucket logs its own access (%v); AWS advises against it", b.LoggingConfiguration)
		}
		if r := tpl.Resources["AccessLogBucket"]; r.DeletionPolicy != "Retain" {
			t.Errorf("AccessLogBucket DeletionPolicy = %q; want Retain", r.DeletionPolicy)
		}

		type policyProps struct {
			Bucket         any
			PolicyDocument policyDocument
		}
		p := props[policyProps](t, tpl, "AccessLogBucketPolicy")
		if got := render(p.Bucket); got != "${AccessLogBucket}" {
			t.Errorf("AccessLogBucketPolicy Bucket = %q; want ${AccessLogBucket}", got)
		}
		logARN := "arn:${AWS::Partition}:s3:::" + logBucketName
		allows := tlsOnly(t, p.PolicyDocument, "s3:*", logARN, logARN+"/*")
		if len(allows) != 1 {
			t.Fatalf("log bucket policy allows %d statements; want 1, for the logging service", len(allows))
		}
		st := allows[0]
		got := map[string]string{
			"Principal":         fmt.Sprint(st.Principal),
			"Action":            strings.Join(renderAll(st.Action), ","),
			"Resource":          strings.Join(renderAll(st.Resource), ","),
			"aws:SourceArn":     render(dig(st.Condition, "ArnLike", "aws:SourceArn")),
			"aws:SourceAccount": render(dig(st.Condition, "StringEquals", "aws:SourceAccount")),
		}
		want := map[string]string{
			"Principal":         "map[Service:logging.s3.amazonaws.com]",
			"Action":            "s3:PutObject",
			"Resource":          logARN + "/audio/*",
			"aws:SourceArn":     bucketARN,
			"aws:SourceAccount": "${AWS::AccountId}",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("log bucket policy statement (-want +got):\n%s", diff)
		}
	})

	t.Run("deployment bucket", func(t *testing.T) {
		type bucketProps struct {
			LifecycleConfiguration struct {
				Rules []struct {
					Status                         string
					ExpirationInDays               int
					AbortIncompleteMultipartUpload *struct{ DaysAfterInitiation int }
				}
			}
			PublicAccessBlockConfiguration map[string]bool
		}
		b := props[bucketProps](t, tpl, "ServerlessDeploymentBucket")
		expires, aborts := false, false
		for _, r := range b.LifecycleConfiguration.Rules {
			expires = expires || r.Status == "Enabled" && r.ExpirationInDays > 0
			aborts = aborts || r.Status == "Enabled" && r.AbortIncompleteMultipartUpload != nil
		}
		if !expires || !aborts {
			t.Errorf("ServerlessDeploymentBucket lifecycle %+v; want old artifacts to expire and broken uploads aborted (FSBP S3.13)", b.LifecycleConfiguration.Rules)
		}
		if len(b.PublicAccessBlockConfiguration) != 4 {
			t.Errorf("ServerlessDeploymentBucket PublicAccessBlockConfiguration = %v; want osls's block kept beside the lifecycle", b.PublicAccessBlockConfiguration)
		}
	})

	t.Run("parameter", func(t *testing.T) {
		type parameterProps struct{ Name, Type, Tier, Value string }
		p := props[parameterProps](t, tpl, "ManifestParameter")
		var value struct {
			Version *int `json:"version"`
		}
		if err := json.Unmarshal([]byte(p.Value), &value); err != nil || value.Version == nil || *value.Version != 0 {
			t.Errorf("parameter Value = %q; want JSON with version 0 (err %v)", p.Value, err)
		}
		p.Value = ""
		want := parameterProps{Name: paramName, Type: "String", Tier: "Standard"}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("ManifestParameter (-want +got):\n%s", diff)
		}
	})

	t.Run("roles", func(t *testing.T) {
		// Role → action → resources. Exactly these, nothing else.
		want := map[string]map[string][]string{
			"SkillRole": {
				"logs:CreateLogStream": logARN("skill"),
				"logs:PutLogEvents":    logARN("skill"),
				"s3:GetObject":         skillObjects(bucketARN),
				"ssm:GetParameter":     {paramARN},
				"dynamodb:GetItem":     {tableARN},
				"dynamodb:PutItem":     {tableARN},
				"dynamodb:DeleteItem":  {tableARN},
			},
			"IndexerRole": {
				"logs:CreateLogStream":        logARN("indexer"),
				"logs:PutLogEvents":           logARN("indexer"),
				"s3:ListBucket":               {bucketARN},
				"s3:GetObject":                {bucketARN + "/*"},
				"s3:PutObject":                {bucketARN + "/_jokebox/*"},
				"ssm:GetParameter":            {paramARN},
				"ssm:PutParameter":            {paramARN},
				"sqs:ReceiveMessage":          {"${IndexQueue.Arn}"},
				"sqs:DeleteMessage":           {"${IndexQueue.Arn}"},
				"sqs:GetQueueAttributes":      {"${IndexQueue.Arn}"},
				"sqs:ChangeMessageVisibility": {"${IndexQueue.Arn}"},
			},
			"RotatorRole": {
				"logs:CreateLogStream":  logARN("rotator"),
				"logs:PutLogEvents":     logARN("rotator"),
				"s3:ListBucket":         {bucketARN},
				"s3:GetObject":          {bucketARN + "/*"},
				"s3:PutObject":          {bucketARN + "/_jokebox/*"},
				"ssm:GetParameter":      {paramARN},
				"ssm:PutParameter":      {paramARN},
				"lambda:InvokeFunction": {skillARN, skillARN + ":*"},
			},
		}
		for _, grants := range want {
			for _, list := range grants {
				slices.Sort(list)
			}
		}
		if got, wantIDs := tpl.ofType("AWS::IAM::Role"), []string{"IndexerRole", "RotatorRole", "SkillRole"}; !slices.Equal(got, wantIDs) {
			t.Errorf("IAM roles = %v; want %v (no shared default role)", got, wantIDs)
		}
		type roleProps struct {
			AssumeRolePolicyDocument policyDocument
			ManagedPolicyArns        []any
			Policies                 []struct {
				PolicyName     string
				PolicyDocument policyDocument
			}
		}
		for role, wantGrants := range want {
			t.Run(role, func(t *testing.T) {
				r := props[roleProps](t, tpl, role)
				if len(r.ManagedPolicyArns) != 0 {
					t.Errorf("ManagedPolicyArns = %v; want none", r.ManagedPolicyArns)
				}
				trust := r.AssumeRolePolicyDocument.Statement
				if len(trust) != 1 || fmt.Sprint(trust[0].Principal) != "map[Service:lambda.amazonaws.com]" || render(trust[0].Action) != "sts:AssumeRole" {
					t.Errorf("trust policy = %+v; want lambda.amazonaws.com sts:AssumeRole only", trust)
				}
				got := map[string][]string{}
				for _, p := range r.Policies {
					for a, res := range grants(t, p.PolicyDocument) {
						got[a] = append(got[a], res...)
					}
				}
				for a, res := range got {
					slices.Sort(got[a])
					if strings.Contains(a, "*") {
						t.Errorf("action %q has a wildcard", a)
					}
					for _, r := range res {
						if r == "*" || strings.HasPrefix(r, "unrendered:") {
							t.Errorf("action %s on resource %q; want a specific ARN", a, r)
						}
					}
				}
				if diff := cmp.Diff(wantGrants, got); diff != "" {
					t.Errorf("%s grants (-want +got):\n%s", role, diff)
				}
			})
		}
	})

	t.Run("functions", func(t *testing.T) {
		type functionProps struct {
			FunctionName  string
			Runtime       string
			Handler       string
			Architectures []string
			MemorySize    int
			Role          any
			Environment   struct{ Variables map[string]any }
		}
		common := map[string]string{"JOKEBOX_BUCKET": "${AudioBucket}", "JOKEBOX_MANIFEST_PARAM": "${ManifestParameter}"}
		with := func(extra map[string]string) map[string]string {
			m := map[string]string{}
			for k, v := range common {
				m[k] = v
			}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		tests := []struct {
			id, name, role string
			memory         int
			env            map[string]string
		}{
			{"SkillLambdaFunction", "jokebox-test-skill", "SkillRole", 256, with(map[string]string{
				"JOKEBOX_SKILL_ID": testSkillID, "JOKEBOX_URL_TTL": "1h", "JOKEBOX_CONTINUOUS": "false", "JOKEBOX_MANIFEST_TTL": "60s",
				"JOKEBOX_LISTENERS_TABLE": "${ListenersTable}",
			})},
			{"IndexerLambdaFunction", "jokebox-test-indexer", "IndexerRole", 512, with(nil)},
			{"RotatorLambdaFunction", "jokebox-test-rotator", "RotatorRole", 1024, with(map[string]string{
				"JOKEBOX_SKILL_FUNCTION": "${SkillLambdaFunction}",
			})},
		}
		if got := tpl.ofType("AWS::Lambda::Function"); len(got) != len(tests) {
			t.Errorf("functions = %v; want %d", got, len(tests))
		}
		for _, tt := range tests {
			t.Run(tt.id, func(t *testing.T) {
				f := props[functionProps](t, tpl, tt.id)
				env := map[string]string{}
				for k, v := range f.Environment.Variables {
					env[k] = render(v)
				}
				got := fmt.Sprintf("%s %s %s %v %d %s", f.FunctionName, f.Runtime, f.Handler, f.Architectures, f.MemorySize, render(f.Role))
				want := fmt.Sprintf("%s provided.al2023 bootstrap [arm64] %d ${%s.Arn}", tt.name, tt.memory, tt.role)
				if got != want {
					t.Errorf("function = %s; want %s", got, want)
				}
				if diff := cmp.Diff(tt.env, env); diff != "" {
					t.Errorf("environment (-want +got):\n%s", diff)
				}
			})
		}
		type logGroupProps struct {
			LogGroupName    string
			RetentionInDays int
		}
		for _, fn := range lambdaFunctions {
			id := strings.ToUpper(fn[:1]) + fn[1:] + "LogGroup"
			got := props[logGroupProps](t, tpl, id)
			want := logGroupProps{LogGroupName: "/aws/lambda/jokebox-test-" + fn, RetentionInDays: 14}
			if got != want {
				t.Errorf("%s = %+v; want %+v", id, got, want)
			}
		}
	})

	t.Run("alexa trigger", func(t *testing.T) {
		type permissionProps struct {
			FunctionName     any
			Action           string
			Principal        string
			EventSourceToken string
		}
		var found []string
		for _, id := range tpl.ofType("AWS::Lambda::Permission") {
			p := props[permissionProps](t, tpl, id)
			if p.Principal != "alexa-appkit.amazon.com" {
				continue
			}
			found = append(found, id)
			got := fmt.Sprintf("%s %s %s", render(p.FunctionName), p.Action, p.EventSourceToken)
			want := fmt.Sprintf("${SkillLambdaFunction.Arn} lambda:InvokeFunction %s", testSkillID)
			if got != want {
				t.Errorf("%s = %s; want %s", id, got, want)
			}
		}
		if len(found) != 1 {
			t.Errorf("Alexa permissions = %v; want exactly one", found)
		}
	})

	t.Run("indexer trigger", func(t *testing.T) {
		type mappingProps struct {
			BatchSize                      int
			MaximumBatchingWindowInSeconds int
			FunctionResponseTypes          []string
			EventSourceArn                 any
			FunctionName                   any
			Enabled                        bool
		}
		ids := tpl.ofType("AWS::Lambda::EventSourceMapping")
		if len(ids) != 1 {
			t.Fatalf("event source mappings = %v; want one", ids)
		}
		m := props[mappingProps](t, tpl, ids[0])
		got := fmt.Sprintf("batch %d window %d %v %s → %s enabled=%t", m.BatchSize, m.MaximumBatchingWindowInSeconds,
			m.FunctionResponseTypes, render(m.EventSourceArn), render(m.FunctionName), m.Enabled)
		want := "batch 100 window 5 [ReportBatchItemFailures] ${IndexQueue.Arn} → ${IndexerLambdaFunction.Arn} enabled=true"
		if got != want {
			t.Errorf("mapping = %s; want %s", got, want)
		}
	})

	t.Run("schedule", func(t *testing.T) {
		type ruleProps struct {
			ScheduleExpression string
			State              string
			Targets            []struct{ Arn any }
		}
		ids := tpl.ofType("AWS::Events::Rule")
		if len(ids) != 1 {
			t.Fatalf("event rules = %v; want one", ids)
		}
		r := props[ruleProps](t, tpl, ids[0])
		var targets []string
		for _, tg := range r.Targets {
			targets = append(targets, render(tg.Arn))
		}
		got := fmt.Sprintf("%s %s %v", r.ScheduleExpression, r.State, targets)
		if want := "rate(1 day) ENABLED [${RotatorLambdaFunction.Arn}]"; got != want {
			t.Errorf("schedule = %s; want %s", got, want)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		for _, name := range []string{"AudioBucketName", "SkillFunctionArn", "QueueUrl", "DeadLetterQueueUrl", "ParameterName", "ListenersTableName"} {
			if _, ok := tpl.Outputs[name]; !ok {
				t.Errorf("template has no output %s", name)
			}
		}
	})

	t.Run("cfn-lint", func(t *testing.T) {
		lint := lookTool(t, "cfn-lint", "pip install cfn-lint")
		start := time.Now()
		out, err := exec.Command(lint, path).CombinedOutput()
		t.Logf("cfn-lint: %v", time.Since(start).Round(time.Millisecond))
		// cfn-lint's exit code is a bit set: 2 errors, 4 warnings, 8 informational.
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit) && exit.ExitCode()&^(4|8) == 0:
			t.Logf("cfn-lint warnings (not failing):\n%s", out)
		default:
			t.Errorf("cfn-lint %s: %v\n%s", path, err, out)
		}
	})
}

// dig returns m[k1][k2]... or nil.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// tlsOnly checks that doc denies every action (allAction, "sqs:*") on each
// of resources to any principal over plain HTTP (aws:SecureTransport
// false), and returns its Allow statements. Any other Deny is an error.
func tlsOnly(t *testing.T, doc policyDocument, allActions string, resources ...string) (allows []policyStatement) {
	t.Helper()
	denies := 0
	for _, st := range doc.Statement {
		switch st.Effect {
		case "Allow":
			allows = append(allows, st)
			continue
		case "Deny":
		default:
			t.Errorf("statement %s: Effect %q", st.Sid, st.Effect)
			continue
		}
		denies++
		got := fmt.Sprintf("%v %s on %s if aws:SecureTransport=%v (%d operators)", st.Principal, strings.Join(renderAll(st.Action), ","),
			strings.Join(renderAll(st.Resource), ","), dig(st.Condition, "Bool", "aws:SecureTransport"), len(st.Condition))
		want := fmt.Sprintf("* %s on %s if aws:SecureTransport=false (1 operators)", allActions, strings.Join(resources, ","))
		if got != want {
			t.Errorf("deny statement %s:\n got %s\nwant %s", st.Sid, got, want)
		}
	}
	if denies != 1 {
		t.Errorf("%d deny statements; want 1, refusing plain HTTP", denies)
	}
	return allows
}

// ---------------------------------------------------------------- helpers

// repoRoot returns the module root, where serverless.yml lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "serverless.yml")); err != nil {
		t.Fatalf("no serverless.yml in %s: %v", dir, err)
	}
	return dir
}

// serverlessBin returns the osls CLI installed by npm, skipping (with -short)
// or failing when node_modules is absent.
func serverlessBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot(t), "node_modules", ".bin", "serverless")
	if _, err := os.Stat(bin); err != nil {
		if testing.Short() {
			t.Skipf("skipping with -short: %s is missing; run `npm ci` in the repository root", bin)
		}
		t.Fatalf("%s is missing: run `npm ci` in the repository root (installs osls from package-lock.json)", bin)
	}
	return bin
}

// lookTool finds a command on PATH, or fails with how to install it.
func lookTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testing.Short() {
			t.Skipf("skipping with -short: %s not on PATH (%s)", name, install)
		}
		t.Fatalf("%s not on PATH: %s", name, install)
	}
	return p
}

// serverless runs the osls CLI in the repository root with a temporary HOME,
// no AWS settings from the caller's environment and the extra variables env.
// slsMu serializes the osls runs of parallel tests: each uses .serverless
// in the service directory as scratch space, even with --package, and one
// run's clean-up removed another's serverless-state.json (ENOENT, seen with
// TestTemplate beside TestDeployPolicy).
var slsMu sync.Mutex

func serverless(t *testing.T, env []string, args ...string) {
	t.Helper()
	slsMu.Lock()
	defer slsMu.Unlock()
	cmd := exec.Command(serverlessBin(t), args...)
	cmd.Dir = repoRoot(t)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "JOKEBOX_") || k == "HOME" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "npm_config_update_notifier=false", "NODE_NO_WARNINGS=1")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("serverless %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// placeholderZips writes a zip with a dummy bootstrap per function, enough
// for `serverless package`, and returns their folder.
func placeholderZips(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range lambdaFunctions {
		writeZip(t, filepath.Join(dir, fn+".zip"), []byte("#!/bin/sh\n"))
	}
	return dir
}

// writeZip writes a Lambda deployment zip holding one executable, bootstrap.
func writeZip(t *testing.T, path string, bootstrap []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(bootstrap)
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// packageTemplate packages stage into a temporary folder (not .serverless,
// so tests never race a developer's `make package`) and returns the template
// and its path.
func packageTemplate(t *testing.T, stage string) (cfnTemplate, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "package")
	serverless(t, []string{"JOKEBOX_BUILD_DIR=" + placeholderZips(t)}, "package", "--stage", stage, "--region", "us-east-1", "--package", out)
	path := filepath.Join(out, "cloudformation-template-update-stack.json")
	return readTemplate(t, path), path
}

func readTemplate(t *testing.T, path string) cfnTemplate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tpl cfnTemplate
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return tpl
}

// ---------------------------------------------------------------- moto deploy

// stackResources is what deployLocal deployed into a fresh moto_server.
//
// After deployLocal returns, Lambda API calls reach moto's docker-less
// backend: Invoke of any function name succeeds and echoes the payload, but
// GetFunction and the event source mappings don't see the stack's functions
// (moto keeps CloudFormation's functions in its other Lambda backend). The
// indexer's SQS event source mapping is disabled, so S3 notifications stay
// in the queue for `jokebox index --queue-url` to consume.
type stackResources struct {
	// Endpoint is moto_server's URL, for AWS_ENDPOINT_URL.
	Endpoint string
	// Region is the stack's region.
	Region string
	// StackName is the CloudFormation stack, jokebox-local.
	StackName string
	// Bucket is the audio bucket, with notifications to Queue applied.
	Bucket string
	// QueueURL and QueueARN name the indexer's queue.
	QueueURL, QueueARN string
	// DeadLetterQueueURL is the queue's dead-letter queue.
	DeadLetterQueueURL string
	// Parameter is the name of the SSM parameter holding the manifest pointer.
	Parameter string
	// Functions maps "skill", "indexer" and "rotator" to function names.
	Functions map[string]string
	// FunctionEnv maps "skill", "indexer" and "rotator" to the environment
	// variables the stack gave each function.
	FunctionEnv map[string]map[string]string
	// AWS is an SDK configuration for moto_server.
	AWS aws.Config
}

// Env returns environment variables ("K=V") to run a jokebox command as the
// deployed function fn would run: its environment plus moto's endpoint and
// test credentials. fn may be empty for only the AWS settings.
func (r stackResources) Env(fn string) []string {
	env := []string{
		"AWS_ENDPOINT_URL=" + r.Endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + r.Region,
	}
	keys := make([]string, 0, len(r.FunctionEnv[fn]))
	for k := range r.FunctionEnv[fn] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+r.FunctionEnv[fn][k])
	}
	return env
}

// S3 returns a path-style S3 client for moto_server.
func (r stackResources) S3() *s3.Client {
	return s3.NewFromConfig(r.AWS, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// deployLocal builds the three functions, starts moto_server on a free port,
// deploys the `local` stage into it with osls, and applies the bucket's
// notifications by API (moto ignores NotificationConfiguration in
// CloudFormation). It skips with -short. Setting JOKEBOX_E2E_BUILD_DIR to a
// folder holding skill.zip, indexer.zip and rotator.zip (from `make build`)
// skips the build.
func deployLocal(t *testing.T) stackResources {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the moto_server deploy with -short")
	}
	serverlessBin(t)
	ctx := t.Context()

	start := time.Now()
	zips := lambdaZips(t)
	t.Logf("deployLocal: build functions: %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	endpoint := motoserver.Start(t)
	t.Logf("deployLocal: moto_server ready: %v", time.Since(start).Round(time.Millisecond))

	res := stackResources{Endpoint: endpoint, Region: "us-east-1", StackName: "jokebox-local"}
	start = time.Now()
	pkg := filepath.Join(t.TempDir(), "package")
	// Poll CloudFormation every 250 ms instead of osls's default 5 s.
	env := append(res.Env(""), "JOKEBOX_BUILD_DIR="+zips, "SLS_AWS_MONITORING_FREQUENCY=250")
	serverless(t, env, "package", "--stage", "local", "--region", res.Region, "--package", pkg)
	serverless(t, env, "deploy", "--stage", "local", "--region", res.Region, "--package", pkg)
	t.Logf("deployLocal: serverless package + deploy --stage local: %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(res.Region),
		config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
	)
	if err != nil {
		t.Fatal(err)
	}
	res.AWS = cfg
	physical := describeStackResources(t, cfg, endpoint, res.StackName)
	id := func(logical string) string {
		t.Helper()
		v, ok := physical[logical]
		if !ok || v == "" {
			t.Fatalf("stack %s has no resource %s (has %v)", res.StackName, logical, physical)
		}
		return v
	}
	res.Bucket = id("AudioBucket")
	res.Parameter = id("ManifestParameter")
	res.Functions = map[string]string{}
	for _, fn := range lambdaFunctions {
		res.Functions[fn] = id(strings.ToUpper(fn[:1]) + fn[1:] + "LambdaFunction")
	}

	// Moto's physical ID for a queue is an AWS-style URL; ask for the URL
	// that reaches moto.
	sqsc := sqs.NewFromConfig(cfg)
	queueURL := func(logical string) string {
		t.Helper()
		name := id(logical)
		name = name[strings.LastIndex(name, "/")+1:]
		out, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetQueueUrl %s: %v", name, err)
		}
		return aws.ToString(out.QueueUrl)
	}
	res.QueueURL = queueURL("IndexQueue")
	res.DeadLetterQueueURL = queueURL("IndexDeadLetterQueue")
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(res.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	res.QueueARN = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]

	// While moto's Lambda API still reaches CloudFormation's functions: read
	// their environment, and disable the indexer's event source mapping,
	// which moto would run on every SendMessage (deleting the messages).
	lc := lambda.NewFromConfig(cfg)
	res.FunctionEnv = map[string]map[string]string{}
	for fn, name := range res.Functions {
		out, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration %s: %v", name, err)
		}
		res.FunctionEnv[fn] = map[string]string{}
		if out.Environment != nil {
			res.FunctionEnv[fn] = out.Environment.Variables
		}
	}
	// (Moto ignores ListEventSourceMappings' FunctionName filter when given a name.)
	mappings, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatalf("ListEventSourceMappings: %v", err)
	}
	var disabled int
	for _, m := range mappings.EventSourceMappings {
		if !strings.HasSuffix(aws.ToString(m.FunctionArn), ":function:"+res.Functions["indexer"]) ||
			aws.ToString(m.EventSourceArn) != res.QueueARN {
			continue
		}
		if _, err := lc.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: m.UUID, Enabled: aws.Bool(false)}); err != nil {
			t.Fatalf("UpdateEventSourceMapping: %v", err)
		}
		disabled++
	}
	if disabled != 1 {
		t.Fatalf("found %d event source mappings from %s to %s; want 1", disabled, res.QueueARN, res.Functions["indexer"])
	}
	motoPost(t, endpoint, "/moto-api/config", `{"lambda":{"use_docker":false}}`)

	applyNotifications(t, res, readTemplate(t, filepath.Join(pkg, "cloudformation-template-update-stack.json")))
	t.Logf("deployLocal: resources, mapping, notifications: %v", time.Since(start).Round(time.Millisecond))
	return res
}

// lambdaZips returns a folder with skill.zip, indexer.zip and rotator.zip:
// JOKEBOX_E2E_BUILD_DIR if set, else freshly built for linux/arm64.
func lambdaZips(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("JOKEBOX_E2E_BUILD_DIR"); dir != "" {
		for _, fn := range lambdaFunctions {
			if _, err := os.Stat(filepath.Join(dir, fn+".zip")); err != nil {
				t.Fatalf("JOKEBOX_E2E_BUILD_DIR: %v", err)
			}
		}
		return dir
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin + string(filepath.Separator)}
	for _, fn := range lambdaFunctions {
		args = append(args, "./functions/"+fn)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, fn := range lambdaFunctions {
		b, err := os.ReadFile(filepath.Join(bin, fn))
		if err != nil {
			t.Fatal(err)
		}
		writeZip(t, filepath.Join(dir, fn+".zip"), b)
	}
	return dir
}

// motoPost posts a JSON body to one of moto's own endpoints.
func motoPost(t *testing.T, endpoint, path, body string) {
	t.Helper()
	resp, err := http.Post(endpoint+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s %s", path, resp.Status, b)
	}
}

// describeStackResources maps the stack's logical resource IDs to physical
// IDs. go.mod has no CloudFormation client, so this is one query-protocol
// call signed with the SDK's SigV4 signer. Moto can return null Outputs after
// an update, which is why the names come from the resources.
func describeStackResources(t *testing.T, cfg aws.Config, endpoint, stack string) map[string]string {
	t.Helper()
	ctx := t.Context()
	body := url.Values{"Action": {"DescribeStackResources"}, "Version": {"2010-05-15"}, "StackName": {stack}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hash := fmt.Sprintf("%x", sha256.Sum256([]byte(body)))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "cloudformation", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("DescribeStackResources: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DescribeStackResources: %s %v\n%s", resp.Status, err, b)
	}
	var out struct {
		Resources []struct {
			LogicalResourceID  string `xml:"LogicalResourceId"`
			PhysicalResourceID string `xml:"PhysicalResourceId"`
			ResourceStatus     string `xml:"ResourceStatus"`
		} `xml:"DescribeStackResourcesResult>StackResources>member"`
	}
	if err := xml.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode DescribeStackResources: %v\n%s", err, b)
	}
	m := map[string]string{}
	for _, r := range out.Resources {
		if strings.HasSuffix(r.ResourceStatus, "_FAILED") {
			t.Errorf("stack resource %s is %s", r.LogicalResourceID, r.ResourceStatus)
		}
		m[r.LogicalResourceID] = r.PhysicalResourceID
	}
	return m
}

// applyNotifications puts the template's bucket notification rules on the
// deployed bucket, with the deployed queue's ARN.
func applyNotifications(t *testing.T, res stackResources, tpl cfnTemplate) {
	t.Helper()
	type notificationProps struct {
		NotificationConfiguration struct {
			QueueConfigurations []struct {
				Event  string
				Queue  any
				Filter struct {
					S3Key struct {
						Rules []struct{ Name, Value string }
					}
				}
			}
		}
	}
	n := props[notificationProps](t, tpl, "AudioBucket").NotificationConfiguration
	var qcs []s3types.QueueConfiguration
	for _, q := range n.QueueConfigurations {
		if got := render(q.Queue); got != "${IndexQueue.Arn}" {
			t.Fatalf("notification to %s; want ${IndexQueue.Arn}", got)
		}
		var rules []s3types.FilterRule
		for _, r := range q.Filter.S3Key.Rules {
			rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleName(r.Name), Value: aws.String(r.Value)})
		}
		qcs = append(qcs, s3types.QueueConfiguration{
			QueueArn: aws.String(res.QueueARN),
			Events:   []s3types.Event{s3types.Event(q.Event)},
			Filter:   &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}},
		})
	}
	_, err := res.S3().PutBucketNotificationConfiguration(t.Context(), &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(res.Bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: qcs},
	})
	if err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
}

// drain receives and deletes every message now in the queue and returns
// each as "EventName key" (keys URL-decoded), or the test event's name.
func drain(t *testing.T, c *sqs.Client, queueURL string) []string {
	t.Helper()
	var got []string
	for {
		out, err := c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			slices.Sort(got)
			return got
		}
		for _, m := range out.Messages {
			var n index.Notification // events.S3Event, read as moto sends it
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatalf("decode message %s: %v", aws.ToString(m.Body), err)
			}
			if n.Event != "" {
				got = append(got, n.Event)
			}
			for _, r := range n.Records {
				kind, _, _ := strings.Cut(r.EventName, ":")
				got = append(got, kind+" "+r.S3.Object.URLDecodedKey)
			}
			if _, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
}

// TestDeployLocal deploys the stack into moto_server and checks that the
// pieces are wired: the parameter's placeholder, the queue's redrive, and
// that audio uploads (any case of extension) reach the queue while manifest
// objects and other files do not.
func TestDeployLocal(t *testing.T) {
	t.Parallel()
	start := time.Now()
	res := deployLocal(t)
	t.Logf("deployLocal total: %v", time.Since(start).Round(time.Millisecond))
	ctx := t.Context()
	sqsc := sqs.NewFromConfig(res.AWS)

	t.Run("parameter", func(t *testing.T) {
		out, err := ssm.NewFromConfig(res.AWS).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(res.Parameter)})
		if err != nil {
			t.Fatalf("GetParameter %s: %v", res.Parameter, err)
		}
		if got := aws.ToString(out.Parameter.Value); got != `{"version":0}` {
			t.Errorf("parameter %s = %s; want {\"version\":0}", res.Parameter, got)
		}
		if got := res.FunctionEnv["skill"]["JOKEBOX_MANIFEST_PARAM"]; got != res.Parameter {
			t.Errorf("skill JOKEBOX_MANIFEST_PARAM = %q; want %q", got, res.Parameter)
		}
	})

	t.Run("listeners table", func(t *testing.T) {
		// The table the skill's environment names exists, keyed by the
		// string "listener".
		name := res.FunctionEnv["skill"]["JOKEBOX_LISTENERS_TABLE"]
		if name == "" {
			t.Fatal("the skill function has no JOKEBOX_LISTENERS_TABLE")
		}
		db := dynamodb.NewFromConfig(res.AWS)
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTable %s: %v", name, err)
		}
		ks := out.Table.KeySchema
		if len(ks) != 1 || aws.ToString(ks[0].AttributeName) != listeners.AttrListener || ks[0].KeyType != dbtypes.KeyTypeHash {
			t.Errorf("key schema %+v; want listener HASH", ks)
		}
		// TTL: TestTemplate checks the template's TimeToLiveSpecification;
		// moto 5.2.1's CloudFormation does not apply it (DescribeTimeToLive
		// says DISABLED), as it ignores the bucket's notifications.
	})

	t.Run("queue", func(t *testing.T) {
		out, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(res.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		var redrive struct {
			MaxReceiveCount json.Number `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(out.Attributes["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("RedrivePolicy %q: %v", out.Attributes["RedrivePolicy"], err)
		}
		if redrive.MaxReceiveCount != "5" || out.Attributes["VisibilityTimeout"] != "180" {
			t.Errorf("queue maxReceiveCount %s, VisibilityTimeout %s; want 5, 180", redrive.MaxReceiveCount, out.Attributes["VisibilityTimeout"])
		}
	})

	t.Run("notifications", func(t *testing.T) {
		s3c := res.S3()
		put := func(key string) {
			t.Helper()
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(res.Bucket), Key: aws.String(key), Body: strings.NewReader("x")})
			if err != nil {
				t.Fatalf("PutObject %s: %v", key, err)
			}
		}
		start := time.Now()
		for _, key := range []string{
			"_jokebox/manifests/not-a-manifest.jbx", "_jokebox/not-a-pointer.json", "notes.txt", "song.ogg", "mp3",
			"jokes/Uno Dos.MP3", "b/clip.M4a", "c.aac",
		} {
			put(key)
		}
		want := []string{"ObjectCreated b/clip.M4a", "ObjectCreated c.aac", "ObjectCreated jokes/Uno Dos.MP3", "s3:TestEvent"}
		if diff := cmp.Diff(want, drain(t, sqsc, res.QueueURL)); diff != "" {
			t.Errorf("messages after uploads (-want +got):\n%s", diff)
		}
		if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(res.Bucket), Key: aws.String("jokes/Uno Dos.MP3")}); err != nil {
			t.Fatal(err)
		}
		want = []string{"ObjectRemoved jokes/Uno Dos.MP3"}
		if diff := cmp.Diff(want, drain(t, sqsc, res.QueueURL)); diff != "" {
			t.Errorf("messages after delete (-want +got):\n%s", diff)
		}
		t.Logf("uploads to messages: %v", time.Since(start).Round(time.Millisecond))
	})
	t.Run("flow", func(t *testing.T) { deployedFlow(t, res) })
}
