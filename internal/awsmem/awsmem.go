// Package awsmem is an in-memory S3 and SSM for tests: the few operations
// jokebox's store and indexer call, with the SDK's exact signatures and
// S3's semantics where they matter to correctness. PutObject honours
// If-None-Match: * and If-Match (412 PreconditionFailed, 404 NoSuchKey for
// If-Match on a missing key), GetObject honours If-Match and Range (206),
// HeadObject answers 404 NotFound, ListObjectsV2 pages; errors have the
// shape the SDK gives them (an *awshttp.ResponseError carrying the status
// code and the API error), so code that tells 404, 409 and 412 apart works
// the same on both. TestAgainstMoto runs one script on this package and on
// moto_server and compares every answer, so the two cannot drift.
//
// A Hook runs before each operation, outside the lock: it injects faults
// (return Err(...)) or lets another writer act at a chosen moment.
package awsmem

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Hook is called before each operation with its name ("PutObject") and the
// key or parameter name; a non-nil error fails the operation with it.
type Hook func(ctx context.Context, op, key string) error

// Err builds the error the SDK returns for an S3 or SSM error answer: an
// *smithy.OperationError wrapping an *awshttp.ResponseError with status and
// an API error with code.
func Err(service, op string, status int, code, msg string) error {
	var api error
	switch code {
	case "NoSuchKey":
		api = &s3types.NoSuchKey{Message: &msg}
	case "NotFound":
		api = &s3types.NotFound{Message: &msg}
	case "NoSuchBucket":
		api = &s3types.NoSuchBucket{Message: &msg}
	case "ParameterNotFound":
		api = &ssmtypes.ParameterNotFound{Message: &msg}
	case "ParameterAlreadyExists":
		api = &ssmtypes.ParameterAlreadyExists{Message: &msg}
	default:
		api = &smithy.GenericAPIError{Code: code, Message: msg}
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: api},
		RequestID:     "awsmem",
	}}
}

type object struct {
	body        []byte
	etag        string // quoted, as S3 sends it
	contentType string
	modified    time.Time
}

// S3 is an in-memory object store with S3's conditional writes.
type S3 struct {
	mu      sync.Mutex
	buckets map[string]map[string]object

	// Hook, when not nil, runs before each operation.
	Hook Hook
}

// NewS3 returns a store holding the given empty buckets.
func NewS3(buckets ...string) *S3 {
	s := &S3{buckets: map[string]map[string]object{}}
	for _, b := range buckets {
		s.buckets[b] = map[string]object{}
	}
	return s
}

func (s *S3) hook(ctx context.Context, op, key string) error {
	if s.Hook == nil {
		return nil
	}
	return s.Hook(ctx, op, key)
}

func s3Err(op string, status int, code, msg string) error { return Err("S3", op, status, code, msg) }

