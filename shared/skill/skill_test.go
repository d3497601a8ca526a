package skill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
)

// load decodes a sample request, with edit applied when not nil.
func load(t testing.TB, name string, edit func(*alexa.Request)) *alexa.Request {
	t.Helper()
	req, err := alexa.Decode(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if edit != nil {
		edit(req)
	}
	return req
}

// withToken puts a device token (and offset) in context.AudioPlayer.
func withToken(token string, offsetMs int64) func(*alexa.Request) {
	return func(r *alexa.Request) {
		r.Context.AudioPlayer = &alexa.AudioPlayerState{Token: token, OffsetInMilliseconds: offsetMs, PlayerActivity: alexa.Stopped}
	}
}

// handle answers req, checks the answer's invariants and returns it.
func handle(t testing.TB, h *Handler, req *alexa.Request) *alexa.Response {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle(%s): %v", req.Request.Type, err)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, req, out)
	return resp
}

// played returns the answer's Play directive and its parsed token, failing
// the test when there is none.
func played(t testing.TB, resp *alexa.Response) (alexa.Directive, Token) {
	t.Helper()
	for _, d := range resp.Response.Directives {
		if d.Type == alexa.PlayDirective {
			tok, ok := ParseToken(d.AudioItem.Stream.Token)
			if !ok {
				t.Fatalf("Play token %q does not parse", d.AudioItem.Stream.Token)
			}
			return d, tok
		}
	}
	t.Fatalf("no Play directive in %+v", resp.Response)
	return alexa.Directive{}, Token{}
}

func said(resp *alexa.Response) string {
	if resp.Response.OutputSpeech == nil {
		return ""
	}
	return resp.Response.OutputSpeech.Text
}

func noPlay(t testing.TB, resp *alexa.Response) {
	t.Helper()
	for _, d := range resp.Response.Directives {
		if d.Type == alexa.PlayDirective {
			t.Errorf("unexpected Play of %q", d.AudioItem.Stream.URL)
		}
	}
}

// tokenAt is the token of the entry at pos of playlist name in m.
func tokenAt(t testing.TB, m *manifest.Manifest, name string, pos int) string {
	t.Helper()
	pl, ok := m.Playlist(name)
	if !ok {
		t.Fatalf("no playlist %q", name)
	}
	return Token{Version: m.Version, Playlist: name, Pos: pos, Key: m.Entries[pl.Order[pos]].Key, Nonce: "prev01"}.String()
}

func keyAt(m *manifest.Manifest, name string, pos int) string {
	pl, _ := m.Playlist(name)
	return m.Entries[pl.Order[pos]].Key
}

func TestSlotMatching(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{})
	for _, tc := range []struct{ spoken, want, name string }{
		{"animales", "Animales", "animales"},
		{"ANIMALES", "Animales", "animales"},
		{"Animales", "Animales", "animales"},
		{"niños", "Niños", "niños"},
		{"ninos", "Niños", "niños"},
		{"NIÑOS", "Niños", "niños"},
		{"chistes", "chistes", "chistes"},
		{"  Chistes. ", "chistes", "chistes"},
	} {
		t.Run(tc.spoken, func(t *testing.T) {
			req := load(t, "intent.play.animales.es-ES.json", func(r *alexa.Request) {
				r.Request.Intent.Slots[PlaylistSlot] = alexa.Slot{Name: PlaylistSlot, Value: tc.spoken}
				r.Context.AudioPlayer = nil
			})
			resp := handle(t, h, req)
			_, tok := played(t, resp)
			if tok.Playlist != tc.want || manifest.Folder(tok.Key) != tc.want {
				t.Errorf("%q played %q from playlist %q; want playlist %q", tc.spoken, tok.Key, tok.Playlist, tc.want)
			}
			if want := fmt.Sprintf("Aquí va uno de la lista %s.", tc.name); said(resp) != want {
				t.Errorf("said %q; want %q", said(resp), want)
			}
		})
	}
}

func TestUnknownPlaylist(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{})
	for _, tc := range []struct{ file, say string }{
		{"intent.play.unknown.es-ES.json", "No encuentro ninguna lista que se llame dinosaurios. Puedes pedir animales, niños o chistes. De momento, te pongo uno de toda la colección."},
		{"intent.play.unknown.en-US.json", "I can't find a playlist called dinosaurs. You can ask for animales, niños or chistes. For now, here's one from the whole collection."},
	} {
		t.Run(tc.file, func(t *testing.T) {
			resp := handle(t, h, load(t, tc.file, nil))
			if got := said(resp); got != tc.say {
				t.Errorf("said %q; want %q", got, tc.say)
			}
			if _, tok := played(t, resp); tok.Playlist != "" {
				t.Errorf("played from %q; want the library", tok.Playlist)
			}
		})
	}
}

