package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
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
	"/leading/slash",
	"trailing/",
	"a//b/./../c",
	"\x00\x7f\xff",
	strings.Repeat("long/", 200) + "x.mp3",
}

var (
	presignTime  = time.Date(2026, 11, 23, 14, 49, 56, 0, time.UTC)
	plainCreds   = aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	sessionCreds = aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
		SessionToken: "FwoGZXIvYXdzEJr//////////wEaDP+abc/def=="}
)

// presignConfig is one configuration of the S3 client the presigner
// serves.
type presignConfig struct {
	region, bucket, endpoint string
	pathStyle, dualStack     bool
	fips, accelerate         bool
	checksum                 bool // ResponseChecksumValidation when_supported, as config.LoadDefaultConfig sets it
	creds                    aws.Credentials
}

func (c presignConfig) String() string {
	return fmt.Sprintf("%s/%s/endpoint=%q/path=%v/dualstack=%v/fips=%v/accelerate=%v/checksum=%v/token=%v",
		c.region, c.bucket, c.endpoint, c.pathStyle, c.dualStack, c.fips, c.accelerate, c.checksum, c.creds.SessionToken != "")
}

func (c presignConfig) client() *s3.Client {
	cfg := aws.Config{Region: c.region, Credentials: credentials.StaticCredentialsProvider{Value: c.creds}}
	if c.checksum {
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
		o.UsePathStyle = c.pathStyle
		o.UseAccelerate = c.accelerate
		if c.dualStack {
			o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
		if c.fips {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
	})
}

// presignMatrix generates the configurations: every partition, bucket
// names with dots, uppercase and dashes, path and virtual-host style,
// dual-stack, FIPS, accelerate, emulator and custom endpoints (with a
// default port, with a path), with and without a session token.
func presignMatrix() []presignConfig {
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-5", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1"}
	buckets := []string{"my-jokes", "my.jokes", "MyJokes", "a.b-c.d", "xn--jokes-9ya", "jokes.s3"}
	endpoints := []string{"", "http://127.0.0.1:4566", "http://localhost:9000/", "https://s3.example.test:443", "https://minio.example.test/base/"}
	type flags struct{ dualStack, fips, accelerate bool }
	variants := []flags{{}, {dualStack: true}, {fips: true}, {dualStack: true, fips: true}, {accelerate: true}}
	var out []presignConfig
	i := 0
	for _, region := range regions {
		for _, bucket := range buckets {
			for _, endpoint := range endpoints {
				for _, v := range variants {
					for _, pathStyle := range []bool{false, true} {
						creds := plainCreds
						if i%2 == 1 {
							creds = sessionCreds
						}
						out = append(out, presignConfig{region: region, bucket: bucket, endpoint: endpoint, pathStyle: pathStyle,
							dualStack: v.dualStack, fips: v.fips, accelerate: v.accelerate, checksum: i%3 != 0, creds: creds})
						i++
					}
				}
			}
		}
	}
	return out
}

// TestPresignMatrix is the differential test: for every configuration of
// the matrix, the presigner's URL for every awkward key equals the SDK's
// PresignGetObject's byte for byte (both at the same fixed time), or both
// refuse the configuration. It reports how many configurations the fast
// path serves; the rest fall back to the SDK.
func TestPresignMatrix(t *testing.T) {
	t.Parallel()
	matrix := presignMatrix()
	step := 1
	if testing.Short() {
		step = 7 // a spread of the matrix; all of it without -short
	}
	fast, sdk, refused := 0, 0, 0
	for i := 0; i < len(matrix); i += step {
		c := matrix[i]
		client := c.client()
		p, err := NewPresigner(client, c.bucket, time.Hour)
		want := presignClient(client, time.Hour, func() time.Time { return presignTime })
		if err != nil {
			_, sdkErr := want.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String("a.mp3")})
			if sdkErr == nil {
				t.Errorf("%v: NewPresigner: %v; the SDK presigns", c, err)
			}
			refused++
			continue
		}
		p.now = func() time.Time { return presignTime }
		if p.fast {
			fast++
		} else {
			sdk++
		}
		for _, key := range presignKeys {
			got, err := p.Sign(context.Background(), key)
			if err != nil {
				t.Fatalf("%v: Sign(%q): %v", c, key, err)
			}
			w, err := want.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("%v: SDK PresignGetObject(%q): %v", c, key, err)
			}
			if got != w.URL {
				t.Errorf("%v (fast path %v): key %q:\nours %s\nsdk  %s", c, p.fast, key, got, w.URL)
			}
		}
	}
	t.Logf("%d configurations: fast path %d, SDK %d, refused by the SDK %d", fast+sdk+refused, fast, sdk, refused)
	if fast == 0 {
		t.Error("the fast path serves no configuration")
	}
}

