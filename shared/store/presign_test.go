package store

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

var presignKeys = []string{
	"a.mp3",
	"folder/sub folder/otro chiste.mp3",
	"folder/otro+chiste.mp3",
	"ñandú/canción.MP3",
	"100%.mp3",
	"what?.mp3",
	"a&b=c;d,e.mp3",
	`quote"'.mp3`,
	"hash#frag.mp3",
	"~tilde/._x-y_.mp3",
	"deep/a/b/c/d.mp3",
	"emoji 😀.mp3",
	"paren (1) [2] {3} @$!*.mp3",
	"tab\tand\nnewline.mp3",
}

type presignCase struct {
	name      string
	endpoint  string
	pathStyle bool
	creds     aws.Credentials
}

func presignCases() []presignCase {
	plain := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	session := plain
	session.AccessKeyID = "ASIAEXAMPLE"
	session.SessionToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc/def=="
	return []presignCase{
		{"aws virtual-hosted", "", false, plain},
		{"aws virtual-hosted with session token", "", false, session},
		{"aws path-style", "", true, plain},
		{"emulator path-style", "http://127.0.0.1:4566", true, plain},
		{"emulator path-style with session token", "http://127.0.0.1:4566", true, session},
		{"custom endpoint virtual-hosted", "https://s3.example.test", false, session},
		{"endpoint with its scheme's default port", "https://s3.example.test:443", true, plain},
		{"endpoint with a path", "http://127.0.0.1:4566/", true, plain},
	}
}

const (
	presignRegion = "eu-west-1"
	presignBucket = "my-jokes"
	presignTTL    = 90 * time.Minute
)

var presignTime = time.Date(2026, 11, 23, 14, 49, 56, 0, time.UTC)

func newTestPresigner(t *testing.T, c presignCase) *Presigner {
	t.Helper()
	p, err := NewPresigner(credentials.StaticCredentialsProvider{Value: c.creds}, PresignOptions{
		Region: presignRegion, Bucket: presignBucket, Endpoint: c.endpoint, PathStyle: c.pathStyle, TTL: presignTTL,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return presignTime.In(time.FixedZone("CET", 3600)) }
	return p
}

// TestPresignMatchesSigner checks our signature against the SDK's SigV4
// signer computing over the same request.
func TestPresignMatchesSigner(t *testing.T) {
	t.Parallel()
	for _, c := range presignCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPresigner(t, c)
			for _, key := range presignKeys {
				ours, err := p.Sign(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				u, err := url.Parse(ours)
				if err != nil {
					t.Fatalf("Sign(%q) = %q, not a URL: %v", key, ours, err)
				}
				unsigned := *u
				unsigned.RawQuery = "X-Amz-Expires=" + u.Query().Get("X-Amz-Expires") + "&x-id=GetObject"
				req, err := http.NewRequest(http.MethodGet, unsigned.String(), nil)
				if err != nil {
					t.Fatal(err)
				}
				signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
				sdk, _, err := signer.PresignHTTP(context.Background(), c.creds, req, "UNSIGNED-PAYLOAD", "s3", presignRegion, presignTime)
				if err != nil {
					t.Fatal(err)
				}
				su, err := url.Parse(sdk)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := u.Query().Get("X-Amz-Signature"), su.Query().Get("X-Amz-Signature"); got != want || got == "" {
					t.Errorf("key %q: signature %q; the SDK signer gives %q\nours %s\nsdk  %s", key, got, want, ours, sdk)
				}
				if diff := cmp.Diff(su.Query(), u.Query()); diff != "" {
					t.Errorf("key %q: query (-sdk +ours):\n%s", key, diff)
				}
			}
		})
	}
}

// fixedTimeSigner is the SDK's SigV4 presigner with the signing time
// pinned, so the presign client's URL can be compared whole.
type fixedTimeSigner struct{ *v4.Signer }

func (s fixedTimeSigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return s.Signer.PresignHTTP(ctx, c, r, payloadHash, service, region, presignTime, optFns...)
}