// TestContinue follows a device through the library: each request carries
// the previous answer's token and plays the next entry, wrapping around.
func TestContinue(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{})
	n := len(m.Entries)
	for _, tc := range []struct {
		file string
		step int
	}{
		{"launch.es-ES.json", +1},
		{"intent.play.en-US.json", +1},
		{"intent.next.en-US.json", +1},
		{"playbackcontroller.next.json", +1},
		{"intent.previous.en-US.json", -1},
		{"playbackcontroller.previous.json", -1},
		{"intent.start-over.en-US.json", 0},
		{"intent.repeat.es-ES.json", 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			token := tokenAt(t, m, "", n-2)
			seen := map[string]bool{}
			for i := range 2 * n {
				resp := handle(t, h, load(t, tc.file, withToken(token, 1234)))
				d, tok := played(t, resp)
				prev, _ := ParseToken(token)
				want := ((prev.Pos+tc.step)%n + n) % n
				if tok.Pos != want || tok.Key != keyAt(m, "", want) || tok.Playlist != "" {
					t.Fatalf("step %d from %d: played %q at %d; want %q at %d", i, prev.Pos, tok.Key, tok.Pos, keyAt(m, "", want), want)
				}
				if d.AudioItem.Stream.OffsetInMilliseconds != 0 {
					t.Errorf("offset %d; want 0", d.AudioItem.Stream.OffsetInMilliseconds)
				}
				if got := signedKey(t, d.AudioItem.Stream.URL); got != tok.Key {
					t.Errorf("URL for %q, token for %q", got, tok.Key)
				}
				seen[tok.Key] = true
				token = d.AudioItem.Stream.Token
			}
			if tc.step != 0 && len(seen) != n {
				t.Errorf("%d distinct entries in %d plays; want %d", len(seen), 2*n, n)
			}
		})
	}
}

// TestNewVersion continues a device whose token is from an older manifest:
// from the key's new position, or from the start when the key is gone.
func TestNewVersion(t *testing.T) {
	old := testManifest()
	const key = "Niños/la-tortuga.mp3"
	pos, _ := old.Library().Position(mustLookup(t, old, key))
	token := Token{Version: old.Version, Pos: pos, Key: key, Nonce: "olderv"}.String()

	grown := testManifest()
	grown.Apply([]manifest.Change{
		manifest.Upsert(manifest.Entry{Key: "Niños/nuevo.mp3", Size: 10, ETag: "n"}),
		manifest.Upsert(manifest.Entry{Key: "aaa-primero.mp3", Size: 10, ETag: "a"}),
		manifest.Remove("jokes/scarecrow.mp3"),
	}, rand.New(rand.NewPCG(3, 4)))
	grown.Shuffle(99)
	grown.Version = old.Version + 1
	newPos, _ := grown.Library().Position(mustLookup(t, grown, key))

	shrunk := testManifest()
	shrunk.Apply([]manifest.Change{manifest.Remove(key)}, rand.New(rand.NewPCG(5, 6)))
	shrunk.Version = old.Version + 2

	for _, tc := range []struct {
		name string
		m    *manifest.Manifest
		want string
	}{
		{"same version", old, keyAt(old, "", pos+1)},
		{"key moved", grown, keyAt(grown, "", (newPos+1)%len(grown.Entries))},
		{"key gone", shrunk, keyAt(shrunk, "", 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(t, &memSource{m: tc.m}, Config{})
			for _, file := range []string{"launch.en-US.json", "intent.next.en-US.json", "playbackcontroller.next.json"} {
				_, tok := played(t, handle(t, h, load(t, file, withToken(token, 0))))
				if tok.Key != tc.want || tok.Version != tc.m.Version {
					t.Errorf("%s: played %q (v%d); want %q (v%d)", file, tok.Key, tok.Version, tc.want, tc.m.Version)
				}
			}
		})
	}
}

func mustLookup(t testing.TB, m *manifest.Manifest, key string) int {
	t.Helper()
	i, ok := m.Lookup(key)
	if !ok {
		t.Fatalf("%q not in the manifest", key)
	}
	return i
}

// countingSigner signs like fakeSign with a serial number, so every URL is
// fresh, and records the keys it signed.
type countingSigner struct {
	mu   sync.Mutex
	keys []string
}

func (s *countingSigner) Sign(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	u, _ := fakeSign(ctx, key)
	return fmt.Sprintf("%s&n=%d", u, len(s.keys)), nil
}

func (s *countingSigner) signed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

