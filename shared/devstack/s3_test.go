package devstack

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// serveS3 serves an embedded S3 behind a dev server, as `jokebox dev`
// does, and returns the server's base URL, the S3 and an in-process client.
func serveS3(t *testing.T, bucket string) (base string, objects *S3, client *s3.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	objects, err := NewS3(bucket)
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + srv.Listener.Addr().String()
	client = objects.Client(Endpoint(base))
	h, err := Handler(testSkill, func(context.Context) Info { return Info{} }, discard, Options{Objects: objects, MediaOrigins: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	return base, objects, client
}

func put(t *testing.T, client *s3.Client, bucket, key, body, contentType string) {
	t.Helper()
	if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String(contentType)}); err != nil {
		t.Fatal(err)
	}
}

func presign(t *testing.T, client *s3.Client, bucket, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(client).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

func do(t *testing.T, method, u string, header map[string]string) (*http.Response, string) {
	t.Helper()
	r, err := http.NewRequest(method, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPresignedRangeGet: a URL the SDK presigns with the run's credentials
// plays, Range requests included, through the dev server.
func TestPresignedRangeGet(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, _, client := serveS3(t, bucket)
	body := strings.Repeat("0123456789", 100)
	put(t, client, bucket, "animales/el pato.mp3", body, "audio/mpeg")
	u := presign(t, client, bucket, "animales/el pato.mp3")
	tests := []struct {
		name, rng    string
		status       int
		want, cRange string
	}{
		{"whole", "", http.StatusOK, body, ""},
		{"range", "bytes=10-19", http.StatusPartialContent, body[10:20], "bytes 10-19/1000"},
		{"open range", "bytes=990-", http.StatusPartialContent, body[990:], "bytes 990-999/1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.rng != "" {
				h["Range"] = tt.rng
			}
			resp, got := do(t, http.MethodGet, u, h)
			if resp.StatusCode != tt.status || got != tt.want {
				t.Errorf("GET %s = %d %.40q; want %d %.40q", tt.rng, resp.StatusCode, got, tt.status, tt.want)
			}
			if cr := resp.Header.Get("Content-Range"); cr != tt.cRange {
				t.Errorf("Content-Range = %q; want %q", cr, tt.cRange)
			}
			if ar := resp.Header.Get("Accept-Ranges"); ar != "bytes" {
				t.Errorf("Accept-Ranges = %q; want bytes", ar)
			}
		})
	}
}

// TestS3Keys: awkward keys (the presigner's own proof keys) play from their
// presigned URLs.
func TestS3Keys(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, _, client := serveS3(t, bucket)
	for _, key := range []string{"folder/sub folder/otro+chiste.mp3", "ñandú/canción.MP3", "100%.mp3", "what?#&=;,.mp3", `quote"'~._-.mp3`, "emoji 😀 (1) [2] {3} @$!*.mp3"} {
		put(t, client, bucket, key, "audio of "+key, "audio/mpeg")
		resp, got := do(t, http.MethodGet, presign(t, client, bucket, key), nil)
		if resp.StatusCode != http.StatusOK || got != "audio of "+key {
			t.Errorf("GET %q = %d %q; want 200 and its body", key, resp.StatusCode, got)
		}
	}
}

// TestS3Refuses: the network gets nothing from the embedded S3 but
// presigned GETs of objects: the audit listed, read and wrote objects with
// plain requests, and read them cross-origin through the CORS wildcard.
func TestS3Refuses(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	base, objects, client := serveS3(t, bucket)
	put(t, client, bucket, "a.mp3", "private audio", "audio/mpeg")
	signed := presign(t, client, bucket, "a.mp3")
	su, _ := url.Parse(signed)
	tamper := func(f func(q url.Values)) string {
		u := *su
		q := u.Query()
		f(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	other, err := NewS3(bucket) // another run: another secret
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, url string
		header            map[string]string
	}{
		{"list", "GET", base + "/s3/" + bucket + "/", nil},
		{"list v2", "GET", base + "/s3/" + bucket + "?list-type=2", nil},
		{"buckets", "GET", base + "/s3/", nil},
		{"unsigned GET", "GET", base + "/s3/" + bucket + "/a.mp3", nil},
		{"PUT", "PUT", base + "/s3/" + bucket + "/evil.mp3", nil},
		{"signed URL as PUT", "PUT", signed, nil},
		{"DELETE", "DELETE", signed, nil},
		{"POST", "POST", base + "/s3/" + bucket + "/?delete", nil},
		{"HEAD", "HEAD", signed, nil},
		{"preflight", "OPTIONS", base + "/s3/" + bucket + "/a.mp3", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}},
		{"other key", "GET", strings.Replace(signed, "/a.mp3?", "/b.mp3?", 1), nil},
		{"bad signature", "GET", tamper(func(q url.Values) { q.Set("X-Amz-Signature", strings.Repeat("0", 64)) }), nil},
		{"longer expiry", "GET", tamper(func(q url.Values) { q.Set("X-Amz-Expires", "604800") }), nil},
		{"other run's secret", "GET", presign(t, other.Client(Endpoint(base)), bucket, "a.mp3"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.url, tt.header)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s = %d %.80q; want 403", tt.method, tt.url, resp.StatusCode, body)
			}
			if a := resp.Header.Get("Access-Control-Allow-Origin"); a != "" {
				t.Errorf("Access-Control-Allow-Origin: %s", a)
			}
		})
	}
	if _, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("evil.mp3")}); err == nil {
		t.Error("evil.mp3 was written")
	}

	t.Run("expired", func(t *testing.T) {
		objects.now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) }
		defer func() { objects.now = time.Now }()
		if resp, _ := do(t, "GET", signed, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET an hour-long URL an hour later = %d; want 403", resp.StatusCode)
		}
	})
	t.Run("signed", func(t *testing.T) {
		resp, body := do(t, "GET", signed, map[string]string{"Origin": "http://evil.example"})
		if resp.StatusCode != http.StatusOK || body != "private audio" {
			t.Errorf("GET presigned = %d %q; want 200", resp.StatusCode, body)
		}
		if a := resp.Header.Get("Access-Control-Allow-Origin"); a != "" {
			t.Errorf("Access-Control-Allow-Origin: %s; want none", a)
		}
	})
}

