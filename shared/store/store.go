// Package store keeps the manifest in the audio bucket and its pointer in
// SSM (or in S3 when no parameter is configured).
//
// Each manifest version is its own object, created with If-None-Match: * so
// that exactly one writer can publish version N+1: a writer that loses the
// race loads the winner's version, reapplies its change and tries N+2. A
// 412 may also answer the SDK's retry of a put whose first attempt created
// the version, so a writer told 412 reads the version back before taking
// it for a rival's. The pointer object in S3 is the authority on which
// version is current and only moves forward (If-Match compare-and-set).
// The SSM parameter is a cache of the pointer for the skill: it may lag,
// and readers never go backwards.
package store

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/jokebox/jokebox/internal/retry"
	"github.com/jokebox/jokebox/shared/apierr"
	"github.com/jokebox/jokebox/shared/manifest"
)

// conflictBackoff spaces a writer's attempts after losing a conditional
// write: short waits, since the winner is done by the time it lost.
var conflictBackoff = retry.Backoff{Base: 40 * time.Millisecond, Max: 320 * time.Millisecond}

// PointerKey is where the authoritative pointer is kept in the bucket.
const PointerKey = manifest.Prefix + "pointer.json"

// ErrNoManifest reports a bucket where no manifest was published yet. It
// wraps manifest.ErrEmpty, which is how the skill tells "nothing to play
// yet" from trouble.
var ErrNoManifest = fmt.Errorf("no manifest published yet: %w", manifest.ErrEmpty)

// S3 is what the store needs of an S3 client.
type S3 interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// SSM is what the store needs of an SSM client.
type SSM interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Store reads and publishes manifests.
type Store struct {
	s3     S3
	ssm    SSM // nil: the pointer is read from S3
	bucket string
	param  string
	log    *slog.Logger
	now    func() time.Time

	// MaxAttempts bounds how often Update retries after losing a race.
	MaxAttempts int
}

// New returns a store for bucket. With param empty (or ssmClient nil) the
// pointer is read from the bucket instead of SSM.
func New(s3Client S3, ssmClient SSM, bucket, param string, log *slog.Logger) *Store {
	if param == "" {
		ssmClient = nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{s3: s3Client, ssm: ssmClient, bucket: bucket, param: param, log: log, now: time.Now, MaxAttempts: 25}
}

// Bucket is the audio bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Pointer returns the current pointer as readers see it: from SSM when a
// parameter is configured, else from the bucket.
func (s *Store) Pointer(ctx context.Context) (manifest.Pointer, error) {
	if s.ssm == nil {
		p, _, err := s.s3Pointer(ctx)
		return p, err
	}
	out, err := s.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.param)})
	if err != nil {
		if apierr.IsNotFound(err) {
			return manifest.Pointer{}, ErrNoManifest
		}
		return manifest.Pointer{}, fmt.Errorf("read parameter %s: %w", s.param, err)
	}
	v := aws.ToString(out.Parameter.Value)
	if isPlaceholder(v) {
		return manifest.Pointer{}, ErrNoManifest
	}
	p, err := manifest.DecodePointer([]byte(v))
	if err != nil {
		return p, fmt.Errorf("parameter %s: %w", s.param, err)
	}
	return p, nil
}

// isPlaceholder reports the value a deployment puts in the parameter before
// the first manifest exists.
func isPlaceholder(v string) bool {
	return v == "" || v == "-" || v == `{"version":0}`
}

// Fetch loads the manifest a pointer names and checks it against the
// pointer's size and checksum.
func (s *Store) Fetch(ctx context.Context, p manifest.Pointer) (*manifest.Manifest, error) {
	b, err := s.get(ctx, p.Key, p.Size)
	if err != nil {
		return nil, fmt.Errorf("load manifest v%d: %w", p.Version, err)
	}
	if sum := manifest.Checksum(b); sum != p.Checksum {
		return nil, fmt.Errorf("load manifest v%d: %w: checksum %s, pointer says %s", p.Version, manifest.ErrCorrupt, sum, p.Checksum)
	}
	m, err := manifest.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("load manifest v%d: %w", p.Version, err)
	}
	if m.Version != p.Version {
		return nil, fmt.Errorf("load manifest v%d: %w: object holds v%d", p.Version, manifest.ErrCorrupt, m.Version)
	}
	return m, nil
}

