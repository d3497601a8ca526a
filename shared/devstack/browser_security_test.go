package devstack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
)

// attackPage is a page on another origin that tries what the audit did
// against `jokebox dev`: list and read the bucket, write to it, and make
// the skill act with a "simple" cross-origin POST. It reports each try in
// window.results.
const attackPage = `<!doctype html><script>
window.results = {};
const dev = %s, signed = %s;
const launch = JSON.stringify({version: "1.0", request: {type: "LaunchRequest", requestId: "x", locale: "es-ES"}});
async function attempt(name, f) {
  try {
    const r = await f();
    results[name] = r.type === "opaque" ? "sent blind" : "read " + r.status + " " + (await r.text()).slice(0, 80);
  } catch (e) {
    results[name] = "refused: " + e.name;
  }
}
(async () => {
  await attempt("list", () => fetch(dev + "/s3/jokebox-dev/?list-type=2"));
  await attempt("object", () => fetch(signed));
  await attempt("put", () => fetch(dev + "/s3/jokebox-dev/evil.mp3", {method: "PUT", body: "<html><b>not audio</b></html>"}));
  await attempt("alexa json", () => fetch(dev + "/alexa", {method: "POST", headers: {"Content-Type": "application/json"}, body: launch}));
  await attempt("alexa text/plain", () => fetch(dev + "/alexa", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: launch}));
  window.done = true;
})();
</script>`

// TestBrowserOtherOrigin: a page on another origin, in headless Chromium,
// gets nothing from `jokebox dev`: no listing, no object (even with a
// leaked presigned URL), no write, and the skill never sees its requests.
// A rebound name (DNS rebinding) gets 421.
func TestBrowserOtherOrigin(t *testing.T) {
	st := startStack(t, map[string]string{"animales/el pato.mp3": voice(t, "pato", "Un pato entra en una farmacia.")})
	obj, err := s3.NewPresignClient(st.S3).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("animales/el pato.mp3")})
	if err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, attackPage, jsString(st.URL), jsString(obj.URL))
	}))
	t.Cleanup(evil.Close)
	// evil.test is the attacker's name; it resolves to this machine, as a
	// rebound name would (and so Chromium's local-network protection, which
	// other browsers and older versions lack, does not step in: the server
	// alone must refuse).
	ctx := browser(t, chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"))
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "evil.test", 1)
	before := st.Calls.Load()
	if err := chromedp.Do(ctx, chromedp.Navigate(evilURL)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.done === true`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		partial, _ := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`window.results`))
		t.Fatalf("the attack page did not finish: %v; so far %q", err, partial)
	}
	results, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`window.results`))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"list", "object", "put", "alexa json"} {
		if got := results[name]; !strings.HasPrefix(got, "refused") {
			t.Errorf("%s from another origin: %q; want refused", name, got)
		}
	}
	if got := results["alexa text/plain"]; got != "sent blind" {
		t.Errorf("a no-cors POST: %q; want sent blind (the browser sends it, the server must refuse it)", got)
	}
	time.Sleep(200 * time.Millisecond) // a blind request may still be on its way
	if n := st.Calls.Load() - before; n != 0 {
		t.Errorf("%d requests from another origin reached the skill; want none", n)
	}
	if _, err := st.S3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("evil.mp3")}); err == nil {
		t.Error("the other origin wrote evil.mp3")
	}

	// DNS rebinding: the attacker's name, the dev server's port.
	rebound := strings.Replace(st.URL, "127.0.0.1", "evil.test", 1) + "/api/info"
	if err := chromedp.Do(ctx, chromedp.Navigate(rebound)); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "misdirected request") || strings.Contains(body, "skillId") {
		t.Errorf("%s answered %q; want 421 misdirected request", rebound, body)
	}
}