func TestResume(t *testing.T) {
	m := testManifest()
	token := tokenAt(t, m, "Animales", 2)
	for _, file := range []string{"intent.resume.en-US.json", "intent.resume.es-ES.json", "playbackcontroller.play.json"} {
		t.Run(file, func(t *testing.T) {
			sign := &countingSigner{}
			h := newTestHandler(t, &memSource{m: m}, Config{})
			h.sign = sign
			for i := 1; i <= 2; i++ {
				resp := handle(t, h, load(t, file, withToken(token, 4321)))
				d, tok := played(t, resp)
				s := d.AudioItem.Stream
				if tok.Key != keyAt(m, "Animales", 2) || tok.Playlist != "Animales" || tok.Pos != 2 {
					t.Errorf("resumed %+v; want the device's entry", tok)
				}
				if s.OffsetInMilliseconds != 4321 {
					t.Errorf("offset %d; want 4321", s.OffsetInMilliseconds)
				}
				if !strings.HasSuffix(s.URL, fmt.Sprintf("&n=%d", i)) {
					t.Errorf("URL %q is not freshly signed (signature %d)", s.URL, i)
				}
				if said(resp) != "" || d.PlayBehavior != alexa.ReplaceAll {
					t.Errorf("resume said %q with %s", said(resp), d.PlayBehavior)
				}
			}
			if got := sign.signed(); len(got) != 2 {
				t.Errorf("signed %q; want one URL per request", got)
			}
		})
	}
}

