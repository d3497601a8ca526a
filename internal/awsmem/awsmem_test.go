package awsmem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
)

// objects is the part of the S3 API the script drives.
type objects interface {
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

type parameters interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

var (
	_ objects    = (*s3.Client)(nil)
	_ objects    = (*S3)(nil)
	_ parameters = (*ssm.Client)(nil)
	_ parameters = (*SSM)(nil)
)

// outcome describes an answer the way the code under test reads it: the
// HTTP status and API error code of a failure, the fields of a success.
func outcome(err error, fields ...any) string {
	if err != nil {
		var re *awshttp.ResponseError
		var api smithy.APIError
		if !errors.As(err, &re) || !errors.As(err, &api) {
			return "untyped error: " + err.Error()
		}
		return fmt.Sprintf("error %d %s", re.HTTPStatusCode(), api.ErrorCode())
	}
	return fmt.Sprint(fields...)
}

// script runs the same calls on any implementation and returns one
// outcome per step.
func script(ctx context.Context, c objects, p parameters) []string {
	const bucket = "jokes"
	b := aws.String(bucket)
	var out []string
	step := func(name string, s string) { out = append(out, name+": "+s) }
	put := func(name, key, body string, mod func(*s3.PutObjectInput)) {
		in := &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("application/json")}
		if mod != nil {
			mod(in)
		}
		o, err := c.PutObject(ctx, in)
		if err != nil {
			step(name, outcome(err))
			return
		}
		step(name, outcome(nil, "etag ", aws.ToString(o.ETag)))
	}
	get := func(name, key string, mod func(*s3.GetObjectInput)) {
		in := &s3.GetObjectInput{Bucket: b, Key: aws.String(key)}
		if mod != nil {
			mod(in)
		}
		o, err := c.GetObject(ctx, in)
		if err != nil {
			step(name, outcome(err))
			return
		}
		body, rerr := io.ReadAll(o.Body)
		o.Body.Close()
		step(name, outcome(rerr, "etag ", aws.ToString(o.ETag), " length ", aws.ToInt64(o.ContentLength), " range ", aws.ToString(o.ContentRange), " body ", string(body)))
	}
	head := func(name, key string) {
		o, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String(key)})
		if err != nil {
			step(name, outcome(err))
			return
		}
		step(name, outcome(nil, "etag ", aws.ToString(o.ETag), " length ", aws.ToInt64(o.ContentLength)))
	}
	list := func(name string, maxKeys int32) {
		in := &s3.ListObjectsV2Input{Bucket: b, MaxKeys: aws.Int32(maxKeys)}
		var pages []string
		for {
			o, err := c.ListObjectsV2(ctx, in)
			if err != nil {
				step(name, outcome(err))
				return
			}
			var keys []string
			for _, obj := range o.Contents {
				keys = append(keys, fmt.Sprintf("%s %s %d", aws.ToString(obj.Key), aws.ToString(obj.ETag), aws.ToInt64(obj.Size)))
			}
			pages = append(pages, strings.Join(keys, ", "))
			if !aws.ToBool(o.IsTruncated) {
				break
			}
			in.ContinuationToken = o.NextContinuationToken
		}
		step(name, strings.Join(pages, " | "))
	}

	get("get from a missing bucket", "a", nil)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		step("create bucket", outcome(err))
	}
	get("get a missing key", "a", nil)
	head("head a missing key", "a")
	put("create with If-None-Match", "p.json", `{"version":1}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	put("create again with If-None-Match", "p.json", `{"version":2}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	get("get it", "p.json", nil)
	put("If-Match with a stale ETag", "p.json", `{"version":2}`, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) })
	put("If-Match on a missing key", "nothing.json", `{}`, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) })
	// The current ETag, read back and used as a client would.
	if o, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("p.json")}); err == nil {
		etag := aws.ToString(o.ETag)
		put("If-Match with the ETag just read", "p.json", `{"version":3}`, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
		put("If-Match with that ETag again", "p.json", `{"version":4}`, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
		get("get with a stale If-Match", "p.json", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag) })
	}
	put("plain put", "audio/a b.mp3", "0123456789", nil)
	put("empty object", "audio/empty.mp3", "", nil)
	head("head it", "audio/a b.mp3")
	get("range inside", "audio/a b.mp3", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=2-5") })
	get("range past the end", "audio/a b.mp3", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=0-99") })
	get("suffix range", "audio/a b.mp3", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=-3") })
	get("range after the end", "audio/a b.mp3", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=20-30") })
	get("range with If-Match", "audio/a b.mp3", func(in *s3.GetObjectInput) {
		in.Range = aws.String("bytes=0-3")
		in.IfMatch = aws.String(`"781e5e245d69b566979b86e28d23f2c7"`)
	})
	for i := range 5 {
		put("fill", fmt.Sprintf("folder/%d.mp3", i), strings.Repeat("x", i), nil)
	}
	list("list in pages of 3", 3)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("folder/2.mp3")}); err != nil {
		step("delete", outcome(err))
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("never-there")}); err != nil {
		step("delete a missing key", outcome(err))
	}
	head("head the deleted key", "folder/2.mp3")
	list("list after the delete", 1000)

	param := func(name string, err error, fields ...any) { step(name, outcome(err, fields...)) }
	_, err := p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/jokebox/p")})
	param("get a missing parameter", err)
	for i, overwrite := range []bool{false, false, true} {
		o, err := p.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/jokebox/p"), Value: aws.String(fmt.Sprint(i)), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(overwrite)})
		if err != nil {
			param(fmt.Sprintf("put %d", i), err)
			continue
		}
		param(fmt.Sprintf("put %d", i), nil, "version ", o.Version)
	}
	g, err := p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/jokebox/p")})
	if err != nil {
		param("get", err)
	} else {
		param("get", nil, aws.ToString(g.Parameter.Value), " version ", g.Parameter.Version)
	}
	return out
}