// TestPresignMatchesPresignClient checks our URL against the one
// s3.PresignClient.PresignGetObject builds: same host, path and query
// parameters, signature included.
func TestPresignMatchesPresignClient(t *testing.T) {
	t.Parallel()
	for _, c := range presignCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPresigner(t, c)
			cfg := aws.Config{Region: presignRegion, Credentials: credentials.StaticCredentialsProvider{Value: c.creds}}
			if c.endpoint != "" {
				cfg.BaseEndpoint = aws.String(c.endpoint)
			}
			client := s3.NewPresignClient(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.pathStyle }), func(o *s3.PresignOptions) {
				o.Expires = presignTTL
				o.Presigner = fixedTimeSigner{v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })}
			})
			unpinned := s3.NewPresignClient(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.pathStyle }), s3.WithPresignExpires(presignTTL))
			for _, key := range presignKeys {
				ours, err := p.Sign(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				// The SDK's default presigner, at its own time: same
				// URL but for the date, and so the signature.
				def, err := unpinned.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(presignBucket), Key: aws.String(key)})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(withoutDate(t, def.URL), withoutDate(t, ours)); diff != "" {
					t.Errorf("key %q: URL but for date and signature (-sdk +ours):\n%s", key, diff)
				}
				req, err := client.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(presignBucket), Key: aws.String(key)})
				if err != nil {
					t.Fatal(err)
				}
				if req.Method != http.MethodGet {
					t.Errorf("SDK method %s", req.Method)
				}
				u, _ := url.Parse(ours)
				su, err := url.Parse(req.URL)
				if err != nil {
					t.Fatal(err)
				}
				if u.Scheme != su.Scheme || u.Host != su.Host || u.EscapedPath() != su.EscapedPath() {
					t.Errorf("key %q: URL\nours %s\nsdk  %s", key, ours, req.URL)
				}
				if diff := cmp.Diff(su.Query(), u.Query()); diff != "" {
					t.Errorf("key %q: query (-sdk +ours):\n%s\nours %s\nsdk  %s", key, diff, ours, req.URL)
				}
				for h := range req.SignedHeader {
					if !strings.EqualFold(h, "Host") {
						t.Errorf("SDK signs header %s, which a player's GET would not send", h)
					}
				}
			}
		})
	}
}

// withoutDate returns a presigned URL's parts without its date, the
// credential's date and the signature.
func withoutDate(t *testing.T, raw string) map[string]any {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("X-Amz-Date")
	q.Del("X-Amz-Signature")
	if c := strings.Split(q.Get("X-Amz-Credential"), "/"); len(c) == 5 {
		c[1] = "DATE"
		q.Set("X-Amz-Credential", strings.Join(c, "/"))
	}
	return map[string]any{"scheme": u.Scheme, "host": u.Host, "path": u.EscapedPath(), "query": q}
}

func TestPresignerTTL(t *testing.T) {
	t.Parallel()
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	for _, tt := range []struct {
		ttl time.Duration
		ok  bool
	}{
		{time.Second, true},
		{time.Hour, true},
		{7 * 24 * time.Hour, true},
		{7*24*time.Hour + time.Second, false},
		{0, false},
		{-time.Hour, false},
	} {
		p, err := NewPresigner(creds, PresignOptions{Region: "us-east-1", Bucket: "b", TTL: tt.ttl})
		if (err == nil) != tt.ok {
			t.Errorf("NewPresigner(TTL %v) error %v; want ok=%v", tt.ttl, err, tt.ok)
		}
		if err == nil && p.TTL() != tt.ttl {
			t.Errorf("TTL() = %v; want %v", p.TTL(), tt.ttl)
		}
	}
	if _, err := NewPresigner(creds, PresignOptions{Region: "us-east-1", Bucket: "b", TTL: time.Hour, Endpoint: "not a url"}); err == nil {
		t.Error("NewPresigner accepted endpoint \"not a url\"")
	}
}

func TestPresignSigningKeyFollowsDateAndCredentials(t *testing.T) {
	t.Parallel()
	c := presignCases()[0]
	p := newTestPresigner(t, c)
	first, _ := p.Sign(context.Background(), "a.mp3")
	p.now = func() time.Time { return presignTime.Add(24 * time.Hour) }
	nextDay, _ := p.Sign(context.Background(), "a.mp3")
	if first == nextDay {
		t.Error("a new day signs the same URL")
	}
	// Back to the first day: the cached key must be re-derived, not reused.
	p.now = func() time.Time { return presignTime }
	if again, _ := p.Sign(context.Background(), "a.mp3"); again != first {
		t.Errorf("same request, different URLs:\n%s\n%s", first, again)
	}
}

func BenchmarkPresign(b *testing.B) {
	p, err := NewPresigner(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "TOKEN"), PresignOptions{Region: "us-east-1", Bucket: "b", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Sign(ctx, "folder-07/some-joke-name-0012345.mp3"); err != nil {
			b.Fatal(err)
		}
	}
}