// TestPresignFastPathWhereItMatters checks that the configurations jokebox
// runs in keep the fast path (the warm-path budget depends on it), and that
// the cases it cannot model fall back to the SDK.
func TestPresignFastPathWhereItMatters(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    presignConfig
		fast bool
	}{
		{presignConfig{region: "us-east-1", bucket: "jokebox-audio", checksum: true, creds: sessionCreds}, true}, // Lambda
		{presignConfig{region: "eu-west-1", bucket: "my.jokes", creds: plainCreds}, true},                        // path style, as the SDK chooses
		{presignConfig{region: "cn-north-1", bucket: "jokes", creds: plainCreds}, true},
		{presignConfig{region: "us-gov-west-1", bucket: "jokes", fips: true, dualStack: true, creds: plainCreds}, true},
		{presignConfig{region: "us-east-1", bucket: "jokes", endpoint: "http://127.0.0.1:4566", pathStyle: true, creds: plainCreds}, true}, // emulators
		{presignConfig{region: "us-east-1", bucket: "arn:aws:s3:us-east-1:123456789012:accesspoint/jokes", creds: plainCreds}, false},
		{presignConfig{region: "us-east-1", bucket: "jokes--use1-az4--x-s3", creds: plainCreds}, false},
	} {
		p, err := NewPresigner(tt.c.client(), tt.c.bucket, time.Hour)
		if err != nil {
			t.Errorf("%v: %v", tt.c, err)
			continue
		}
		if p.fast != tt.fast {
			t.Errorf("%v: fast path %v; want %v", tt.c, p.fast, tt.fast)
		}
	}
	anon := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	if p, err := NewPresigner(anon, "jokes", time.Hour); err != nil || p.fast {
		t.Errorf("anonymous credentials: fast path %v, %v; want the SDK", p != nil && p.fast, err)
	}
}

// TestPresignDottedBucket is the case that sent devices to a host whose
// certificate did not match: a bucket with dots gets the SDK's URL (path
// style), not bucket.s3.region.amazonaws.com.
func TestPresignDottedBucket(t *testing.T) {
	t.Parallel()
	c := presignConfig{region: "eu-west-1", bucket: "my.jokes", creds: plainCreds}
	p, err := NewPresigner(c.client(), c.bucket, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return presignTime }
	got, err := p.Sign(context.Background(), "a.mp3")
	if err != nil {
		t.Fatal(err)
	}
	w, err := presignClient(c.client(), time.Hour, p.now).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String("a.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	if got != w.URL || !strings.HasPrefix(got, "https://s3.eu-west-1.amazonaws.com/my.jokes/a.mp3?") {
		t.Errorf("dotted bucket:\nours %s\nsdk  %s", got, w.URL)
	}
}