// TestS3AudioType: an object is served as audio whatever type it was
// stored with; the audit's uploaded HTML came back as text/html.
func TestS3AudioType(t *testing.T) {
	t.Parallel()
	const bucket = "media"
	_, _, client := serveS3(t, bucket)
	const page = "<html><script>alert(1)</script></html>"
	tests := []struct{ key, stored, want string }{
		{"evil.html", "text/html", "audio/mpeg"},
		{"evil.mp3", "text/html; charset=utf-8", "audio/mpeg"},
		{"evil.m4a", "text/html", "audio/mp4"},
		{"evil.svg", "image/svg+xml", "audio/mpeg"},
		{"ok.ogg", "audio/ogg", "audio/ogg"},
	}
	for _, tt := range tests {
		put(t, client, bucket, tt.key, page, tt.stored)
		resp, _ := do(t, "GET", presign(t, client, bucket, tt.key), nil)
		if got := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || got != tt.want {
			t.Errorf("%s stored as %s: served %d %q; want 200 %q", tt.key, tt.stored, resp.StatusCode, got, tt.want)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q; want nosniff", tt.key, got)
		}
	}
}

// FuzzS3Check: whatever path and query a request has, checking it never
// panics, and only a URL signed with the run's key for that very key is
// accepted.
func FuzzS3Check(f *testing.F) {
	objects, err := NewS3("media")
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	objects.now = func() time.Time { return at }
	const base = "http://127.0.0.1:8080"
	client := objects.Client(Endpoint(base))
	sign := func(key string) string {
		req, err := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
			o.Presigner = fixedTime{objects.signer, at}
		}).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			f.Fatal(err)
		}
		return req.URL
	}
	for _, key := range []string{"a.mp3", "ñandú/canción.MP3", "100%.mp3", "what?#&=;,.mp3"} {
		u, _ := url.Parse(sign(key))
		f.Add(u.EscapedPath(), u.RawQuery)
		f.Add(u.EscapedPath()+"x", u.RawQuery)
		f.Add(u.EscapedPath(), strings.Replace(u.RawQuery, "Expires=3600", "Expires=36000", 1))
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		r, err := http.NewRequest(http.MethodGet, base+path+"?"+query, nil)
		if err != nil {
			return
		}
		key, err := objects.check(r)
		if err != nil {
			return
		}
		want, _ := url.Parse(sign(key))
		if got := r.URL.Query().Get("X-Amz-Signature"); got != want.Query().Get("X-Amz-Signature") {
			t.Errorf("accepted %s %s for key %q; its signature is not the key's", path, query, key)
		}
	})
}

// fixedTime is the SDK's presigner at a fixed time.
type fixedTime struct {
	s  *v4.Signer
	at time.Time
}

func (p fixedTime) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.s.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.at, optFns...)
}