// bucket returns the named bucket; the caller holds s.mu.
func (s *S3) bucket(op string, name *string) (map[string]object, error) {
	b, ok := s.buckets[aws.ToString(name)]
	if !ok {
		return nil, s3Err(op, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	return b, nil
}

// CreateBucket adds an empty bucket.
func (s *S3) CreateBucket(ctx context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	if err := s.hook(ctx, "CreateBucket", ""); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[aws.ToString(in.Bucket)]; ok {
		return nil, s3Err("CreateBucket", http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
	}
	s.buckets[aws.ToString(in.Bucket)] = map[string]object{}
	return &s3.CreateBucketOutput{}, nil
}

// PutObject stores an object. With IfNoneMatch "*" it fails with 412 when
// the key exists; with IfMatch, with 412 when the ETag differs and 404 when
// there is no object.
func (s *S3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	const op = "PutObject"
	key := aws.ToString(in.Key)
	if err := s.hook(ctx, op, key); err != nil {
		return nil, err
	}
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = io.ReadAll(in.Body); err != nil {
			return nil, &smithy.OperationError{ServiceID: "S3", OperationName: op, Err: err}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	cur, exists := b[key]
	if in.IfNoneMatch != nil {
		if aws.ToString(in.IfNoneMatch) != "*" {
			return nil, s3Err(op, http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
		}
		if exists {
			return nil, s3Err(op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		}
	}
	if in.IfMatch != nil {
		if !exists {
			return nil, s3Err(op, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		}
		if !etagMatch(aws.ToString(in.IfMatch), cur.etag) {
			return nil, s3Err(op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		}
	}
	sum := md5.Sum(body)
	o := object{body: body, etag: `"` + hex.EncodeToString(sum[:]) + `"`, contentType: aws.ToString(in.ContentType), modified: time.Now().UTC()}
	if o.contentType == "" {
		o.contentType = "binary/octet-stream"
	}
	b[key] = o
	return &s3.PutObjectOutput{ETag: aws.String(o.etag)}, nil
}

// etagMatch compares an If-Match value with a stored ETag; S3 accepts the
// value with or without its quotes.
func etagMatch(cond, etag string) bool {
	return cond == "*" || strings.Trim(cond, `"`) == strings.Trim(etag, `"`)
}

// lookup finds an object for a read and checks IfMatch; the caller holds s.mu.
func (s *S3) lookup(op string, bucket, key, ifMatch *string) (object, error) {
	b, err := s.bucket(op, bucket)
	if err != nil {
		return object{}, err
	}
	o, ok := b[aws.ToString(key)]
	if !ok {
		if op == "HeadObject" {
			return object{}, s3Err(op, http.StatusNotFound, "NotFound", "Not Found")
		}
		return object{}, s3Err(op, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	}
	if ifMatch != nil && !etagMatch(aws.ToString(ifMatch), o.etag) {
		return object{}, s3Err(op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	}
	return o, nil
}

// GetObject returns an object, or the part of it Range names.
func (s *S3) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	const op = "GetObject"
	if err := s.hook(ctx, op, aws.ToString(in.Key)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	o, err := s.lookup(op, in.Bucket, in.Key, in.IfMatch)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := &s3.GetObjectOutput{ETag: aws.String(o.etag), ContentType: aws.String(o.contentType), LastModified: aws.Time(o.modified)}
	body := o.body
	if in.Range != nil {
		first, last, ok := parseRange(aws.ToString(in.Range), int64(len(o.body)))
		if !ok {
			return nil, s3Err(op, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
		}
		body = o.body[first : last+1]
		out.ContentRange = aws.String(fmt.Sprintf("bytes %d-%d/%d", first, last, len(o.body)))
	}
	out.ContentLength = aws.Int64(int64(len(body)))
	out.Body = io.NopCloser(bytes.NewReader(slices.Clone(body)))
	return out, nil
}

// parseRange reads one "bytes=first-last", "bytes=first-" or "bytes=-n"
// range over size bytes, clamping last as S3 does.
func parseRange(r string, size int64) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(r, "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !found || !dash || strings.Contains(b, ",") {
		return 0, 0, false
	}
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 || first >= size {
		return 0, 0, false
	}
	last = size - 1
	if b != "" {
		l, err := strconv.ParseInt(b, 10, 64)
		if err != nil || l < first {
			return 0, 0, false
		}
		last = min(l, size-1)
	}
	return first, last, true
}

// HeadObject returns an object's metadata; a missing key is 404 NotFound.
func (s *S3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	const op = "HeadObject"
	if err := s.hook(ctx, op, aws.ToString(in.Key)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	o, err := s.lookup(op, in.Bucket, in.Key, in.IfMatch)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ETag: aws.String(o.etag), ContentLength: aws.Int64(int64(len(o.body))), ContentType: aws.String(o.contentType), LastModified: aws.Time(o.modified)}, nil
}

// DeleteObject removes an object; deleting a missing key succeeds, as on S3.
func (s *S3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	const op = "DeleteObject"
	if err := s.hook(ctx, op, aws.ToString(in.Key)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	delete(b, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

// ListObjectsV2 lists keys in UTF-8 byte order, MaxKeys (default 1,000) a
// page, from StartAfter or the ContinuationToken.
func (s *S3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	const op = "ListObjectsV2"
	if err := s.hook(ctx, op, aws.ToString(in.Prefix)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	limit := int(aws.ToInt32(in.MaxKeys))
	if in.MaxKeys == nil || limit > 1000 {
		limit = 1000
	}
	after := aws.ToString(in.StartAfter)
	if in.ContinuationToken != nil {
		after = aws.ToString(in.ContinuationToken)
	}
	keys := make([]string, 0, len(b))
	for k := range b {
		if strings.HasPrefix(k, aws.ToString(in.Prefix)) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := &s3.ListObjectsV2Output{Name: in.Bucket, Prefix: in.Prefix, MaxKeys: aws.Int32(int32(limit)), IsTruncated: aws.Bool(false), ContinuationToken: in.ContinuationToken}
	if len(keys) > limit {
		keys = keys[:limit]
		out.IsTruncated = aws.Bool(true)
		out.NextContinuationToken = aws.String(keys[limit-1])
	}
	for _, k := range keys {
		o := b[k]
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), ETag: aws.String(o.etag), Size: aws.Int64(int64(len(o.body))), LastModified: aws.Time(o.modified), StorageClass: s3types.ObjectStorageClassStandard})
	}
	out.KeyCount = aws.Int32(int32(len(out.Contents)))
	return out, nil
}

// SSM is an in-memory Parameter Store: parameters with versions.
type SSM struct {
	mu     sync.Mutex
	params map[string]ssmtypes.Parameter

	// Hook, when not nil, runs before each operation.
	Hook Hook
}

// NewSSM returns an empty parameter store.
func NewSSM() *SSM { return &SSM{params: map[string]ssmtypes.Parameter{}} }

// GetParameter returns a parameter; a missing one is ParameterNotFound.
func (p *SSM) GetParameter(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	name := aws.ToString(in.Name)
	if p.Hook != nil {
		if err := p.Hook(ctx, "GetParameter", name); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.params[name]
	if !ok {
		return nil, Err("SSM", "GetParameter", http.StatusBadRequest, "ParameterNotFound", "")
	}
	return &ssm.GetParameterOutput{Parameter: &v}, nil
}

// PutParameter creates a parameter, or with Overwrite replaces it as a new
// version; without Overwrite an existing one is ParameterAlreadyExists.
func (p *SSM) PutParameter(ctx context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	name := aws.ToString(in.Name)
	if p.Hook != nil {
		if err := p.Hook(ctx, "PutParameter", name); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, ok := p.params[name]
	if ok && !aws.ToBool(in.Overwrite) {
		return nil, Err("SSM", "PutParameter", http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	typ := in.Type
	if typ == "" {
		typ = cur.Type
	}
	v := ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(aws.ToString(in.Value)), Type: typ, Version: cur.Version + 1, LastModifiedDate: aws.Time(time.Now().UTC()), DataType: aws.String("text")}
	p.params[name] = v
	return &ssm.PutParameterOutput{Version: v.Version, Tier: ssmtypes.ParameterTierStandard}, nil
}