func TestPauseStopCancel(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	for _, tc := range []struct {
		file string
		want []alexa.Directive
		end  *bool
	}{
		{"intent.pause.en-US.json", []alexa.Directive{alexa.Stop()}, alexa.Bool(true)},
		{"intent.pause.es-ES.json", []alexa.Directive{alexa.Stop()}, alexa.Bool(true)},
		{"playbackcontroller.pause.json", []alexa.Directive{alexa.Stop()}, nil},
		{"intent.stop.en-US.json", []alexa.Directive{alexa.ClearQueue(alexa.ClearAll), alexa.Stop()}, alexa.Bool(true)},
		{"intent.stop.es-ES.json", []alexa.Directive{alexa.ClearQueue(alexa.ClearAll), alexa.Stop()}, alexa.Bool(true)},
		{"intent.cancel.en-US.json", []alexa.Directive{alexa.ClearQueue(alexa.ClearAll), alexa.Stop()}, alexa.Bool(true)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			resp := handle(t, h, load(t, tc.file, nil))
			want := alexa.ResponseBody{Directives: tc.want, ShouldEndSession: tc.end}
			if diff := cmp.Diff(want, resp.Response); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNearlyFinished(t *testing.T) {
	m := testManifest()
	token := tokenAt(t, m, "jokes", 2)
	req := func() *alexa.Request {
		return load(t, "audioplayer.nearly-finished.json", func(r *alexa.Request) { r.Request.Token = token })
	}
	t.Run("continuous off", func(t *testing.T) {
		h := newTestHandler(t, &memSource{m: m}, Config{})
		resp := handle(t, h, req())
		if diff := cmp.Diff(alexa.ResponseBody{}, resp.Response); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("continuous on", func(t *testing.T) {
		h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
		d, tok := played(t, handle(t, h, req()))
		if d.PlayBehavior != alexa.Enqueue || d.AudioItem.Stream.ExpectedPreviousToken != token {
			t.Errorf("%s with expectedPreviousToken %q; want ENQUEUE after %q", d.PlayBehavior, d.AudioItem.Stream.ExpectedPreviousToken, token)
		}
		if tok.Key != keyAt(m, "jokes", 0) || tok.Playlist != "jokes" {
			t.Errorf("enqueued %+v; want the first of jokes (wrapped)", tok)
		}
		// A launch on the same handler replaces everything: no expectedPreviousToken.
		d, _ = played(t, handle(t, h, load(t, "launch.es-ES.json", nil)))
		if d.PlayBehavior != alexa.ReplaceAll || d.AudioItem.Stream.ExpectedPreviousToken != "" {
			t.Errorf("launch: %s with expectedPreviousToken %q", d.PlayBehavior, d.AudioItem.Stream.ExpectedPreviousToken)
		}
		// A token that is not ours enqueues nothing.
		resp := handle(t, h, load(t, "audioplayer.nearly-finished.json", func(r *alexa.Request) { r.Request.Token = "someone-else" }))
		noPlay(t, resp)
	})
}

func TestPlaybackFailed(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{})
	token := tokenAt(t, m, "chistes", 1)
	failed := func(token string) *alexa.Request {
		return load(t, "audioplayer.playback-failed.json", func(r *alexa.Request) {
			r.Request.Token = token
			r.Request.CurrentPlaybackState.Token = token
		})
	}
	d, tok := played(t, handle(t, h, failed(token)))
	if tok.Key != keyAt(m, "chistes", 1) || !tok.Retry || d.PlayBehavior != alexa.ReplaceAll {
		t.Fatalf("first failure: played %+v with %s; want the same key again, marked retry", tok, d.PlayBehavior)
	}
	if d.AudioItem.Stream.OffsetInMilliseconds != 1200 {
		t.Errorf("retry at %d ms; want the failed position 1200", d.AudioItem.Stream.OffsetInMilliseconds)
	}
	_, tok = played(t, handle(t, h, failed(d.AudioItem.Stream.Token)))
	if tok.Key != keyAt(m, "chistes", 2) || tok.Retry {
		t.Errorf("second failure: played %+v; want the next key, not a retry", tok)
	}
}

// TestPlaybackFailedQueued fails a queued stream B while A still plays:
// only the queue is replaced, and A's offset is not applied to B.
func TestPlaybackFailedQueued(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
	playing, queued := tokenAt(t, m, "chistes", 1), tokenAt(t, m, "chistes", 2)
	failed := func(activity alexa.PlayerActivity) *alexa.Request {
		return load(t, "audioplayer.playback-failed.json", func(r *alexa.Request) {
			r.Request.Token = queued
			r.Request.CurrentPlaybackState = &alexa.AudioPlayerState{Token: playing, OffsetInMilliseconds: 4000, PlayerActivity: activity}
			r.Context.AudioPlayer = &alexa.AudioPlayerState{Token: playing, OffsetInMilliseconds: 4000, PlayerActivity: activity}
		})
	}
	for _, activity := range []alexa.PlayerActivity{alexa.Playing, alexa.Paused, alexa.BufferUnderrun} {
		t.Run(string(activity), func(t *testing.T) {
			d, tok := played(t, handle(t, h, failed(activity)))
			if d.PlayBehavior != alexa.ReplaceEnqueued {
				t.Errorf("queued failure while %s answered %s; want REPLACE_ENQUEUED (A keeps playing)", activity, d.PlayBehavior)
			}
			if tok.Key != keyAt(m, "chistes", 2) || !tok.Retry {
				t.Errorf("replaced the queue with %+v; want the failed key again, marked retry", tok)
			}
			if off := d.AudioItem.Stream.OffsetInMilliseconds; off != 0 {
				t.Errorf("retry of B at %d ms: the playing stream's offset applied to the failed one", off)
			}
		})
	}
	t.Run("other stream finished", func(t *testing.T) {
		d, _ := played(t, handle(t, h, failed(alexa.Finished)))
		if d.PlayBehavior != alexa.ReplaceAll || d.AudioItem.Stream.OffsetInMilliseconds != 0 {
			t.Errorf("answered %s at %d ms; want REPLACE_ALL at 0", d.PlayBehavior, d.AudioItem.Stream.OffsetInMilliseconds)
		}
	})
}

func TestWrongSkill(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{SkillID: testSkillID})
	for _, file := range []string{"launch.es-ES.json", "audioplayer.nearly-finished.json", "playbackcontroller.next.json", "session-ended.json"} {
		t.Run(file, func(t *testing.T) {
			if _, err := h.Handle(context.Background(), load(t, file, nil)); err != nil {
				t.Fatalf("right skill refused: %v", err)
			}
			req := load(t, file, func(r *alexa.Request) {
				r.Context.System.Application.ApplicationID = "amzn1.ask.skill.someone-else"
				if r.Session != nil {
					r.Session.Application.ApplicationID = "amzn1.ask.skill.someone-else"
				}
			})
			resp, err := h.Handle(context.Background(), req)
			if !errors.Is(err, alexa.ErrWrongSkill) || resp != nil {
				t.Errorf("Handle = %v, %v; want an error wrapping alexa.ErrWrongSkill", resp, err)
			}
			raw, _ := json.Marshal(req)
			if _, err := h.Invoke(context.Background(), raw); !errors.Is(err, alexa.ErrWrongSkill) {
				t.Errorf("Invoke: %v; want an error wrapping alexa.ErrWrongSkill", err)
			}
		})
	}
}

func TestEmptyLibrary(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  *memSource
		say  string
	}{
		{"empty manifest", &memSource{m: manifest.New()}, "There are no jokes yet. Drop some audio files into the bucket and try again."},
		{"nothing published", &memSource{err: fmt.Errorf("no manifest published yet: %w", manifest.ErrEmpty)}, "There are no jokes yet. Drop some audio files into the bucket and try again."},
		{"backend down", &memSource{err: errors.New("connection refused")}, "Sorry, I can't load the jokes right now. Please try again in a moment."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(t, tc.src, Config{Continuous: true, ManifestTTL: -1})
			for _, file := range []string{"launch.en-US.json", "intent.play.en-US.json", "intent.next.en-US.json", "intent.resume.en-US.json"} {
				resp := handle(t, h, load(t, file, nil))
				noPlay(t, resp)
				if said(resp) != tc.say {
					t.Errorf("%s: said %q; want %q", file, said(resp), tc.say)
				}
			}
			for _, file := range []string{"audioplayer.nearly-finished.json", "playbackcontroller.next.json", "audioplayer.playback-failed.json"} {
				resp := handle(t, h, load(t, file, nil))
				noPlay(t, resp)
			}
			out, err := h.Invoke(context.Background(), alexa.WarmupPayload)
			if err != nil || !strings.Contains(string(out), `"warm":true`) {
				t.Errorf("warm-up = %s, %v", out, err)
			}
		})
	}
}

// TestNoAudioPlayerAnyPath sends every sample request from a device without
// the AudioPlayer interface, holding one of our tokens: no answer may carry
// an AudioPlayer directive, and stop, cancel and pause end the session
// quietly.
func TestNoAudioPlayerAnyPath(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
	token := tokenAt(t, m, "", 3)
	for _, file := range fixtures(t) {
		name := filepath.Base(file)
		if name == "warmup.json" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			resp := handle(t, h, load(t, name, func(r *alexa.Request) {
				r.Context.System.Device.SupportedInterfaces.AudioPlayer = nil
				withToken(token, 1500)(r)
				if r.Request.Token != "" {
					r.Request.Token = token
				}
			}))
			for _, d := range resp.Response.Directives {
				if strings.HasPrefix(string(d.Type), "AudioPlayer.") {
					t.Errorf("device without AudioPlayer got %s", d.Type)
				}
			}
			if strings.HasPrefix(name, "intent.stop.") || strings.HasPrefix(name, "intent.cancel.") || strings.HasPrefix(name, "intent.pause.") {
				want := alexa.ResponseBody{ShouldEndSession: alexa.Bool(true)}
				if diff := cmp.Diff(want, resp.Response); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestNoAudioPlayer(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	for file, want := range map[string]string{
		"launch.no-audioplayer.en-US.json": "Sorry, this device can't play audio.",
		"launch.no-audioplayer.es-ES.json": "Lo siento, este dispositivo no puede reproducir audio.",
	} {
		resp := handle(t, h, load(t, file, nil))
		noPlay(t, resp)
		if said(resp) != want {
			t.Errorf("%s: said %q; want %q", file, said(resp), want)
		}
	}
}

func TestLocales(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	for _, tc := range []struct{ locale, want string }{
		{"es-ES", "¡Hola! Aquí va un chiste."},
		{"es-AR", "¡Hola! Aquí va un chiste."},
		{"es-419", "¡Hola! Aquí va un chiste."},
		{"es-MX", "¡Hola! Ahí te va un chiste."},
		{"en-US", "Hi! Here's a joke."},
		{"en-GB", "Hello! Here's a joke."},
		{"en-IN", "Hi! Here's a joke."},
		{"fr-FR", "Hi! Here's a joke."},
		{"", "Hi! Here's a joke."},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			resp := handle(t, h, load(t, "launch.en-US.json", func(r *alexa.Request) { r.Request.Locale = tc.locale }))
			if said(resp) != tc.want {
				t.Errorf("said %q; want %q", said(resp), tc.want)
			}
		})
	}
}

func TestWelcomeOverride(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{Welcome: map[string]string{
		"": "Welcome to the joke box.", "es": "Bienvenidos a la caja de chistes.", "es-MX": "¡Qué onda! Un chiste.",
	}})
	for _, tc := range []struct{ locale, want string }{
		{"en-US", "Welcome to the joke box."},
		{"en-GB", "Welcome to the joke box."},
		{"fr-FR", "Welcome to the joke box."},
		{"es-ES", "Bienvenidos a la caja de chistes."},
		{"es-AR", "Bienvenidos a la caja de chistes."},
		{"es-MX", "¡Qué onda! Un chiste."},
	} {
		for _, file := range []string{"launch.en-US.json", "intent.play.en-US.json"} {
			resp := handle(t, h, load(t, file, func(r *alexa.Request) { r.Request.Locale = tc.locale }))
			if said(resp) != tc.want {
				t.Errorf("%s in %s: said %q; want %q", file, tc.locale, said(resp), tc.want)
			}
		}
	}
}

// forgedTokens are device tokens an attacker (or a bug) could send.
func forgedTokens(m *manifest.Manifest) []string {
	esc := func(s string) string { return strings.NewReplacer("/", "%2F", " ", "+").Replace(s) }
	v := m.Version
	real := m.Entries[0].Key
	long := strings.Repeat("x", 1100)
	return []string{
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, esc("secret/passwords.mp3")),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, esc(manifest.Prefix+"pointer.json")),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, esc(manifest.ObjectKey(v))),
		fmt.Sprintf("jb1|%d|_jokebox|0|nforged|%s", v, esc(manifest.Prefix+"pointer.json")),
		fmt.Sprintf("jb1|%d||0|rforged|%s", v, esc(manifest.Prefix+"pointer.json")),
		fmt.Sprintf("jb1|%d||999999999|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||9223372036854775807|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||99999999999999999999999|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||-1|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||-9223372036854775808|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|-%d||0|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|1||3|nforged|%s", esc("old/gone.mp3")),
		fmt.Sprintf("jb1|1||3|nforged|%s", esc(real)),
		fmt.Sprintf("jb1|%d||3|nforged|%s", v+1000, esc(manifest.Prefix+"x.mp3")),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, "#AAAAAAAAAAAAAAAAAAAAAA"),
		fmt.Sprintf("jb1|%d|#AAAAAAAAAAAAAAAAAAAAAA|0|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d|nope|0|nforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, esc("../"+real)),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, esc(real)+"%00"),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, "%ZZ"),
		fmt.Sprintf("jb1|%d||0|xforged|%s", v, esc(real)),
		fmt.Sprintf("jb1|%d||0|nforged|", v),
		fmt.Sprintf("jb1|%d||0|nforged|%s", v, long),
		"jb1|||||",
		"jb2|7||0|nforged|a.mp3",
		"https://evil.invalid/a.mp3",
		"",
	}
}

