package devstack

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region the embedded S3 pretends to be in.
const Region = "us-east-1"

// ObjectsPath is where the dev server serves the embedded S3's objects:
// endpoints are the server's base URL with this path (Endpoint).
const ObjectsPath = "/s3"

// Endpoint is the S3 endpoint of the embedded S3 behind the dev server at
// base ("http://127.0.0.1:8080"): the base with ObjectsPath.
func Endpoint(base string) string { return strings.TrimSuffix(base, "/") + ObjectsPath }

// S3 is the embedded S3 of `jokebox dev`: an in-memory bucket (gofakes3)
// with no listener of its own.
//
// The process's SDK clients (Config, Client) reach it in process, through
// an http.RoundTripper that calls the fake directly, with full access. The
// network reaches it only through the dev server (S3 is the handler it
// mounts at ObjectsPath), and only to GET an object with a URL presigned
// with this run's secret key, which only this process and the pages it
// answers (through /alexa's Play directives) ever see. Everything else —
// listings, writes, deletes, unsigned or expired or tampered URLs — is
// refused with 403. Objects go out with an audio content type, never the
// one they were stored with, and without gofakes3's CORS headers.
//
// Range requests are the fake's (206 with Content-Range), which audio
// seeking needs.
type S3 struct {
	bucket string
	fake   http.Handler // gofakes3, paths without ObjectsPath
	creds  aws.Credentials
	signer *v4.Signer
	now    func() time.Time
}

// NewS3 makes an empty in-memory S3 holding bucket, with a fresh random
// secret key.
func NewS3(bucket string) (*S3, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("s3 secret: %w", err)
	}
	return &S3{
		bucket: bucket,
		fake:   gofakes3.New(backend, gofakes3.WithoutVersioning()).Server(),
		creds:  aws.Credentials{AccessKeyID: "jokebox-dev", SecretAccessKey: hex.EncodeToString(secret), Source: "jokebox dev"},
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }), // as S3 signs
		now:    time.Now,
	}, nil
}

// Config is an aws.Config for the embedded S3 behind the dev server at
// endpoint (see Endpoint): this run's credentials, region Region, and an
// HTTP client that reaches the fake in process. The URLs presigned with it
// name endpoint, which the dev server answers. S3 clients built from it
// need o.UsePathStyle = true.
func (s *S3) Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.StaticCredentialsProvider{Value: s.creds},
		HTTPClient:   &http.Client{Transport: inProcess{http.StripPrefix(ObjectsPath, s.fake)}},
	}
}

// Client is an S3 client for the embedded S3 (see Config): path-style
// addressing, in process.
func (s *S3) Client(endpoint string) *s3.Client {
	return s3.NewFromConfig(s.Config(endpoint), func(o *s3.Options) {
		o.UsePathStyle = true
		// gofakes3 returns no checksums; don't log that once per GetObject.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// inProcess is an http.RoundTripper that serves each request with a
// handler in this process: the SDK's requests never touch the network.
// Responses are buffered (objects here are audio files of a media folder).
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if req.ContentLength >= 0 {
		// What a client's transport would send; the fake requires it.
		r.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	}
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = req
	return resp, nil
}

// errRefused is why the network side refused a request; the detail is the
// reason's text, which names nothing secret.
var errRefused = errors.New("refused")

// ServeHTTP is the network side: GET of one object of the bucket with a
// valid, unexpired URL presigned with this run's credentials. r's path
// still starts with ObjectsPath.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, err := s.check(r)
	if err != nil {
		http.Error(w, "forbidden: "+strings.TrimPrefix(err.Error(), errRefused.Error()+": "), http.StatusForbidden)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + s.bucket + "/" + key
	r2.URL.RawPath = ""
	r2.Header.Del("Origin") // gofakes3 answers CORS; the page needs none
	s.fake.ServeHTTP(&objectWriter{ResponseWriter: w, key: key}, r2)
}

// check returns the key r presigns a GET for, or why it is refused.
func (s *S3) check(r *http.Request) (string, error) {
	if r.Method != http.MethodGet {
		return "", fmt.Errorf("%w: only presigned GETs of objects", errRefused)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, ObjectsPath+"/"+s.bucket+"/")
	if !ok || rest == "" {
		return "", fmt.Errorf("%w: only presigned GETs of objects", errRefused)
	}
	q := r.URL.Query()
	sig := q.Get("X-Amz-Signature")
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if sig == "" || err != nil {
		return "", fmt.Errorf("%w: not a presigned URL", errRefused)
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if now := s.now(); err != nil || expires <= 0 || now.Before(signed.Add(-5*time.Minute)) || now.After(signed.Add(time.Duration(expires)*time.Second)) {
		return "", fmt.Errorf("%w: expired URL", errRefused)
	}
	if q.Get("X-Amz-SignedHeaders") != "host" {
		return "", fmt.Errorf("%w: bad signature", errRefused)
	}
	// Sign the same request again, as the SDK's presigner did, and compare.
	for _, k := range []string{"X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Security-Token"} {
		q.Del(k)
	}
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("%w: bad URL", errRefused)
	}
	want, _, err := s.signer.PresignHTTP(r.Context(), s.creds, req, "UNSIGNED-PAYLOAD", "s3", Region, signed)
	if err != nil {
		return "", fmt.Errorf("%w: bad signature", errRefused)
	}
	wu, err := url.Parse(want)
	if err != nil || !hmac.Equal([]byte(wu.Query().Get("X-Amz-Signature")), []byte(sig)) {
		return "", fmt.Errorf("%w: bad signature", errRefused)
	}
	return rest, nil
}

// objectWriter sends an object with an audio content type and none of
// gofakes3's CORS headers.
type objectWriter struct {
	http.ResponseWriter
	key  string
	done bool
}

func (w *objectWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		h := w.Header()
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				delete(h, k)
			}
		}
		if code < 300 {
			h.Set("Content-Type", AudioType(w.key, h.Get("Content-Type")))
		} else {
			h.Set("Content-Type", "application/xml")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *objectWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// AudioType is the content type an object is served with: the audio type
// of key's extension, else stored when it is an audio type, else
// audio/mpeg. Never a type a browser renders as a document.
func AudioType(key, stored string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".mp3":
		return "audio/mpeg"
	case ".m4a", ".mp4":
		return "audio/mp4"
	case ".aac":
		return "audio/aac"
	}
	if t, _, err := mime.ParseMediaType(stored); err == nil && strings.HasPrefix(t, "audio/") {
		return t
	}
	return "audio/mpeg"
}
