package skill

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

// fakeListeners is a Listeners of functions that counts its calls, for
// the skill's own rules; shared/listeners tests the real table in moto.
type fakeListeners struct {
	mu                  sync.Mutex
	gets, puts, deletes []string
	put                 []Place
	getFn               func(ctx context.Context, id string) (Place, bool, error)
	putErr, deleteErr   error
}

func (f *fakeListeners) Get(ctx context.Context, id string) (Place, bool, error) {
	f.mu.Lock()
	f.gets = append(f.gets, id)
	fn := f.getFn
	f.mu.Unlock()
	if fn == nil {
		return Place{}, false, nil
	}
	return fn(ctx, id)
}

func (f *fakeListeners) Put(_ context.Context, id string, p Place) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts, f.put = append(f.puts, id), append(f.put, p)
	return f.putErr
}

func (f *fakeListeners) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, id)
	return f.deleteErr
}

// sampleUser is the userId of the samples in events/skill.
const sampleUser = "amzn1.ask.account.AGF7EXAMPLEUSERID4Q3ZKXW2M5A"

func TestListenerID(t *testing.T) {
	id := ListenerID(sampleUser)
	if len(id) != 64 || id == sampleUser || id != ListenerID(sampleUser) || id == ListenerID(sampleUser+"x") {
		t.Errorf("ListenerID(%q) = %q; want a stable 64-digit hash", sampleUser, id)
	}
	if ListenerID("") != "" {
		t.Errorf(`ListenerID("") = %q; want ""`, ListenerID(""))
	}
}

// noToken drops context.AudioPlayer: another skill played last.
func noToken(r *alexa.Request) { r.Context.AudioPlayer = nil }

// foreignToken leaves another skill's token in context.AudioPlayer.
func foreignToken(r *alexa.Request) {
	r.Context.AudioPlayer = &alexa.AudioPlayerState{Token: "spotify:track:4uLU6hMCjMI75M1A2tKUQC", PlayerActivity: alexa.Stopped}
}

// TestRecall: a customer request without our token reads the listener
// once and continues after the remembered place; with our token, or on a
// playback event, nothing is read.
func TestRecall(t *testing.T) {
	m := testManifest()
	n := len(m.Entries)
	remembered := Place{Version: m.Version, Pos: 3, Key: keyAt(m, "", 3), At: time.Now()}
	for _, tc := range []struct {
		file  string
		edit  func(*alexa.Request)
		gets  int
		want  int // position played; -1: as without listeners (the handler's pick, n/2)
		token bool
	}{
		{"launch.en-US.json", noToken, 1, 4, false},
		{"launch.en-US.json", foreignToken, 1, 4, false},
		{"intent.play.en-US.json", noToken, 1, 4, false},
		{"intent.next.en-US.json", noToken, 1, 4, false},
		{"intent.previous.en-US.json", noToken, 1, 2, false},
		{"intent.start-over.en-US.json", noToken, 1, 3, false},
		{"intent.resume.en-US.json", noToken, 1, 4, false}, // the device's offset is another skill's: the next entry
		{"launch.en-US.json", withToken(tokenAt(t, m, "", 7), 0), 0, 8, true},
		{"intent.resume.en-US.json", withToken(tokenAt(t, m, "", 7), 0), 0, 7, true},
		{"playbackcontroller.next.json", noToken, 0, -1, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ls := &fakeListeners{getFn: func(context.Context, string) (Place, bool, error) { return remembered, true, nil }}
			h := newTestHandler(t, &memSource{m: m}, Config{Listeners: ls})
			_, tok := played(t, handle(t, h, load(t, tc.file, tc.edit)))
			want := tc.want
			if want < 0 {
				want = n / 2
			}
			if tok.Pos != want {
				t.Errorf("played pos %d; want %d", tok.Pos, want)
			}
			if len(ls.gets) != tc.gets || len(ls.puts) != 0 {
				t.Errorf("%d reads, %d writes; want %d, 0", len(ls.gets), len(ls.puts), tc.gets)
			}
			for _, id := range ls.gets {
				if id != ListenerID(sampleUser) {
					t.Errorf("read %q; want the hash of the sample's userId", id)
				}
			}
		})
	}
}

// TestRecallByPerson: a recognized voice profile is its own listener.
func TestRecallByPerson(t *testing.T) {
	ls := &fakeListeners{}
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{Listeners: ls})
	handle(t, h, load(t, "launch.en-US.json", func(r *alexa.Request) {
		noToken(r)
		r.Context.System.Person = &alexa.Person{PersonID: "amzn1.ask.person.P"}
	}))
	if len(ls.gets) != 1 || ls.gets[0] != ListenerID("amzn1.ask.person.P") {
		t.Errorf("read %q; want the person's hash", ls.gets)
	}
}