// TestForgedTokens sends forged tokens in every place a token can be and
// checks that every URL signed is for a key of the manifest.
func TestForgedTokens(t *testing.T) {
	m := testManifest()
	sign := &countingSigner{}
	h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
	h.sign = sign
	files := []string{
		"launch.es-ES.json", "intent.play.en-US.json", "intent.play.animales.es-ES.json", "intent.next.en-US.json",
		"intent.previous.en-US.json", "intent.resume.en-US.json", "intent.start-over.en-US.json",
		"playbackcontroller.play.json", "playbackcontroller.next.json", "playbackcontroller.previous.json",
		"audioplayer.nearly-finished.json", "audioplayer.playback-failed.json",
	}
	for _, forged := range forgedTokens(m) {
		for _, file := range files {
			req := load(t, file, func(r *alexa.Request) {
				if r.Context.AudioPlayer == nil {
					r.Context.AudioPlayer = &alexa.AudioPlayerState{}
				}
				r.Context.AudioPlayer.Token = forged
				r.Context.AudioPlayer.OffsetInMilliseconds = 1 << 40
				if r.Request.Token != "" {
					r.Request.Token = forged
				}
			})
			if err := req.Validate(); err != nil {
				continue // Decode would refuse it (for example, over 1,024 bytes)
			}
			resp, err := h.Handle(context.Background(), req)
			if err != nil {
				t.Fatalf("%s with %q: %v", file, forged, err)
			}
			out, _ := json.Marshal(resp)
			checkResponse(t, req, out)
		}
	}
	keys := sign.signed()
	if len(keys) == 0 {
		t.Fatal("nothing signed")
	}
	for _, k := range keys {
		if _, ok := m.Lookup(k); !ok {
			t.Errorf("signed a URL for %q, which is not in the manifest", k)
		}
	}
}