// TestPresignEndpointFromEnv checks AWS_ENDPOINT_URL_S3, which the SDK
// reads when the client is built from a loaded configuration.
func TestPresignEndpointFromEnv(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "https://s3.internal.example.test:8443")
	t.Setenv("AWS_ENDPOINT_URL", "http://wrong.example.test")
	t.Setenv("AWS_ACCESS_KEY_ID", plainCreds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", plainCreds.SecretAccessKey)
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	p, err := NewPresigner(client, "jokes", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Sign(context.Background(), "a b.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "https://s3.internal.example.test:8443/jokes/a%20b.mp3?") || !p.fast {
		t.Errorf("with AWS_ENDPOINT_URL_S3 (fast path %v): %s", p.fast, got)
	}
}

// TestPresignMatchesUnpinnedSDK checks that the clock the comparisons pin
// changes nothing else: the SDK's default presigner, at its own time,
// gives the same URL but for the date and signature.
func TestPresignMatchesUnpinnedSDK(t *testing.T) {
	t.Parallel()
	for _, c := range []presignConfig{
		{region: "eu-west-1", bucket: "my-jokes", creds: sessionCreds},
		{region: "us-east-1", bucket: "jokes", endpoint: "http://127.0.0.1:4566", pathStyle: true, creds: plainCreds},
	} {
		p, err := NewPresigner(c.client(), c.bucket, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		def := s3.NewPresignClient(c.client(), s3.WithPresignExpires(time.Hour))
		for _, key := range presignKeys {
			ours, err := p.Sign(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			w, err := def.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(withoutDate(t, w.URL), withoutDate(t, ours)); diff != "" {
				t.Errorf("%v key %q: URL but for date and signature (-sdk +ours):\n%s", c, key, diff)
			}
		}
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

// FuzzPresign compares the fast path with the SDK over any key, in a
// virtual-host, a path-style and an emulator configuration.
func FuzzPresign(f *testing.F) {
	for _, k := range presignKeys {
		f.Add(k, uint8(0))
	}
	f.Add("", uint8(1))
	configs := []presignConfig{
		{region: "eu-west-1", bucket: "my-jokes", checksum: true, creds: sessionCreds},
		{region: "eu-west-1", bucket: "my.jokes", creds: plainCreds},
		{region: "us-east-1", bucket: "jokes", endpoint: "http://127.0.0.1:4566", pathStyle: true, creds: plainCreds},
	}
	type pair struct {
		p   *Presigner
		sdk *s3.PresignClient
	}
	pairs := make([]pair, len(configs))
	for i, c := range configs {
		p, err := NewPresigner(c.client(), c.bucket, time.Hour)
		if err != nil || !p.fast {
			f.Fatalf("%v: fast path %v, %v", c, p != nil && p.fast, err)
		}
		p.now = func() time.Time { return presignTime }
		pairs[i] = pair{p, presignClient(c.client(), time.Hour, p.now)}
	}
	f.Fuzz(func(t *testing.T, key string, which uint8) {
		pr := pairs[int(which)%len(pairs)]
		got, err := pr.p.Sign(context.Background(), key)
		w, sdkErr := pr.sdk.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: &pr.p.bucket, Key: &key})
		if (err != nil) != (sdkErr != nil) {
			t.Fatalf("key %q: ours %v, SDK %v", key, err, sdkErr)
		}
		if err == nil && got != w.URL {
			t.Fatalf("key %q:\nours %s\nsdk  %s", key, got, w.URL)
		}
	})
}

func TestPresignerTTL(t *testing.T) {
	t.Parallel()
	client := presignConfig{region: "us-east-1", creds: plainCreds}.client()
	for _, tt := range []struct {
		ttl time.Duration
		ok  bool
	}{
		{time.Second, true},
		{time.Hour, true},
		{7 * 24 * time.Hour, true},
		{7*24*time.Hour + time.Second, false},
		{time.Second - 1, false},
		{0, false},
		{-time.Hour, false},
	} {
		p, err := NewPresigner(client, "b", tt.ttl)
		if (err == nil) != tt.ok {
			t.Errorf("NewPresigner(TTL %v) error %v; want ok=%v", tt.ttl, err, tt.ok)
		}
		if err == nil && p.TTL() != tt.ttl {
			t.Errorf("TTL() = %v; want %v", p.TTL(), tt.ttl)
		}
	}
}

func TestPresignSigningKeyFollowsDateAndCredentials(t *testing.T) {
	t.Parallel()
	p, err := NewPresigner(presignConfig{region: "eu-west-1", creds: plainCreds}.client(), "my-jokes", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return presignTime }
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
	// New credentials (a rotated role session) sign differently.
	p.creds = credentials.StaticCredentialsProvider{Value: sessionCreds}
	if rotated, _ := p.Sign(context.Background(), "a.mp3"); rotated == first || !strings.Contains(rotated, "X-Amz-Security-Token=") {
		t.Errorf("rotated credentials: %s", rotated)
	}
}

// BenchmarkPresign measures one URL from the fast path and from the SDK's
// PresignGetObject on the same client: the figures behind keeping a fast
// path (docs/performance.md).
func BenchmarkPresign(b *testing.B) {
	c := presignConfig{region: "us-east-1", bucket: "jokebox-audio", checksum: true, creds: sessionCreds}
	p, err := NewPresigner(c.client(), c.bucket, time.Hour)
	if err != nil || !p.fast {
		b.Fatalf("fast path %v, %v", p != nil && p.fast, err)
	}
	ctx := context.Background()
	const key = "folder-07/some-joke-name-0012345.mp3"
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Sign(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.sdk.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &p.bucket, Key: aws.String(key)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
