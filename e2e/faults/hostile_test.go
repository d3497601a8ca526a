package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/index"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/store"
)

const skillID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000fa17"

// req builds a request envelope: typ with body fields merged in, the
// device's player token, for application appID.
func req(appID, typ, playerToken string, body map[string]any) []byte {
	b := map[string]any{"type": typ, "requestId": "r1", "timestamp": "2026-11-23T12:00:00Z", "locale": "es-ES"}
	for k, v := range body {
		b[k] = v
	}
	sys := map[string]any{
		"application": map[string]any{"applicationId": appID},
		"device":      map[string]any{"deviceId": "d", "supportedInterfaces": map[string]any{"AudioPlayer": map[string]any{}}},
	}
	ctx := map[string]any{"System": sys}
	if playerToken != "" {
		ctx["AudioPlayer"] = map[string]any{"token": playerToken, "offsetInMilliseconds": 1500, "playerActivity": "PAUSED"}
	}
	env := map[string]any{"version": "1.0", "context": ctx, "request": b}
	if !alexa.RequestType(typ).IsPlayback() {
		env["session"] = map[string]any{"new": false, "sessionId": "s", "application": map[string]any{"applicationId": appID}}
	}
	out, _ := json.Marshal(env)
	return out
}

func intent(name string, slots map[string]any) map[string]any {
	return map[string]any{"intent": map[string]any{"name": name, "slots": slots}}
}

// tokenCarriers are the requests through which a device hands a token
// back: in context.AudioPlayer or in the request itself.
func tokenCarriers(token string) map[string][]byte {
	out := map[string][]byte{}
	for _, in := range []string{"AMAZON.ResumeIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.StartOverIntent", "AMAZON.RepeatIntent", skill.PlayIntent} {
		out[in] = req(skillID, "IntentRequest", token, intent(in, nil))
	}
	for _, typ := range []alexa.RequestType{alexa.PlayCommandIssued, alexa.NextCommandIssued, alexa.PreviousCommandIssued} {
		out[string(typ)] = req(skillID, string(typ), token, nil)
	}
	for _, typ := range []alexa.RequestType{alexa.PlaybackNearlyFinished, alexa.PlaybackStarted, alexa.PlaybackStopped, alexa.PlaybackFinished} {
		out[string(typ)] = req(skillID, string(typ), token, map[string]any{"token": token, "offsetInMilliseconds": 10})
	}
	out["failed"] = req(skillID, string(alexa.PlaybackFailed), token, map[string]any{"token": token, "error": map[string]any{"type": "MEDIA_ERROR_UNKNOWN", "message": "x"}, "currentPlaybackState": map[string]any{"token": token, "offsetInMilliseconds": 5}})
	return out
}

// answer checks one answer of the skill: a refusal wrapping ErrInvalid or
// ErrWrongSkill, or a valid response whose every URL names an entry of m.
// It returns the keys played.
func answer(t *testing.T, endpoint string, m *manifest.Manifest, payload, resp []byte, err error) []string {
	t.Helper()
	if err != nil {
		if !errors.Is(err, alexa.ErrInvalid) && !errors.Is(err, alexa.ErrWrongSkill) {
			t.Errorf("error %v wraps neither ErrInvalid nor ErrWrongSkill", err)
		}
		if resp != nil {
			t.Errorf("a refusal with a body: %s", resp)
		}
		return nil
	}
	if len(resp) > 24<<10 {
		t.Errorf("response of %d bytes, over Alexa's 24 KB", len(resp))
	}
	keys := playedKeys(t, endpoint, resp)
	checkInManifest(t, m, keys, string(payload[:min(len(payload), 120)]))
	var r alexa.Response
	_ = json.Unmarshal(resp, &r)
	var q alexa.Request
	if json.Unmarshal(payload, &q) == nil && q.Request.Type.IsPlayback() && (r.Response.OutputSpeech != nil || r.Response.ShouldEndSession != nil) {
		t.Errorf("speech or shouldEndSession in the answer to %s: %s", q.Request.Type, resp)
	}
	return keys
}

// invoke calls the handler, turning a panic into a test failure.
func invoke(t *testing.T, h *skill.Handler, payload []byte) (resp []byte, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panic on %.200s: %v", payload, p)
		}
	}()
	return h.Invoke(t.Context(), payload)
}