// TestLongKey plays keys of S3's maximum length in a folder with a long
// name, every byte of which needs escaping: the tokens fit in 1,024
// characters and still continue the device, in the folder and in the
// library.
func TestLongKey(t *testing.T) {
	folder := strings.Repeat("ñ", 400) // 800 bytes, 2,400 escaped
	var keys []string
	for _, c := range "abc" {
		k := folder + "/" + string(c)
		keys = append(keys, k+strings.Repeat("é", (1024-len(k))/2))
	}
	m := buildManifest(3, append(keys, "other.mp3")...)
	h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
	for _, start := range []string{"", folder} {
		pl, _ := m.Playlist(start)
		token := Token{Version: m.Version, Playlist: start, Pos: 0, Key: keyAt(m, start, 0), Nonce: "start0"}.String()
		for i := range 2 * len(pl.Order) {
			if len(token) > 1024 {
				t.Fatalf("token of %d characters", len(token))
			}
			d, tok := played(t, handle(t, h, load(t, "intent.next.en-US.json", withToken(token, 0))))
			want := keyAt(m, start, (i+1)%len(pl.Order))
			if got := signedKey(t, d.AudioItem.Stream.URL); got != want {
				t.Fatalf("playlist %.8q, step %d: played %.20q…; want %.20q…", start, i, got, want)
			}
			if !tok.MatchesKey(want) || !tok.MatchesPlaylist(start) {
				t.Errorf("token %q does not name the key and playlist played", d.AudioItem.Stream.Token)
			}
			token = d.AudioItem.Stream.Token
		}
	}
}

