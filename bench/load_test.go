package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value p50", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"two values p50 is the lower", ms(1, 2), 50, 1 * time.Millisecond},
		{"two values p51 is the upper", ms(1, 2), 51, 2 * time.Millisecond},
		{"1..100 p50", ms(hundred...), 50, 50 * time.Millisecond},
		{"1..100 p99", ms(hundred...), 99, 99 * time.Millisecond},
		{"1..100 p100", ms(hundred...), 100, 100 * time.Millisecond},
		{"1..100 tiny p is the first", ms(hundred...), 0.001, 1 * time.Millisecond},
		{"p0 is the first", ms(3, 4, 5), 0, 3 * time.Millisecond},
		{"p above 100 is the last", ms(3, 4, 5), 150, 5 * time.Millisecond},
		{"ten values p99 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"ten values p90", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v; want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestLoadResult(t *testing.T) {
	t.Parallel()
	r := LoadResult{
		Requests:  6,
		Successes: 4,
		Errors:    map[string]int{"status 500": 1, "timeout": 1},
		Latencies: ms(1, 2, 3, 8000, 9000, 30000),
		Elapsed:   2 * time.Second,
		Timeout:   30 * time.Second,
	}
	if got := r.ErrorCount(); got != 2 {
		t.Errorf("ErrorCount() = %d; want 2", got)
	}
	if got := r.Throughput(); got != 2 {
		t.Errorf("Throughput() = %v; want 2 (successes per second)", got)
	}
	if got := r.Slower(AlexaTimeout); got != 2 {
		t.Errorf("Slower(8s) = %d; want 2 (exactly 8 s is in time)", got)
	}
	if got := (LoadResult{}).Throughput(); got != 0 {
		t.Errorf("empty Throughput() = %v; want 0", got)
	}
}

func TestCheckPlay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"play", 200, `{"version":"1.0","response":{"directives":[{"type":"AudioPlayer.Play","playBehavior":"REPLACE_ALL","audioItem":{"stream":{"url":"https://x/a.mp3","token":"t","offsetInMilliseconds":0}}}],"shouldEndSession":true}}`, ""},
		{"play after another directive", 200, `{"response":{"directives":[{"type":"AudioPlayer.ClearQueue"},{"type":"AudioPlayer.Play","audioItem":{"stream":{"url":"u","token":"t"}}}]}}`, ""},
		{"server error", 500, `internal error`, "status 500"},
		{"not json", 200, `ok`, "answer is not JSON"},
		{"speech only", 200, `{"version":"1.0","response":{"outputSpeech":{"type":"PlainText","text":"No hay chistes"}}}`, "no Play directive"},
		{"play without url", 200, `{"response":{"directives":[{"type":"AudioPlayer.Play","audioItem":{"stream":{"url":"","token":"t"}}}]}}`, "no Play directive"},
		{"play without token", 200, `{"response":{"directives":[{"type":"AudioPlayer.Play","audioItem":{"stream":{"url":"u"}}}]}}`, "no Play directive"},
		{"play without audio item", 200, `{"response":{"directives":[{"type":"AudioPlayer.Play"}]}}`, "no Play directive"},
		{"stop", 200, `{"response":{"directives":[{"type":"AudioPlayer.Stop"}]}}`, "no Play directive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPlay(tt.status, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckPlay() = %v; want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("CheckPlay() = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzCheckPlay(f *testing.F) {
	f.Add(200, []byte(`{"response":{"directives":[{"type":"AudioPlayer.Play","audioItem":{"stream":{"url":"u","token":"t"}}}]}}`))
	f.Add(200, []byte(`{"response":{"directives":[{"type":"AudioPlayer.Play"}]}}`))
	f.Add(200, []byte(`{"response":null}`))
	f.Add(500, []byte(`internal error`))
	f.Add(200, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := CheckPlay(status, body)
		if err == nil && status != http.StatusOK {
			t.Errorf("CheckPlay(%d) accepted a non-200 answer", status)
		}
	})
}

func TestLaunchRequestIsAValidAlexaRequest(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC)
	req, err := alexa.Decode(LaunchRequest("amzn1.ask.skill.x", "amzn1.ask.device.d", "amzn1.echo-api.request.r", now))
	if err != nil {
		t.Fatalf("alexa.Decode: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"type", string(req.Request.Type), string(alexa.LaunchRequest)},
		{"applicationId", req.ApplicationID(), "amzn1.ask.skill.x"},
		{"deviceId", req.Context.System.Device.DeviceID, "amzn1.ask.device.d"},
		{"requestId", req.Request.RequestID, "amzn1.echo-api.request.r"},
		{"locale", req.Request.Locale, "es-ES"},
		{"timestamp", req.Request.Timestamp, "2026-11-23T15:30:00Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
	if req.Context.System.Device.SupportedInterfaces.AudioPlayer == nil {
		t.Error("device does not announce AudioPlayer")
	}
}

// TestLoadCountsSuccessesAndErrors drives a test server that answers Play,
// then a 500, in turn.
func TestLoadCountsSuccessesAndErrors(t *testing.T) {
	t.Parallel()
	play := `{"version":"1.0","response":{"directives":[{"type":"AudioPlayer.Play","audioItem":{"stream":{"url":"u","token":"t"}}}]}}`
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(play))
	}))
	defer srv.Close()
	res, err := Load(context.Background(), LoadOptions{URL: srv.URL, Clients: 1, Duration: 200 * time.Millisecond, Timeout: time.Second, SkillID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 2 || res.Requests != res.Successes+res.ErrorCount() || len(res.Latencies) != res.Requests {
		t.Fatalf("Requests = %d, successes %d, errors %d, latencies %d: want at least 2, successes + errors, one latency each",
			res.Requests, res.Successes, res.ErrorCount(), len(res.Latencies))
	}
	if !slices.IsSorted(res.Latencies) {
		t.Error("latencies not sorted")
	}
	if res.Errors["status 500"] != res.Requests/2 {
		t.Errorf("Errors = %v; want status 500 × %d", res.Errors, res.Requests/2)
	}
}

// TestLoadTimeoutCountsAsTimeout: a request that gets no answer in time is
// an error whose latency is the timeout.
func TestLoadTimeoutCountsAsTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	timeout := 100 * time.Millisecond
	res, err := Load(context.Background(), LoadOptions{URL: srv.URL, Clients: 2, PerClient: 1, Duration: time.Minute, Timeout: timeout, SkillID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2 || res.Errors["timeout"] != 2 || res.Successes != 0 {
		t.Fatalf("got %d requests, errors %v, %d successes; want 2 timeouts", res.Requests, res.Errors, res.Successes)
	}
	if got := res.Percentile(50); got != timeout {
		t.Errorf("p50 = %v; want the timeout %v", got, timeout)
	}
}
