package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/store"
)

// faultCase is one way the backend fails.
type faultCase struct {
	name  string
	mode  faultproxy.Mode
	match func(*http.Request) bool // nil: every request
}

// backendFaults are the faults every component is put through: moto
// stopped (connections dropped), 500, 503 and throttling.
var backendFaults = []faultCase{
	{"down", faultproxy.Down, nil},
	{"500", faultproxy.Error500, nil},
	{"503", faultproxy.Error503, nil},
	{"throttled", faultproxy.Throttle, nil},
}

// newSkill returns the real skill on e's store (through the proxy, pointer
// in SSM), signing URLs for moto itself. A zero ManifestTTL revalidates on
// every request, each waiting for the check, so every request meets the
// fault.
func (e *env) newSkill(cfg skill.Config) *skill.Handler {
	e.t.Helper()
	signer, err := store.NewPresigner(motoserver.S3(awsConfig(e.endpoint)), bucket, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := skill.New(e.store, signer, cfg, e.log.logger())
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// launch is a LaunchRequest from a device with an audio player.
func launch(appID string) []byte {
	return []byte(`{"version":"1.0","session":{"new":true,"sessionId":"s","application":{"applicationId":"` + appID + `"}},` +
		`"context":{"System":{"application":{"applicationId":"` + appID + `"},"device":{"deviceId":"d","supportedInterfaces":{"AudioPlayer":{}}}}},` +
		`"request":{"type":"LaunchRequest","requestId":"r","timestamp":"2026-11-23T12:00:00Z","locale":"es-ES"}}`)
}

// playedKeys decodes a response and returns the object key of every URL in
// it (AudioPlayer streams and any art), failing on a URL that is not a
// presigned URL of the bucket.
func playedKeys(t testing.TB, endpoint string, resp []byte) []string {
	t.Helper()
	var r alexa.Response
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, resp)
	}
	var keys []string
	for _, d := range r.Response.Directives {
		if d.AudioItem == nil {
			continue
		}
		keys = append(keys, urlKey(t, endpoint, d.AudioItem.Stream.URL))
	}
	// Any other URL anywhere in the body must be one of those.
	for _, f := range strings.Fields(strings.NewReplacer(`"`, " ", `\u0026`, "&").Replace(string(resp))) {
		if strings.Contains(f, "://") && !strings.HasPrefix(f, endpoint+"/"+bucket+"/") {
			t.Errorf("response holds a foreign URL %q", f)
		}
	}
	return keys
}

// urlKey returns the object key a presigned path-style URL names.
func urlKey(t testing.TB, endpoint, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("URL %q: %v", raw, err)
	}
	prefix := "/" + bucket + "/"
	if u.Scheme+"://"+u.Host != endpoint || !strings.HasPrefix(u.Path, prefix) || u.Query().Get("X-Amz-Signature") == "" {
		t.Fatalf("URL %q is not a presigned URL of the bucket", raw)
	}
	return strings.TrimPrefix(u.Path, prefix)
}

// checkInManifest fails for a key that is not an entry of m.
func checkInManifest(t testing.TB, m *manifest.Manifest, keys []string, what string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m.Lookup(k); !ok {
			t.Errorf("%s: URL for %q, which is not an entry of manifest v%d", what, k, m.Version)
		}
	}
}