// TestHashKey covers keys and folders that begin with "#", which a hashed
// token field also does.
func TestHashKey(t *testing.T) {
	m := buildManifest(2, "#humor/uno.mp3", "#humor/dos.mp3", "#tres.mp3")
	h := newTestHandler(t, &memSource{m: m}, Config{})
	token := ""
	seen := map[string]bool{}
	for range 3 {
		d, tok := played(t, handle(t, h, load(t, "intent.next.en-US.json", withToken(token, 0))))
		token = d.AudioItem.Stream.Token
		seen[tok.Key] = true
	}
	if len(seen) != 3 {
		t.Errorf("played %v in three requests; want all three keys", seen)
	}
	token = ""
	seen = map[string]bool{}
	for range 2 {
		d, tok := played(t, handle(t, h, load(t, "intent.play.animales.es-ES.json", func(r *alexa.Request) {
			r.Request.Intent.Slots[PlaylistSlot] = alexa.Slot{Name: PlaylistSlot, Value: "humor"}
			r.Context.AudioPlayer.Token = token
		})))
		token = d.AudioItem.Stream.Token
		seen[tok.Key] = true
	}
	if len(seen) != 2 {
		t.Errorf("played %v from #humor in two requests; want both", seen)
	}
}

// TestLibraryCache checks the manifest cache: no call within the TTL, one
// pointer read after it, a fetch only for a newer version, and the last good
// manifest kept when the source fails.
func TestLibraryCache(t *testing.T) {
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) { testLibraryCache(t, wait) })
	}
}

// testLibraryCache follows the cache through its TTL. Without wait, the
// request that finds the manifest stale is answered from it and the
// refresh runs beside it; with wait (Lambda), that request waits.
func testLibraryCache(t *testing.T, wait bool) {
	src := &memSource{m: testManifest()}
	h := newTestHandler(t, src, Config{ManifestTTL: time.Minute, WaitForRefresh: wait})
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	h.lib.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	advance := func() { clock.Lock(); defer clock.Unlock(); now = now.Add(time.Minute) }
	launch := func() Token {
		_, tok := played(t, handle(t, h, load(t, "launch.en-US.json", nil)))
		return tok
	}
	launch()
	if src.pointer != 1 || src.fetch != 1 {
		t.Fatalf("first request: %d pointer reads and %d fetches; want 1 and 1", src.pointer, src.fetch)
	}
	for range 50 {
		launch()
		handle(t, h, load(t, "intent.next.en-US.json", nil))
		handle(t, h, load(t, "playbackcontroller.play.json", nil))
	}
	if src.calls() != 2 {
		t.Fatalf("warm requests made %d calls; want none", src.calls()-2)
	}
	advance()
	launch()
	h.lib.settle()
	launch()
	if src.calls() != 3 || src.fetch != 1 {
		t.Errorf("after the TTL: %d pointer reads and %d fetches; want 2 and 1", src.calls()-src.fetch, src.fetch)
	}
	next := testManifest()
	next.Version++
	src.set(next)
	advance()
	tok := launch()
	if want := map[bool]int64{false: testVersion, true: next.Version}[wait]; tok.Version != want {
		t.Errorf("the request that found the manifest stale played from v%d; want v%d", tok.Version, want)
	}
	h.lib.settle()
	if tok := launch(); tok.Version != next.Version {
		t.Errorf("after the refresh played from v%d; want v%d", tok.Version, next.Version)
	}
	if src.calls() != 5 || src.fetch != 2 {
		t.Errorf("after a new version: %d calls and %d fetches; want 5 and 2", src.calls(), src.fetch)
	}
	src.mu.Lock()
	src.err = errors.New("throttled")
	src.mu.Unlock()
	advance()
	if tok := launch(); tok.Version != next.Version {
		t.Errorf("with the source failing played from v%d; want the last good v%d", tok.Version, next.Version)
	}
	h.lib.settle()
	launch()
	h.lib.settle()
	if src.pointer != 4 {
		t.Errorf("%d pointer reads; want one retry per TTL, not one per request", src.pointer)
	}
}

// stuckSource is a source whose pointer reads block until released or
// cancelled, as when the backend hangs.
type stuckSource struct {
	memSource
	stuck   atomic.Bool
	release chan struct{}
	entered chan struct{} // one value per blocked read
	ctxErr  chan error    // why a blocked read ended
}

func newStuckSource(m *manifest.Manifest) *stuckSource {
	return &stuckSource{memSource: memSource{m: m}, release: make(chan struct{}), entered: make(chan struct{}, 100), ctxErr: make(chan error, 100)}
}