// TestHostileRequests sends the skill malformed, oversized, unknown,
// wrong-skill and forged requests, with a real manifest from moto: each
// gets a valid response or a refusal, never a panic, and never a URL for an
// object outside the manifest.
func TestHostileRequests(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	for _, k := range []string{"chistes/uno.mp3", "chistes/dos.mp3", "animales/gato.mp3", "raiz.mp3"} {
		e.put(k, fx.short)
	}
	e.put("texto.mp3", fx.text)              // rejected
	e.put("secret.txt", []byte("private"))   // not audio
	e.put("_jokebox/hidden.mp3", fx.short)   // reserved prefix
	e.put("chistes/borrado.mp3", fx.notitle) // indexed, then deleted
	if _, _, err := e.ix.Reconcile(t.Context(), index.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	h := e.newSkill(skill.Config{SkillID: skillID, Continuous: true, ManifestTTL: time.Hour})
	m1 := e.load()

	// A genuine token from v1 for the entry about to be deleted.
	idx, _ := m1.Lookup("chistes/borrado.mp3")
	pl, _ := m1.Playlist("chistes")
	pos, _ := pl.Position(idx)
	oldToken := skill.Token{Version: m1.Version, Playlist: "chistes", Pos: pos, Key: "chistes/borrado.mp3", Nonce: "abc"}.String()
	e.del("chistes/borrado.mp3")
	if _, _, err := e.ix.Reconcile(t.Context(), index.ReconcileOptions{Shuffle: true}); err != nil {
		t.Fatal(err)
	}
	h = e.newSkill(skill.Config{SkillID: skillID, Continuous: true, ManifestTTL: time.Hour})
	m := e.load()
	if _, ok := m.Lookup("chistes/borrado.mp3"); ok {
		t.Fatal("deleted key still in the manifest")
	}

	huge := strings.Repeat("a", 10<<10)
	plain := map[string][]byte{
		"empty":                {},
		"not json":             []byte("{"),
		"null":                 []byte("null"),
		"array":                []byte("[1,2]"),
		"string":               []byte(`"LaunchRequest"`),
		"binary":               {0xff, 0xfe, 0, 1, 2},
		"type as number":       []byte(`{"version":"1.0","context":{"System":{"application":{"applicationId":"` + skillID + `"}}},"request":{"type":5}}`),
		"context as string":    []byte(`{"version":"1.0","context":"x","request":{"type":"LaunchRequest"}}`),
		"offset as string":     []byte(`{"version":"1.0","context":{"System":{"application":{"applicationId":"` + skillID + `"}},"AudioPlayer":{"token":"t","offsetInMilliseconds":"9"}},"request":{"type":"LaunchRequest"}}`),
		"slots as array":       []byte(`{"version":"1.0","context":{"System":{"application":{"applicationId":"` + skillID + `"}}},"request":{"type":"IntentRequest","intent":{"name":"PlayJokeIntent","slots":[1]}}}`),
		"negative offset":      req(skillID, "AMAZON.PlaybackStopped", "", map[string]any{"offsetInMilliseconds": -5}),
		"huge body":            []byte(`{"pad":"` + strings.Repeat("x", alexa.MaxRequestSize) + `"}`),
		"huge valid":           req(skillID, "LaunchRequest", "", map[string]any{"pad": strings.Repeat("x", 200<<10)}),
		"deep nesting":         []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
		"unknown type":         req(skillID, "Alexa.Presentation.APL.UserEvent", "", nil),
		"unknown playback":     req(skillID, "AudioPlayer.Unheard", "", nil),
		"no type":              req(skillID, "", "", nil),
		"unknown intent":       req(skillID, "IntentRequest", "", intent("EvilIntent", nil)),
		"intent without name":  req(skillID, "IntentRequest", "", intent("", nil)),
		"10 KB slot":           req(skillID, "IntentRequest", "", intent(skill.PlayIntent, map[string]any{"playlist": map[string]any{"name": "playlist", "value": huge}})),
		"odd slot":             req(skillID, "IntentRequest", "", intent(skill.PlayIntent, map[string]any{"playlist": map[string]any{"name": "playlist", "value": "../_jokebox/%2e%2e\x00"}})),
		"slot naming prefix":   req(skillID, "IntentRequest", "", intent(skill.PlayIntent, map[string]any{"playlist": map[string]any{"name": "playlist", "value": "_jokebox"}})),
		"10 KB token":          req(skillID, "IntentRequest", huge, intent("AMAZON.ResumeIntent", nil)),
		"wrong skill":          req("amzn1.ask.skill.someone-else", "LaunchRequest", "", nil),
		"wrong skill playback": req("amzn1.ask.skill.someone-else", string(alexa.PlaybackNearlyFinished), "", map[string]any{"token": oldToken}),
		"no skill ID":          req("", "LaunchRequest", "", nil),
		"warm-up lookalike":    []byte(`{"jokebox":"warmup","request":{"type":"LaunchRequest"}}`),
		"exception":            req(skillID, string(alexa.ExceptionEncountered), "", map[string]any{"error": map[string]any{"type": huge[:200]}, "cause": map[string]any{"requestId": "x"}}),
	}
	wantRefused := []string{"empty", "not json", "null", "array", "string", "binary", "type as number", "context as string", "offset as string", "slots as array", "negative offset", "huge body", "huge valid", "deep nesting", "no type", "intent without name", "10 KB slot", "10 KB token", "wrong skill", "wrong skill playback", "no skill ID", "warm-up lookalike"}
	for name, payload := range plain {
		t.Run(name, func(t *testing.T) {
			resp, err := invoke(t, h, payload)
			answer(t, e.endpoint, m, payload, resp, err)
			refused := err != nil
			want := false
			for _, w := range wantRefused {
				want = want || w == name
			}
			if refused != want {
				t.Errorf("refused = %v (%v); want %v", refused, err, want)
			}
			if strings.HasPrefix(name, "wrong skill") && !errors.Is(err, alexa.ErrWrongSkill) {
				t.Errorf("error %v; want ErrWrongSkill", err)
			}
		})
	}

	forged := map[string]string{
		"pointer":        skill.Token{Version: m.Version, Playlist: "", Pos: 0, Key: store.PointerKey, Nonce: "x"}.String(),
		"manifest":       skill.Token{Version: m.Version, Playlist: "", Pos: 0, Key: manifest.ObjectKey(m.Version), Nonce: "x"}.String(),
		"hidden audio":   skill.Token{Version: m.Version, Playlist: "_jokebox", Pos: 0, Key: "_jokebox/hidden.mp3", Nonce: "x"}.String(),
		"not audio":      skill.Token{Version: m.Version, Playlist: "", Pos: 1, Key: "secret.txt", Nonce: "x"}.String(),
		"rejected":       skill.Token{Version: m.Version, Playlist: "", Pos: 2, Key: "texto.mp3", Nonce: "x"}.String(),
		"traversal":      skill.Token{Version: m.Version, Playlist: "chistes", Pos: 0, Key: "chistes/../secret.txt", Nonce: "x"}.String(),
		"hash of secret": "jb1|" + fmt.Sprint(m.Version) + "||0|nx|#" + strings.Repeat("A", 22),
		"huge position":  skill.Token{Version: m.Version, Playlist: "chistes", Pos: 1 << 40, Key: "secret.txt", Nonce: "x"}.String(),
		"future version": skill.Token{Version: m.Version + 1000, Playlist: "", Pos: 0, Key: "secret.txt", Nonce: "x"}.String(),
		"old version":    oldToken,
		"unknown list":   skill.Token{Version: m.Version, Playlist: "secretos", Pos: 0, Key: "secretos/a.mp3", Nonce: "x"}.String(),
		"raw key":        store.PointerKey,
		"url":            "https://evil.invalid/" + url.PathEscape(store.PointerKey),
		"bad escapes":    "jb1|1|%zz|0|n|%zz",
		"separators":     "jb1|1|||||||",
		"overflow":       "jb1|99999999999999999999999|chistes|99999999999999999999|n|secret.txt",
		"negative":       "jb1|-1|chistes|-5|n|secret.txt",
	}
	var played int
	for name, token := range forged {
		for carrier, payload := range tokenCarriers(token) {
			t.Run("token "+name+" in "+carrier, func(t *testing.T) {
				resp, err := invoke(t, h, payload)
				if err != nil {
					t.Fatalf("a well-formed request was refused: %v", err)
				}
				keys := answer(t, e.endpoint, m, payload, resp, err)
				played += len(keys)
				for _, k := range keys {
					if k == "chistes/borrado.mp3" || strings.HasPrefix(k, manifest.Prefix) {
						t.Errorf("played %q", k)
					}
				}
			})
		}
	}
	t.Logf("plain cases %d, forged tokens %d × %d carriers, %d URLs checked, %v", len(plain), len(forged), len(tokenCarriers("x")), played, time.Since(start).Round(time.Millisecond))
}