// TestSkillServesLastGoodManifest takes the backend away in each way while
// the skill revalidates on every request: it keeps playing from the last
// good manifest and logs that it does, and after the fault picks up the
// version published meanwhile.
func TestSkillServesLastGoodManifest(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	e.put("uno.mp3", fx.short)
	e.put("dos/tres.mp3", fx.vbr)
	direct := index.New(e.s3, store.New(e.s3, e.ssm, bucket, param, nil), bucket, nil)
	if _, _, err := direct.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	h := e.newSkill(skill.Config{})
	m := e.load()
	resp, err := h.Invoke(t.Context(), launch("app"))
	if err != nil {
		t.Fatal(err)
	}
	checkInManifest(t, m, playedKeys(t, e.endpoint, resp), "healthy")

	for i, fc := range backendFaults {
		t.Run(fc.name, func(t *testing.T) {
			before := e.log.count("manifest refresh failed, serving the last good one")
			e.proxy.SetFor(fc.mode, fc.match)
			// A new version is published meanwhile, out of the skill's reach.
			e.put(fmt.Sprintf("nuevo-%d.mp3", i), fx.notitle)
			if _, _, err := direct.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				resp, err := h.Invoke(t.Context(), launch("app"))
				if err != nil {
					t.Fatalf("Invoke during %s: %v", fc.name, err)
				}
				keys := playedKeys(t, e.endpoint, resp)
				if len(keys) != 1 {
					t.Fatalf("no Play during %s: %s", fc.name, resp)
				}
				checkInManifest(t, m, keys, fc.name)
			}
			if got := e.log.count("manifest refresh failed, serving the last good one") - before; got < 3 {
				t.Errorf("%d warnings logged for 3 requests served from the last good manifest; want 3", got)
			}
			e.proxy.Set(faultproxy.Pass)
			resp, err := h.Invoke(t.Context(), launch("app"))
			if err != nil {
				t.Fatal(err)
			}
			m = e.load()
			checkInManifest(t, m, playedKeys(t, e.endpoint, resp), "after "+fc.name)
			warm, err := h.Invoke(t.Context(), alexa.WarmupPayload)
			if err != nil || !bytes.Contains(warm, []byte(fmt.Sprintf(`"version":%d`, m.Version))) {
				t.Errorf("warm-up after %s = %s, %v; want version %d loaded", fc.name, warm, err, m.Version)
			}
		})
	}
	t.Logf("faults %d, proxy faulted %d requests, %v", len(backendFaults), e.proxy.Faulted(), time.Since(start).Round(time.Millisecond))
}

// ackQueue is the worker's queue client, recording which message bodies it
// deleted (acknowledged).
type ackQueue struct {
	*sqs.Client
	mu     sync.Mutex
	bodies map[string]string // receipt handle → body
	acked  []string
}

func (q *ackQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := q.Client.ReceiveMessage(ctx, in, o...)
	if err == nil {
		q.mu.Lock()
		for _, m := range out.Messages {
			q.bodies[aws.ToString(m.ReceiptHandle)] = aws.ToString(m.Body)
		}
		q.mu.Unlock()
	}
	return out, err
}

func (q *ackQueue) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	out, err := q.Client.DeleteMessageBatch(ctx, in, o...)
	if err == nil {
		q.mu.Lock()
		for _, en := range in.Entries {
			q.acked = append(q.acked, q.bodies[aws.ToString(en.ReceiptHandle)])
		}
		q.mu.Unlock()
	}
	return out, err
}

// ackedAudio returns the acknowledged bodies that name key.
func (q *ackQueue) ackedNaming(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, b := range q.acked {
		if strings.Contains(b, key) {
			n++
		}
	}
	return n
}

// TestIndexerHoldsMessagesDuringFaults runs the worker while the backend
// fails in each way: it backs off, acknowledges no message it did not
// apply, publishes nothing, and once the fault clears applies them all.
func TestIndexerHoldsMessagesDuringFaults(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, _ := e.queue("held", 1, 0)
	e.notify(q, false)
	e.put("base.mp3", fx.short)
	e.drain(q, index.WorkerOptions{})
	cases := []faultCase{
		{"s3 down", faultproxy.Down, faultproxy.IsS3},
		{"s3 500", faultproxy.Error500, faultproxy.IsS3},
		{"s3 head 503", faultproxy.Error503, func(r *http.Request) bool { return r.Method == http.MethodHead }},
		{"s3 throttled", faultproxy.Throttle, faultproxy.IsS3},
		{"all down", faultproxy.Down, nil}, // SQS too: the worker backs off
	}
	for i, fc := range cases {
		t.Run(fc.name, func(t *testing.T) {
			before := e.load().Version
			key := fmt.Sprintf("held-%d.mp3", i)
			e.put(key, fx.short)
			aq := &ackQueue{Client: e.psqs, bodies: map[string]string{}}
			e.proxy.SetFor(fc.mode, fc.match)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			if err := e.ix.Work(ctx, aq, q, index.WorkerOptions{}); err != nil && ctx.Err() == nil {
				t.Errorf("Work: %v", err)
			}
			cancel()
			e.proxy.Set(faultproxy.Pass)
			if n := aq.ackedNaming(key); n > 0 {
				t.Errorf("%d messages for %s acknowledged during %s", n, key, fc.name)
			}
			if v := e.load().Version; v != before {
				t.Errorf("v%d published during %s; want v%d unchanged", v, fc.name, before)
			}
			if e.pending(q) == 0 {
				t.Errorf("queue empty after %s; want the event for %s kept", fc.name, key)
			}
			e.drain(q, index.WorkerOptions{})
			if _, ok := e.checkMatches().Lookup(key); !ok {
				t.Errorf("%s not indexed after %s cleared", key, fc.name)
			}
		})
	}
	t.Logf("fault cases %d, faulted requests %d, \"batch not applied\" %d, \"key not observed\" %d, \"receive failed, backing off\" %d, %v",
		len(cases), e.proxy.Faulted(), e.log.count("batch not applied"), e.log.count("key not observed"), e.log.count("receive failed, backing off"), time.Since(start).Round(time.Millisecond))
}