func (s *stuckSource) Pointer(ctx context.Context) (manifest.Pointer, error) {
	if s.stuck.Load() {
		s.entered <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
			s.ctxErr <- ctx.Err()
			return manifest.Pointer{}, ctx.Err()
		}
	}
	return s.memSource.Pointer(ctx)
}

// stuckPastTTL returns a handler that has loaded the manifest, with its
// clock moved past the TTL and its source hung from then on (released when
// the test ends). timeout, when set, bounds the library's refresh.
func stuckPastTTL(t *testing.T, timeout time.Duration) (*Handler, *stuckSource) {
	t.Helper()
	src := newStuckSource(testManifest())
	h := newTestHandler(t, src, Config{ManifestTTL: time.Minute})
	if timeout > 0 {
		h.lib.timeout = timeout
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC).UnixNano())
	h.lib.now = func() time.Time { return time.Unix(0, now.Load()) }
	handle(t, h, load(t, "launch.en-US.json", nil))
	src.stuck.Store(true)
	t.Cleanup(func() { close(src.release) })
	now.Add(int64(time.Minute))
	return h, src
}

// TestRefreshNeverBlocksReaders makes the refresh hang past the TTL and
// checks that requests are still answered, from the cached manifest, and
// that they start no second refresh. On a library that holds a lock across
// the pointer read, every request waits for the hung one.
func TestRefreshNeverBlocksReaders(t *testing.T) {
	h, src := stuckPastTTL(t, 0)
	const readers = 40
	done := make(chan *alexa.Response, readers)
	for i := range readers {
		go func() {
			resp, err := h.Handle(context.Background(), load(t, []string{"launch.en-US.json", "intent.next.en-US.json"}[i%2], nil))
			if err != nil {
				t.Error(err)
			}
			done <- resp
		}()
	}
	select {
	case <-src.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh started past the TTL")
	}
	for i := range readers {
		select {
		case resp := <-done:
			if _, tok := played(t, resp); tok.Version != testVersion {
				t.Errorf("reader %d played v%d; want the cached v%d", i, tok.Version, testVersion)
			}
		case <-time.After(10 * time.Second): // a deadlock guard, not a speed goal
			t.Fatalf("%d of %d readers still blocked behind the hung refresh", readers-i, readers)
		}
	}
	if n := len(src.entered); n != 0 {
		t.Errorf("%d more refreshes started while one was under way; want none", n)
	}
}

// TestRefreshTimeout hangs the refresh and checks that its own timeout ends
// it, the last good manifest stays, and the next try waits for the TTL.
func TestRefreshTimeout(t *testing.T) {
	h, src := stuckPastTTL(t, 20*time.Millisecond)
	handle(t, h, load(t, "launch.en-US.json", nil))
	h.lib.settle()
	select {
	case err := <-src.ctxErr:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the hung read ended with %v; want the refresh's deadline", err)
		}
	default:
		t.Fatal("the refresh ended without its read being cancelled")
	}
	if _, tok := played(t, handle(t, h, load(t, "launch.en-US.json", nil))); tok.Version != testVersion {
		t.Errorf("played v%d after a failed refresh; want the last good v%d", tok.Version, testVersion)
	}
	if n := len(src.entered); n != 1 {
		t.Errorf("%d refreshes; want 1 until the TTL passes again", n)
	}
}

// TestColdStartOneLoad sends concurrent first requests: they share one load.
func TestColdStartOneLoad(t *testing.T) {
	src := &memSource{m: testManifest()}
	h := newTestHandler(t, src, Config{ManifestTTL: time.Minute})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := h.Handle(context.Background(), load(t, "launch.en-US.json", nil)); err != nil || len(resp.Response.Directives) != 1 {
				t.Errorf("cold request: %v, %v", resp, err)
			}
		}()
	}
	wg.Wait()
	if src.pointer != 1 || src.fetch != 1 {
		t.Errorf("%d pointer reads and %d fetches for 20 first requests; want 1 and 1", src.pointer, src.fetch)
	}
}

func TestHandleWithoutIntent(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	req := load(t, "intent.help.en-US.json", func(r *alexa.Request) { r.Request.Intent = nil })
	resp, err := h.Handle(context.Background(), req)
	if err != nil || resp == nil || said(resp) == "" {
		t.Errorf("Handle(intent request without intent) = %+v, %v; want the fallback answer", resp, err)
	}
}

func TestInvokeRefusesBadRequests(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{})
	for _, raw := range []string{``, `{`, `[]`, `{"request":{}}`, `{"version":"1.0","request":{"type":"LaunchRequest"}}`} {
		if _, err := h.Invoke(context.Background(), []byte(raw)); !errors.Is(err, alexa.ErrInvalid) {
			t.Errorf("Invoke(%q) = %v; want an error wrapping alexa.ErrInvalid", raw, err)
		}
	}
}
