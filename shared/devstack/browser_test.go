package devstack_test

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "rewrite docs/simulator.png from the browser test")

const chromium = "/usr/bin/chromium"

// browser starts headless Chromium with a fresh profile, and extra
// options. Without Chromium the test fails, or skips with -short.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if testing.Short() {
			t.Skipf("%s missing (apt-get install chromium); skipped with -short", chromium)
		}
		t.Fatalf("%s missing (apt-get install chromium chromium-driver): %v", chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1360, 940),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// playerState is window.jokebox.state() in the page.
type playerState struct {
	Activity    string   `json:"activity"`
	Token       string   `json:"token"`
	OffsetMs    float64  `json:"offsetMs"`
	CurrentTime float64  `json:"currentTime"`
	Paused      bool     `json:"paused"`
	Src         string   `json:"src"`
	Title       string   `json:"title"`
	Queue       []string `json:"queue"`
	Requests    int      `json:"requests"`
	Errors      int      `json:"errors"`
	Playlists   []string `json:"playlists"`
	SkillID     string   `json:"skillId"`
	Ready       bool     `json:"ready"`
	Session     string   `json:"session"`
	DeviceID    string   `json:"deviceId"`
	UserID      string   `json:"userId"`
}

func state(t *testing.T, ctx context.Context) playerState {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[playerState](`window.jokebox.state()`))
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	return s
}

// waitFor polls the page's state until ok holds.
func waitFor(t *testing.T, ctx context.Context, what string, timeout time.Duration, ok func(playerState) bool) playerState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := state(t, ctx)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]string](`window.jokebox.log()`))
			t.Fatalf("waited %v for %s; state %+v\nlog: %v", timeout, what, s, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openSimulator serves media with the dev stack, opens the simulator page in
// Chromium with speech off, and waits until the page has read /api/info and
// shows playlists folder playlists.
func openSimulator(t *testing.T, media map[string]string, playlists int) (context.Context, playerState) {
	t.Helper()
	st := startStack(t, media)
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(st.URL), chromedp.WaitVisible(chromedp.ID("btn-open"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.jokebox.setSpeak(false)`)); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, "the page to read /api/info", 5*time.Second, func(s playerState) bool { return s.Ready && len(s.Playlists) == playlists })
	return ctx, s
}

func TestBrowserSimulator(t *testing.T) {
	ctx, s := openSimulator(t, jokes(t), 2)
	if s.SkillID != testSkillID {
		t.Errorf("skill ID = %q; want %q from /api/info", s.SkillID, testSkillID)
	}

	// "Open jokebox": a Play directive, and the audio really plays.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-open"))); err != nil {
		t.Fatal(err)
	}
	first := waitFor(t, ctx, "audio to play after open", 10*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && !s.Paused && s.CurrentTime > 1.5
	})
	t.Logf("playing %q at %.1fs", first.Title, first.CurrentTime)
	// The skill enqueued the next joke after PlaybackNearlyFinished.
	waitFor(t, ctx, "an enqueued item", 5*time.Second, func(s playerState) bool { return len(s.Queue) == 1 })

	// Pause, then resume where it stopped.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-pause"))); err != nil {
		t.Fatal(err)
	}
	paused := waitFor(t, ctx, "a stop after pause", 5*time.Second, func(s playerState) bool { return s.Activity == "STOPPED" && s.Paused })
	time.Sleep(500 * time.Millisecond)
	if now := state(t, ctx); math.Abs(now.CurrentTime-paused.CurrentTime) > 0.05 {
		t.Errorf("audio moved from %.2fs to %.2fs while paused", paused.CurrentTime, now.CurrentTime)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-resume"))); err != nil {
		t.Fatal(err)
	}
	resumed := waitFor(t, ctx, "playing again after resume", 10*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && !s.Paused && s.CurrentTime > 0
	})
	if resumed.Src == "" || resumed.Title != first.Title {
		t.Errorf("resume played %q; want %q again", resumed.Title, first.Title)
	}
	if d := resumed.CurrentTime - paused.OffsetMs/1000; d < -1 || d > 1 {
		t.Errorf("resumed at %.2fs; paused at %.2fs (want within 1 s)", resumed.CurrentTime, paused.OffsetMs/1000)
	}
	t.Logf("paused at %.2fs, resumed at %.2fs", paused.OffsetMs/1000, resumed.CurrentTime)

	// Next plays another file.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-next"))); err != nil {
		t.Fatal(err)
	}
	next := waitFor(t, ctx, "another file after next", 10*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && s.Title != first.Title && s.CurrentTime > 0.3
	})
	t.Logf("next: %q", next.Title)

	// A free-text utterance picks a playlist. ("pon chistes" would not do:
	// the models hold it as a plain "play jokes" without a slot, and
	// virtual-alexa agrees, so it plays from the library.)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("utterance"), "pon animales\r"),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the animales playlist", 10*time.Second, func(s playerState) bool {
		f := strings.Split(s.Token, "|")
		return s.Activity == "PLAYING" && len(f) > 2 && f[2] == "animales" && s.CurrentTime > 1
	})
	if s := state(t, ctx); s.Errors != 0 {
		t.Errorf("the page logged %d errors", s.Errors)
	}

}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
