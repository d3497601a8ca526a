package devstack_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jokebox/jokebox/shared/skill"
)

// TestBrowserListeners drives the simulator's two controls for listeners:
// a second device of the same account, and "another skill played". The
// oracle is always the device that kept its token: "next" there must play
// what the device without a token played from the listener's place.
func TestBrowserListeners(t *testing.T) {
	ctx, _ := openSimulator(t, jokes(t), 2)
	click := func(id string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))); err != nil {
			t.Fatal(err)
		}
	}
	key := func(s playerState) string {
		t.Helper()
		tok, ok := skill.ParseToken(s.Token)
		if !ok {
			t.Fatalf("token %q is not jokebox's", s.Token)
		}
		return tok.Key
	}
	playing := func(what, not string) playerState {
		t.Helper()
		return waitFor(t, ctx, what, 10*time.Second, func(s playerState) bool {
			return s.Activity == "PLAYING" && !s.Paused && s.Token != "" && s.Token != not && s.CurrentTime > 0.2
		})
	}
	stop := func() {
		t.Helper()
		click("btn-stop")
		waitFor(t, ctx, "a stop", 5*time.Second, func(s playerState) bool { return s.Activity == "STOPPED" && s.Paused })
	}
	use := func(i int, token string) playerState {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => { const d = document.getElementById("device"); d.value = "`+
			map[int]string{0: "0", 1: "1"}[i]+`"; d.dispatchEvent(new Event("change")); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		return waitFor(t, ctx, "the other device's player", 5*time.Second, func(s playerState) bool { return s.Token == token && s.Activity != "PLAYING" })
	}

	// Echo 1 plays A, and stops: it holds A's token.
	click("btn-open")
	a := playing("A on Echo 1", "")
	stop()
	// Echo 2, same account, never played jokebox: "open" continues after A.
	echo1 := a.DeviceID
	b := use(1, "")
	if b.DeviceID == echo1 || b.UserID != a.UserID {
		t.Fatalf("Echo 2 is device %q of %q; want another device of %q", b.DeviceID, b.UserID, a.UserID)
	}
	click("btn-open")
	b = playing("B on Echo 2", "")
	stop()
	// The oracle: Echo 1 still holds A's token; next there is the entry after A.
	use(0, a.Token)
	click("btn-next")
	viaToken := playing("next on Echo 1", a.Token)
	if key(b) == key(a) || key(viaToken) != key(b) {
		t.Errorf("Echo 2 played %q after Echo 1's %q; next on Echo 1 plays %q: want the same entry, not A again", key(b), key(a), key(viaToken))
	}
	stop()

	// Another skill plays on Echo 1: its token is gone, and a new session
	// continues after the listener's last play.
	click("btn-other-skill")
	waitFor(t, ctx, "no token after another skill", 5*time.Second, func(s playerState) bool {
		return s.Token == "" && s.Activity == "IDLE" && s.Session == "" && s.Paused
	})
	click("btn-open")
	c := playing("C on Echo 1 after another skill", "")
	stop()
	// The oracle: Echo 2 holds B's token (B is the entry Echo 1 played last).
	use(1, b.Token)
	click("btn-next")
	d := playing("next on Echo 2", b.Token)
	if key(c) == key(viaToken) || key(c) != key(d) {
		t.Errorf("after another skill Echo 1 played %q (its last was %q); next on Echo 2 plays %q: want the same entry, not a repeat", key(c), key(viaToken), key(d))
	}
	t.Logf("A %s, B %s (Echo 2, from the place), then %s (Echo 1 after another skill)", key(a), key(b), key(c))
}
