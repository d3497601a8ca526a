package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

// AlexaTimeout is how long Alexa waits for a skill's answer.
const AlexaTimeout = 8 * time.Second

// LoadOptions describe one load phase.
type LoadOptions struct {
	// URL is the skill endpoint, http://127.0.0.1:PORT/alexa.
	URL string
	// Clients post at once, each waiting for its answer before the next.
	Clients int
	// Duration is how long clients start new requests; requests in flight
	// at the end are waited for and counted.
	Duration time.Duration
	// Timeout bounds one request; a request that takes longer is an error.
	Timeout time.Duration
	// SkillID goes in context.System.application.applicationId.
	SkillID string
	// PerClient, when positive, also stops each client after that many
	// requests.
	PerClient int
}

// LoadResult is what a load phase measured.
type LoadResult struct {
	// Requests is every request that finished, successes and errors.
	Requests int
	// Errors counts requests that did not get a 200 with a Play directive,
	// by reason.
	Errors map[string]int
	// Latencies are every finished request's latency, errors included,
	// sorted; a request that timed out counts as Timeout.
	Latencies []time.Duration
	// Successes is the number of requests answered with a Play directive.
	Successes int
	// Elapsed is from the first request to the last answer.
	Elapsed time.Duration
	// Timeout is the per-request timeout the phase ran with.
	Timeout time.Duration
}

// ErrorCount is the number of failed requests.
func (r LoadResult) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Percentile is the p-th percentile of the requests' latencies, errors
// included.
func (r LoadResult) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// Throughput is successful requests per second.
func (r LoadResult) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Successes) / r.Elapsed.Seconds()
}

// Slower counts requests that took longer than d, timeouts included.
func (r LoadResult) Slower(d time.Duration) int {
	i, _ := slices.BinarySearch(r.Latencies, d+1)
	return len(r.Latencies) - i
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// are less than or equal to. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[min(max(rank, 1), n)-1]
}

// Load drives o.URL from o.Clients clients for o.Duration, each POSTing a
// fresh LaunchRequest and waiting for the answer. It returns an error only
// when ctx ends.
func Load(ctx context.Context, o LoadOptions) (LoadResult, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = o.Clients
	transport.DisableCompression = true
	client := &http.Client{Transport: transport, Timeout: o.Timeout}
	defer client.CloseIdleConnections()

	type clientResult struct {
		lat  []time.Duration
		errs map[string]int
		ok   int
	}
	results := make([]clientResult, max(o.Clients, 1))
	start := time.Now()
	var wg sync.WaitGroup
	for c := range results {
		wg.Go(func() {
			res := clientResult{errs: map[string]int{}}
			device := fmt.Sprintf("amzn1.ask.device.BENCH%04d", c)
			for seq := 0; time.Since(start) < o.Duration && ctx.Err() == nil && (o.PerClient <= 0 || seq < o.PerClient); seq++ {
				body := LaunchRequest(o.SkillID, device, fmt.Sprintf("amzn1.echo-api.request.bench-%d-%d", c, seq), time.Now())
				t0 := time.Now()
				err := post(ctx, client, o.URL, body)
				d := time.Since(t0)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					res.errs[err.Error()]++
					if err == errTimeout {
						d = o.Timeout
					}
				} else {
					res.ok++
				}
				res.lat = append(res.lat, d)
			}
			results[c] = res
		})
	}
	wg.Wait()
	out := LoadResult{Elapsed: time.Since(start), Errors: map[string]int{}, Timeout: o.Timeout}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	for _, r := range results {
		out.Requests += len(r.lat)
		out.Successes += r.ok
		out.Latencies = append(out.Latencies, r.lat...)
		for k, v := range r.errs {
			out.Errors[k] += v
		}
	}
	slices.Sort(out.Latencies)
	return out, nil
}

// errTimeout is the error of a request that got no answer in time.
var errTimeout = errors.New("timeout")

// post sends one request and checks its answer; the error is a short
// reason, the same for the same kind of failure.
func post(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return errTimeout
		}
		return errors.New("transport error")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if isTimeout(err) {
			return errTimeout
		}
		return errors.New("unreadable answer")
	}
	return CheckPlay(resp.StatusCode, b)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// CheckPlay accepts an answer that counts as a success: status 200 and a
// JSON Alexa response with an AudioPlayer.Play directive that has a stream
// URL and a token.
func CheckPlay(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d", status)
	}
	var r alexa.Response
	if err := json.Unmarshal(body, &r); err != nil {
		return errors.New("answer is not JSON")
	}
	for _, d := range r.Response.Directives {
		if d.Type == alexa.PlayDirective && d.AudioItem != nil && d.AudioItem.Stream.URL != "" && d.AudioItem.Stream.Token != "" {
			return nil
		}
	}
	return errors.New("no Play directive")
}

// LaunchRequest returns a LaunchRequest as an Echo with a speaker sends
// it ("Alexa, abre chistes"), for locale es-ES.
func LaunchRequest(skillID, deviceID, requestID string, now time.Time) []byte {
	return fmt.Appendf(nil, launchTemplate, skillID, skillID, deviceID, requestID, now.UTC().Format(time.RFC3339))
}

const launchTemplate = `{
  "version": "1.0",
  "session": {
    "new": true,
    "sessionId": "amzn1.echo-api.session.0f4c8b2e-bench",
    "application": {"applicationId": %q},
    "attributes": {},
    "user": {"userId": "amzn1.ask.account.BENCHUSER"}
  },
  "context": {
    "System": {
      "application": {"applicationId": %q},
      "user": {"userId": "amzn1.ask.account.BENCHUSER"},
      "device": {
        "deviceId": %q,
        "supportedInterfaces": {"AudioPlayer": {}}
      },
      "apiEndpoint": "https://api.eu.amazonalexa.com",
      "apiAccessToken": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench"
    }
  },
  "request": {
    "type": "LaunchRequest",
    "requestId": %q,
    "timestamp": %q,
    "locale": "es-ES",
    "shouldLinkResultBeReturned": false
  }
}`