// snapshot is the published state a failed rotation must leave alone.
type snapshot struct {
	pointer, object []byte
	param           string
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	get := func(key string) []byte {
		out, err := e.s3.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			e.t.Fatalf("get %s: %v", key, err)
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		return b
	}
	p, err := manifest.DecodePointer(get(store.PointerKey))
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.ssm.GetParameter(e.t.Context(), &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		e.t.Fatal(err)
	}
	return snapshot{pointer: get(store.PointerKey), object: get(p.Key), param: aws.ToString(out.Parameter.Value)}
}

// TestRotatorLeavesManifestOnFailure fails the rotator at each step (the
// whole backend; listing; probing new files; writing the manifest object;
// moving the pointer) in each way: the rotation reports an error and the
// pointer, its SSM copy and the current manifest object are unchanged.
// Once the fault clears a rotation publishes the bucket's state.
func TestRotatorLeavesManifestOnFailure(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	e.put("a/uno.mp3", fx.short)
	e.put("b/dos.mp3", fx.vbr)
	rot := index.NewRotator(e.ix, nil, "", e.log.logger())
	if _, err := rot.Handle(t.Context()); err != nil {
		t.Fatal(err)
	}
	list := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("list-type") }
	probe := func(r *http.Request) bool { return r.Method == http.MethodGet && r.Header.Get("Range") != "" }
	putManifest := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/"+manifest.Prefix+"manifests/")
	}
	putPointer := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+store.PointerKey)
	}
	cases := append(append([]faultCase{}, backendFaults...),
		faultCase{"list 503", faultproxy.Error503, list},
		faultCase{"probe 500", faultproxy.Error500, probe},
		faultCase{"probe down", faultproxy.Down, probe},
		faultCase{"manifest put throttled", faultproxy.Throttle, putManifest},
		faultCase{"pointer put 500", faultproxy.Error500, putPointer},
	)
	for i, fc := range cases {
		t.Run(fc.name, func(t *testing.T) {
			e.put(fmt.Sprintf("c/nuevo-%d.mp3", i), fx.notitle) // something to publish
			before := e.snapshot()
			e.proxy.SetFor(fc.mode, fc.match)
			_, err := rot.Handle(t.Context())
			e.proxy.Set(faultproxy.Pass)
			if err == nil {
				t.Fatalf("rotation succeeded during %s", fc.name)
			}
			after := e.snapshot()
			if !bytes.Equal(before.pointer, after.pointer) || before.param != after.param || !bytes.Equal(before.object, after.object) {
				t.Errorf("failed rotation (%v) changed the published manifest:\npointer %s\n     -> %s\nparam   %s\n     -> %s", err, before.pointer, after.pointer, before.param, after.param)
			}
			if _, err := rot.Handle(t.Context()); err != nil {
				t.Fatalf("rotation after %s cleared: %v", fc.name, err)
			}
			e.checkMatches()
		})
	}
	t.Logf("fault cases %d, faulted requests %d, final v%d, %v", len(cases), e.proxy.Faulted(), e.load().Version, time.Since(start).Round(time.Millisecond))
}

// TestEmptyBucket: before anything is published, the skill says there is
// nothing to play yet (not "trouble") and logs no error.
func TestEmptyBucket(t *testing.T) {
	e := newEnv(t)
	h := e.newSkill(skill.Config{})
	resp, err := h.Invoke(t.Context(), launch("app"))
	if err != nil {
		t.Fatal(err)
	}
	var r alexa.Response
	if err := json.Unmarshal(resp, &r); err != nil || r.Response.OutputSpeech == nil || len(r.Response.Directives) > 0 {
		t.Fatalf("answer on an empty bucket: %s", resp)
	}
	if n := e.log.count("no manifest to serve"); n > 0 {
		t.Errorf("empty bucket logged as trouble: %s", r.Response.OutputSpeech.Text)
	}
}