// Load returns the latest published manifest according to the bucket's
// pointer, or ErrNoManifest.
func (s *Store) Load(ctx context.Context) (*manifest.Manifest, error) {
	p, _, err := s.s3Pointer(ctx)
	if err != nil {
		return nil, err
	}
	return s.Fetch(ctx, p)
}

// Update applies edit to the latest manifest and publishes the result as
// the next version. edit may be called several times, each time on a newer
// manifest, and must observe what it needs (the bucket's state) inside the
// call so that a retry sees fresh state. It reports whether it changed m,
// leaving m as it was when not; then no version is published (except v1:
// the skill needs a manifest). Update returns the manifest it published, or
// the current one when edit changed nothing.
func (s *Store) Update(ctx context.Context, edit func(ctx context.Context, m *manifest.Manifest) (changed bool, err error)) (*manifest.Manifest, error) {
	return s.update(ctx, edit, false)
}

// Rebuild is Update starting from an empty manifest when the current one is
// missing or corrupt, instead of failing.
func (s *Store) Rebuild(ctx context.Context, edit func(ctx context.Context, m *manifest.Manifest) (changed bool, err error)) (*manifest.Manifest, error) {
	return s.update(ctx, edit, true)
}

func (s *Store) update(ctx context.Context, edit func(context.Context, *manifest.Manifest) (bool, error), rebuild bool) (*manifest.Manifest, error) {
	m, err := s.base(ctx, rebuild)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		base := m.Version
		changed, err := edit(ctx, m)
		if err != nil {
			return nil, err
		}
		if !changed && base > 0 {
			// "Nothing to change" holds only against the newest
			// version: if another writer published since m was
			// loaded, look again on top of that one.
			newer, err := s.newer(ctx, base)
			if err != nil {
				return nil, err
			}
			if newer == nil || attempt >= s.MaxAttempts {
				return m, nil
			}
			m = newer
			continue
		}
		m.Version = base + 1
		m.Created = s.now().UTC()
		b := m.Encode()
		// Decode before publishing: a version readers would refuse must
		// never become current. The result is also a copy that shares
		// nothing with edit's.
		published, err := manifest.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("manifest v%d not published: %w", m.Version, err)
		}
		key := manifest.ObjectKey(m.Version)
		err = s.putNew(ctx, key, b)
		if apierr.IsConflict(err) {
			// The SDK retries a PutObject whose answer was lost (a
			// connection reset, a 5xx sent after the write): when the
			// first attempt created the object, the retry gets 412 and
			// this writer would take its own version for a rival's,
			// never move the pointer to it, and report a later
			// version as its own. What is stored tells.
			mine, rerr := s.holds(ctx, key, b)
			if rerr != nil {
				return nil, fmt.Errorf("publish manifest v%d: after %w: %w", m.Version, err, rerr)
			}
			if mine {
				s.log.WarnContext(ctx, "manifest put answered with a conflict after a retry, but the version is ours", "version", m.Version)
				err = nil
			}
		}
		if err == nil {
			p := manifest.PointerFor(m, b)
			// The version is written: finish moving the pointer even if
			// the caller is being cancelled, so that a version never
			// exists that its writer reported as not published.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := s.advance(actx, p)
			cancel()
			if err != nil {
				return nil, err
			}
			s.log.InfoContext(ctx, "manifest published", "version", p.Version, "entries", p.Entries, "playlists", p.Playlists, "rejected", p.Rejected, "attempt", attempt)
			return published, nil
		}
		if !apierr.IsConflict(err) {
			return nil, fmt.Errorf("publish manifest v%d: %w", m.Version, err)
		}
		if attempt >= s.MaxAttempts {
			return nil, fmt.Errorf("publish manifest: lost the race %d times: %w", attempt, err)
		}
		s.log.DebugContext(ctx, "manifest version taken, retrying", "version", m.Version, "attempt", attempt)
		if err := retry.Sleep(ctx, conflictBackoff.Delay(attempt)); err != nil {
			return nil, fmt.Errorf("publish manifest v%d: %w", m.Version, err)
		}
		if m, err = s.latest(ctx, base+1, rebuild); err != nil {
			return nil, err
		}
	}
}