// TestRecallFailure: a failed, slow or empty read plays as without
// listeners, within the read timeout, and is never an error to the user.
func TestRecallFailure(t *testing.T) {
	m := testManifest()
	const timeout = 30 * time.Millisecond
	for _, tc := range []struct {
		name string
		get  func(ctx context.Context, id string) (Place, bool, error)
	}{
		{"error", func(context.Context, string) (Place, bool, error) { return Place{}, false, errors.New("throttled") }},
		{"slow", func(ctx context.Context, _ string) (Place, bool, error) {
			<-ctx.Done()
			return Place{}, false, ctx.Err()
		}},
		{"nothing kept", func(context.Context, string) (Place, bool, error) { return Place{}, false, nil }},
		{"a playlist that is gone", func(context.Context, string) (Place, bool, error) {
			return Place{Version: m.Version, Playlist: "gone", Pos: 1, Key: "gone/x.mp3"}, true, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := &fakeListeners{getFn: tc.get}
			h := newTestHandler(t, &memSource{m: m}, Config{Listeners: ls, ListenerReadTimeout: timeout})
			start := time.Now()
			resp := handle(t, h, load(t, "launch.en-US.json", noToken))
			if d := time.Since(start); d > 20*timeout {
				t.Errorf("answered in %v with a read timeout of %v", d, timeout)
			}
			if _, tok := played(t, resp); tok.Pos != len(m.Entries)/2 {
				t.Errorf("played pos %d; want %d, as without listeners", tok.Pos, len(m.Entries)/2)
			}
			if said(resp) == "" {
				t.Error("the welcome is not said")
			}
		})
	}
}

// TestRemember: PlaybackStarted keeps what its token carries, with the
// event's time; other events write nothing.
func TestRemember(t *testing.T) {
	m := testManifest()
	for _, file := range []string{"audioplayer.playback-started.json", "audioplayer.playback-stopped.json",
		"audioplayer.playback-finished.json", "audioplayer.nearly-finished.json", "session-ended.json"} {
		t.Run(file, func(t *testing.T) {
			ls := &fakeListeners{putErr: errors.New("down")} // a failed write still answers
			h := newTestHandler(t, &memSource{m: m}, Config{Listeners: ls})
			req := load(t, file, nil)
			handle(t, h, req)
			if file != "audioplayer.playback-started.json" {
				if len(ls.puts)+len(ls.gets) != 0 {
					t.Errorf("%d writes, %d reads; want none", len(ls.puts), len(ls.gets))
				}
				return
			}
			tok, _ := ParseToken(req.Request.Token)
			at, _ := req.Time()
			want := Place{Version: tok.Version, Playlist: tok.Playlist, Pos: tok.Pos, Key: tok.Key, At: at}
			if len(ls.puts) != 1 || ls.puts[0] != ListenerID(sampleUser) || ls.put[0] != want || len(ls.gets) != 0 {
				t.Errorf("writes %q %+v, %d reads; want one write of %+v", ls.puts, ls.put, len(ls.gets), want)
			}
		})
	}
}

// TestRememberNotOurs: a PlaybackStarted whose token is not ours, or
// without a user, writes nothing.
func TestRememberNotOurs(t *testing.T) {
	ls := &fakeListeners{}
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{Listeners: ls})
	handle(t, h, load(t, "audioplayer.playback-started.json", func(r *alexa.Request) { r.Request.Token = "spotify:track:1" }))
	handle(t, h, load(t, "audioplayer.playback-started.json", func(r *alexa.Request) { r.Context.System.User = nil }))
	handle(t, h, load(t, "launch.en-US.json", func(r *alexa.Request) { noToken(r); r.Context.System.User = nil }))
	if len(ls.puts)+len(ls.gets) != 0 {
		t.Errorf("%d writes, %d reads; want none", len(ls.puts), len(ls.gets))
	}
}

// TestRecallAfterReshuffle: a place from an older manifest continues from
// its key's new position, as a token does.
func TestRecallAfterReshuffle(t *testing.T) {
	old := testManifest()
	re := testManifest()
	re.Shuffle(7)
	re.Version = old.Version + 1
	key := keyAt(old, "", 5)
	pos, _ := re.Library().Position(mustLookup(t, re, key))
	ls := &fakeListeners{getFn: func(context.Context, string) (Place, bool, error) {
		return Place{Version: old.Version, Pos: 5, Key: key}, true, nil
	}}
	h := newTestHandler(t, &memSource{m: re}, Config{Listeners: ls})
	_, tok := played(t, handle(t, h, load(t, "launch.en-US.json", noToken)))
	if want := keyAt(re, "", (pos+1)%len(re.Entries)); tok.Key != want || tok.Version != re.Version {
		t.Errorf("played %q v%d; want %q v%d: the entry after %q in the new order", tok.Key, tok.Version, want, re.Version, key)
	}
}

// TestSkillDisabled deletes the listener and answers empty, even when the
// delete fails; without listeners it answers empty too.
func TestSkillDisabled(t *testing.T) {
	for _, err := range []error{nil, errors.New("down")} {
		ls := &fakeListeners{deleteErr: err}
		h := newTestHandler(t, &memSource{m: testManifest()}, Config{Listeners: ls})
		resp := handle(t, h, load(t, "skillevent.disabled.json", nil))
		if len(ls.deletes) != 1 || ls.deletes[0] != ListenerID(sampleUser) {
			t.Errorf("deleted %q; want the sample user's hash", ls.deletes)
		}
		if resp.Response.OutputSpeech != nil || len(resp.Response.Directives) != 0 || resp.Response.ShouldEndSession != nil {
			t.Errorf("answer %+v; want an empty one", resp.Response)
		}
	}
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	handle(t, h, load(t, "skillevent.disabled.json", nil))
}