// TestAgainstMoto is the fake's oracle: the same script on moto_server and
// on this package must give the same answers, step by step.
func TestAgainstMoto(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(motoserver.Start(t))
	ctx := context.Background()
	want := script(ctx, motoserver.S3(cfg), ssm.NewFromConfig(cfg))
	mem := NewS3()
	got := script(ctx, mem, NewSSM())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("awsmem differs from moto_server (-moto +awsmem):\n%s", diff)
	}
}

// TestScript checks the fake's answers on its own under -short, where
// moto_server is not run: the conditional writes in particular.
func TestScript(t *testing.T) {
	t.Parallel()
	got := script(context.Background(), NewS3(), NewSSM())
	for _, want := range []string{
		"get from a missing bucket: error 404 NoSuchBucket",
		"create again with If-None-Match: error 412 PreconditionFailed",
		"If-Match with a stale ETag: error 412 PreconditionFailed",
		"If-Match on a missing key: error 404 NoSuchKey",
		"If-Match with that ETag again: error 412 PreconditionFailed",
		"get with a stale If-Match: error 412 PreconditionFailed",
		`range inside: etag "781e5e245d69b566979b86e28d23f2c7" length 4 range bytes 2-5/10 body 2345`,
		"range after the end: error 416 InvalidRange",
		"head the deleted key: error 404 NotFound",
		"put 1: error 400 ParameterAlreadyExists",
		"get: 2 version 2",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("script has no step %q; got:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestHook checks that a hook's error fails the operation it names.
func TestHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewS3("b")
	s.Hook = func(_ context.Context, op, key string) error {
		if op == "PutObject" && key == "k" {
			return Err("S3", op, 409, "ConditionalRequestConflict", "conflict")
		}
		return nil
	}
	_, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if got := outcome(err); got != "error 409 ConditionalRequestConflict" {
		t.Errorf("PutObject with a failing hook: %s", got)
	}
	if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("other"), Body: strings.NewReader("x")}); err != nil {
		t.Errorf("PutObject of another key: %v", err)
	}
}