// latest loads the manifest a writer that lost the race to publish version
// taken builds on next: the newest of taken and the pointer's version. Were
// it to step one version at a time, a writer that sleeps between attempts
// would fall further behind busy writers at each one and never catch up.
func (s *Store) latest(ctx context.Context, taken int64, rebuild bool) (*manifest.Manifest, error) {
	v := taken
	if p, _, err := s.s3Pointer(ctx); err == nil && p.Version > v {
		v = p.Version
	}
	m, err := s.fetchKey(ctx, v)
	if err != nil && v == taken && apierr.IsNotFound(err) {
		// A 409 ConditionalRequestConflict: the winner's object is not
		// visible yet. Start again from the pointer.
		return s.base(ctx, rebuild)
	}
	return m, err
}

// newer returns the current manifest if its version is past base, else
// nil. A pointer behind base, a version that exists (the writer built on
// it), means that base's writer stopped between writing it and moving the
// pointer (a crash, a timeout, an error after the write): newer moves the
// pointer to base, or a change found already made there would stay
// unseen until the next publish.
func (s *Store) newer(ctx context.Context, base int64) (*manifest.Manifest, error) {
	p, _, err := s.s3Pointer(ctx)
	if errors.Is(err, ErrNoManifest) {
		p, err = manifest.Pointer{}, nil
	}
	switch {
	case err != nil:
		return nil, err
	case p.Version < base:
		s.log.WarnContext(ctx, "manifest version never made current, moving the pointer to it", "version", base, "pointer", p.Version)
		return nil, s.catchUp(ctx, base)
	case p.Version == base:
		return nil, nil
	}
	return s.Fetch(ctx, p)
}

// catchUp moves the pointer to version v, read from its object.
func (s *Store) catchUp(ctx context.Context, v int64) error {
	b, err := s.get(ctx, manifest.ObjectKey(v), -1)
	if err != nil {
		return fmt.Errorf("load manifest v%d: %w", v, err)
	}
	m, err := manifest.Decode(b)
	if err != nil {
		return fmt.Errorf("load manifest v%d: %w", v, err)
	}
	return s.advance(ctx, manifest.PointerFor(m, b))
}

// base loads the manifest an update starts from.
func (s *Store) base(ctx context.Context, rebuild bool) (*manifest.Manifest, error) {
	p, _, err := s.s3Pointer(ctx)
	if errors.Is(err, ErrNoManifest) {
		return manifest.New(), nil
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Fetch(ctx, p)
	if err == nil || !rebuild || !(errors.Is(err, manifest.ErrCorrupt) || apierr.IsNotFound(err)) {
		return m, err
	}
	s.log.ErrorContext(ctx, "manifest unreadable, rebuilding from the bucket", "version", p.Version, "err", err)
	m = manifest.New()
	m.Version = p.Version
	return m, nil
}

// fetchKey loads version v by its object key, for a writer that lost the
// race to publish v and must build on it.
func (s *Store) fetchKey(ctx context.Context, v int64) (*manifest.Manifest, error) {
	b, err := s.get(ctx, manifest.ObjectKey(v), -1)
	if err != nil {
		return nil, fmt.Errorf("load manifest v%d: %w", v, err)
	}
	m, err := manifest.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("load manifest v%d: %w", v, err)
	}
	return m, nil
}

