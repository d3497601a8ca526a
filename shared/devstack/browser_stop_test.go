package devstack_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserStopClearsQueue: a Stop that is on its way while the playing
// stream ends must not let the stream the skill enqueued start. The page
// starts the queued stream at "ended" and loads it; the Stop (ClearQueue
// CLEAR_ALL and Stop) then arrives while it loads, as on a device whose
// user says "stop" in the last second of a joke. The test holds the Stop's
// answer in the page until the stream has ended, so the order is the same
// on every run.
func TestBrowserStopClearsQueue(t *testing.T) {
	ctx, _ := openSimulator(t, jokes(t), 2)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-open"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "audio to play after open", 10*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && !s.Paused && s.CurrentTime > 0.2
	})
	// PlaybackNearlyFinished went out and the skill enqueued the next joke.
	first := waitFor(t, ctx, "an enqueued item", 5*time.Second, func(s playerState) bool { return len(s.Queue) == 1 })
	next := first.Queue[0]

	// Hold the answer to the Stop until the audio has ended (and the page
	// has started loading the queued stream), then let it through.
	const stopAtTheEnd = `new Promise((resolve) => {
		const audio = window.jokebox.audio;
		const fetchOrig = window.fetch;
		let release;
		const ended = new Promise((r) => { release = r; });
		window.fetch = async (url, init) => {
			const res = await fetchOrig(url, init);
			if (init && String(init.body).includes("AMAZON.StopIntent")) await ended;
			return res;
		};
		audio.addEventListener("ended", () => release(), { once: true });
		window.jokebox.intent("AMAZON.StopIntent").then(() => { window.fetch = fetchOrig; resolve(); });
		audio.currentTime = audio.duration - 0.05;
	})`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](stopAtTheEnd, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	// Give a wrongly started stream time to load and play.
	time.Sleep(1500 * time.Millisecond)
	s := state(t, ctx)
	if !s.Paused || s.Activity == "PLAYING" || len(s.Queue) != 0 {
		t.Errorf("after Stop: activity %s, paused %v, queue %q, token %s; want nothing playing and an empty queue", s.Activity, s.Paused, s.Queue, s.Token)
	}
	if s.Token == next && !s.Paused {
		t.Errorf("the enqueued stream %s started after Stop", next)
	}
	if s.Errors != 0 {
		log, _ := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]string](`window.jokebox.log()`))
		t.Errorf("the page logged %d errors: %v", s.Errors, log)
	}
}