// advance moves the bucket's pointer to p unless it is already at p or
// beyond, then refreshes the SSM cache.
func (s *Store) advance(ctx context.Context, p manifest.Pointer) error {
	body, err := manifest.EncodePointer(p)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		cur, etag, err := s.s3Pointer(ctx)
		if err != nil && !errors.Is(err, ErrNoManifest) && !errors.Is(err, manifest.ErrCorrupt) {
			return err
		}
		if err == nil && cur.Version >= p.Version {
			p = cur // another writer is ahead: copy its pointer, never an older one
			break
		}
		in := &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(PointerKey), Body: bytes.NewReader(body), ContentType: aws.String("application/json")}
		if etag == "" {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = aws.String(etag)
		}
		_, err = s.s3.PutObject(ctx, in)
		if err == nil {
			break
		}
		if !apierr.IsConflict(err) || attempt >= s.MaxAttempts {
			return fmt.Errorf("move pointer to v%d: %w", p.Version, err)
		}
		if err := retry.Sleep(ctx, conflictBackoff.Delay(attempt)); err != nil {
			return fmt.Errorf("move pointer to v%d: %w", p.Version, err)
		}
	}
	return s.syncParameter(ctx, p)
}

// syncParameter copies the pointer into SSM. SSM has no compare-and-set, so
// after writing it checks the bucket's pointer and writes again if another
// writer moved it further meanwhile: the last writer to check leaves the
// newest pointer.
func (s *Store) syncParameter(ctx context.Context, p manifest.Pointer) error {
	if s.ssm == nil {
		return nil
	}
	for range 3 {
		body, err := manifest.EncodePointer(p)
		if err != nil {
			return err
		}
		_, err = s.ssm.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(s.param), Value: aws.String(string(body)), Overwrite: aws.Bool(true), Type: ssmtypes.ParameterTypeString,
		})
		if err != nil {
			return fmt.Errorf("write parameter %s: %w", s.param, err)
		}
		cur, _, err := s.s3Pointer(ctx)
		if err != nil || cur.Version <= p.Version {
			return nil
		}
		p = cur
	}
	return nil
}

// s3Pointer reads the authoritative pointer and its ETag.
func (s *Store) s3Pointer(ctx context.Context) (manifest.Pointer, string, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(PointerKey)})
	if err != nil {
		if apierr.IsNotFound(err) {
			return manifest.Pointer{}, "", ErrNoManifest
		}
		return manifest.Pointer{}, "", fmt.Errorf("read pointer: %w", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, manifest.MaxPointerSize+1))
	if err != nil {
		return manifest.Pointer{}, "", fmt.Errorf("read pointer: %w", err)
	}
	etag := aws.ToString(out.ETag)
	p, err := manifest.DecodePointer(b)
	if err != nil {
		return p, etag, err
	}
	return p, etag, nil
}

func (s *Store) get(ctx context.Context, key string, size int64) ([]byte, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	n := aws.ToInt64(out.ContentLength)
	if size >= 0 && n != size {
		return nil, fmt.Errorf("%w: object is %d bytes, pointer says %d", manifest.ErrCorrupt, n, size)
	}
	if n <= 0 || n > 1<<31 {
		return io.ReadAll(out.Body)
	}
	b := make([]byte, n) // exact size: a million-entry manifest is read once, not regrown
	if _, err := io.ReadFull(out.Body, b); err != nil {
		return nil, err
	}
	return b, nil
}

// holds reports whether the object at key is exactly b. It asks with
// If-Match on b's MD5, the ETag S3 gives a single-part upload without
// SSE-KMS (the bucket uses SSE-S3), so that a rival's version is refused
// without its body being sent; a match is then compared byte for byte.
func (s *Store) holds(ctx context.Context, key string, b []byte) (bool, error) {
	sum := md5.Sum(b)
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, IfMatch: aws.String(`"` + hex.EncodeToString(sum[:]) + `"`)})
	if err != nil {
		if apierr.IsConflict(err) || apierr.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("read back %s: %w", key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(io.LimitReader(out.Body, int64(len(b))+1))
	if err != nil {
		return false, fmt.Errorf("read back %s: %w", key, err)
	}
	return bytes.Equal(got, b), nil
}

func (s *Store) putNew(ctx context.Context, key string, b []byte) error {
	_, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(b), IfNoneMatch: aws.String("*"),
		ContentType: aws.String("application/vnd.jokebox.manifest"),
	})
	return err
}
