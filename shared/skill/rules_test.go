package skill

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
)

// The semantic rules every answer must keep, written once: checkResponse
// applies them to the answers of every test in this package (golden files,
// the conformance matrix, forged tokens, fuzzing), and TestRulesCatch
// breaks a good answer once per rule to show that each can fail.

// answer is an answer to check, with its request.
type answer struct {
	req  *alexa.Request
	raw  []byte
	body map[string]json.RawMessage // the response object, key by key
	resp alexa.Response
}

// rule is one requirement on an answer; check returns nil when it holds.
type rule struct {
	name  string
	check func(a *answer) error
}

// maxAnswer is Alexa's limit on a response's size.
const maxAnswer = 24 << 10

// directiveInterfaces maps a directive's namespace to whether a device
// declares the interface it needs. jokebox sends only AudioPlayer
// directives; a directive of any other namespace breaks the rule.
var directiveInterfaces = map[string]func(alexa.SupportedInterfaces) bool{
	"AudioPlayer.":            func(s alexa.SupportedInterfaces) bool { return s.AudioPlayer != nil },
	"Display.":                func(s alexa.SupportedInterfaces) bool { return s.Display != nil },
	"Alexa.Presentation.APL.": func(s alexa.SupportedInterfaces) bool { return s.APL != nil },
}

// plays returns the answer's Play directives.
func (a *answer) plays() []alexa.Directive {
	var out []alexa.Directive
	for _, d := range a.resp.Response.Directives {
		if d.Type == alexa.PlayDirective {
			out = append(out, d)
		}
	}
	return out
}

// playingToken is the stream playing on the device as the request saw it:
// the event's own token for AudioPlayer requests, context.AudioPlayer's
// otherwise.
func (a *answer) playingToken() string {
	if strings.HasPrefix(string(a.req.Request.Type), "AudioPlayer.") {
		return a.req.Request.Token
	}
	return a.req.Player().Token
}

// sessionless reports requests whose answers may hold directives only:
// AudioPlayer, PlaybackController and System requests.
func sessionless(t alexa.RequestType) bool { return t.IsPlayback() }

var rules = []rule{
	{"envelope", func(a *answer) error {
		var env struct {
			Version  string          `json:"version"`
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(a.raw, &env); err != nil {
			return err
		}
		if env.Version != alexa.Version || a.body == nil {
			return fmt.Errorf("version %q and response %s; want 1.0 and an object", env.Version, env.Response)
		}
		return nil
	}},
	{"size", func(a *answer) error {
		if len(a.raw) > maxAnswer {
			return fmt.Errorf("%d bytes, over Alexa's 24 KB", len(a.raw))
		}
		return nil
	}},
	{"interface", func(a *answer) error {
		for _, d := range a.resp.Response.Directives {
			known := false
			for prefix, has := range directiveInterfaces {
				if strings.HasPrefix(string(d.Type), prefix) {
					known = true
					if !has(a.req.Context.System.Device.SupportedInterfaces) {
						return fmt.Errorf("%s to a device without its interface", d.Type)
					}
				}
			}
			if !known {
				return fmt.Errorf("directive %q of an unknown interface", d.Type)
			}
		}
		return nil
	}},
	{"silent", func(a *answer) error {
		if !sessionless(a.req.Request.Type) {
			return nil
		}
		for _, k := range []string{"outputSpeech", "card", "reprompt", "shouldEndSession"} {
			if _, ok := a.body[k]; ok {
				return fmt.Errorf("answer to %s has %q", a.req.Request.Type, k)
			}
		}
		return nil
	}},
	{"empty", func(a *answer) error {
		switch a.req.Request.Type {
		case alexa.SessionEndedRequest, alexa.ExceptionEncountered:
			if len(a.body) != 0 {
				return fmt.Errorf("answer to %s is not empty: %s", a.req.Request.Type, a.raw)
			}
		}
		return nil
	}},
	{"one-play", func(a *answer) error {
		if n := len(a.plays()); n > 1 {
			return fmt.Errorf("%d Play directives", n)
		}
		return nil
	}},
	{"behavior", func(a *answer) error {
		for _, d := range a.plays() {
			switch d.PlayBehavior {
			case alexa.ReplaceAll, alexa.Enqueue, alexa.ReplaceEnqueued:
			default:
				return fmt.Errorf("playBehavior %q", d.PlayBehavior)
			}
		}
		return nil
	}},
	{"expected-previous", func(a *answer) error {
		for _, d := range a.plays() {
			prev := d.AudioItem.Stream.ExpectedPreviousToken
			switch {
			case d.PlayBehavior == alexa.Enqueue && prev == "":
				return errors.New("ENQUEUE without expectedPreviousToken")
			case d.PlayBehavior != alexa.Enqueue && prev != "":
				return fmt.Errorf("expectedPreviousToken with %s", d.PlayBehavior)
			case prev != "" && prev != a.playingToken():
				return fmt.Errorf("expectedPreviousToken %q is not the playing token %q", prev, a.playingToken())
			}
		}
		return nil
	}},
	{"https", func(a *answer) error {
		for _, d := range a.plays() {
			if !strings.HasPrefix(d.AudioItem.Stream.URL, "https://") {
				return fmt.Errorf("stream URL %q is not HTTPS", d.AudioItem.Stream.URL)
			}
		}
		return nil
	}},
	{"token-length", func(a *answer) error {
		for _, d := range a.plays() {
			if n := len(d.AudioItem.Stream.Token); n == 0 || n > 1024 {
				return fmt.Errorf("token of %d characters; want 1 to 1,024", n)
			}
		}
		return nil
	}},
	{"token-new", func(a *answer) error {
		for _, d := range a.plays() {
			if tok := d.AudioItem.Stream.Token; tok == a.req.Player().Token || tok == a.req.Request.Token {
				return fmt.Errorf("token %q is the device's own, not a new one", tok)
			}
		}
		return nil
	}},
	{"play-ends-session", func(a *answer) error {
		if sessionless(a.req.Request.Type) || len(a.plays()) == 0 {
			return nil
		}
		if e := a.resp.Response.ShouldEndSession; e == nil || !*e {
			return errors.New("Play without shouldEndSession true")
		}
		return nil
	}},
}

// violations applies every rule to an answer and returns the broken ones,
// by name.
func violations(req *alexa.Request, raw []byte) map[string]error {
	a := &answer{req: req, raw: raw}
	var env struct {
		Response map[string]json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return map[string]error{"envelope": err}
	}
	a.body = env.Response
	if err := json.Unmarshal(raw, &a.resp); err != nil {
		return map[string]error{"envelope": err}
	}
	for _, d := range a.plays() {
		if d.AudioItem == nil {
			return map[string]error{"envelope": errors.New("Play without an audio item")}
		}
	}
	out := map[string]error{}
	for _, r := range rules {
		if err := r.check(a); err != nil {
			out[r.name] = err
		}
	}
	return out
}

// checkResponse fails the test for every rule the answer breaks.
func checkResponse(t testing.TB, req *alexa.Request, out []byte) {
	t.Helper()
	for name, err := range violations(req, out) {
		t.Errorf("rule %s: %v\n%s", name, err, out)
	}
}

// TestRulesCatch breaks a good answer once per rule and checks that the
// rule, and only it, reports it.
func TestRulesCatch(t *testing.T) {
	m := testManifest()
	h := newTestHandler(t, &memSource{m: m}, Config{Continuous: true})
	playing := tokenAt(t, m, "", 3)
	type edit func(req *alexa.Request, body map[string]any)
	directive := func(body map[string]any) map[string]any {
		return body["directives"].([]any)[0].(map[string]any)
	}
	stream := func(body map[string]any) map[string]any {
		return directive(body)["audioItem"].(map[string]any)["stream"].(map[string]any)
	}
	cases := []struct {
		rule, file string
		edit       edit
	}{
		{"envelope", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) { body["\x00version"] = true }},
		{"size", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) {
			directive(body)["audioItem"].(map[string]any)["metadata"].(map[string]any)["title"] = strings.Repeat("x", maxAnswer)
		}},
		{"interface", "launch.en-US.json", func(req *alexa.Request, _ map[string]any) {
			req.Context.System.Device.SupportedInterfaces.AudioPlayer = nil
		}},
		{"interface", "intent.stop.en-US.json", func(req *alexa.Request, body map[string]any) {
			body["directives"] = []any{map[string]any{"type": "Alexa.Presentation.APL.RenderDocument"}}
		}},
		{"silent", "playbackcontroller.next.json", func(_ *alexa.Request, body map[string]any) {
			body["outputSpeech"] = map[string]any{"type": "PlainText", "text": "hi"}
		}},
		{"silent", "audioplayer.nearly-finished.json", func(_ *alexa.Request, body map[string]any) { body["shouldEndSession"] = true }},
		{"empty", "session-ended.json", func(_ *alexa.Request, body map[string]any) {
			body["directives"] = []any{map[string]any{"type": "AudioPlayer.Stop"}}
		}},
		{"empty", "system.exception.json", func(_ *alexa.Request, body map[string]any) {
			body["directives"] = []any{map[string]any{"type": "AudioPlayer.ClearQueue", "clearBehavior": "CLEAR_ALL"}}
		}},
		{"one-play", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) {
			second := map[string]any{}
			b, _ := json.Marshal(directive(body))
			_ = json.Unmarshal(b, &second)
			second["audioItem"].(map[string]any)["stream"].(map[string]any)["token"] = "jb1|other"
			body["directives"] = append(body["directives"].([]any), second)
		}},
		{"behavior", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) { directive(body)["playBehavior"] = "REPLACE_SOME" }},
		{"expected-previous", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) {
			stream(body)["expectedPreviousToken"] = playing
		}},
		{"expected-previous", "audioplayer.nearly-finished.json", func(_ *alexa.Request, body map[string]any) {
			stream(body)["expectedPreviousToken"] = "jb1|7||9|nother0|chistes%2Fel-semaforo.mp3"
		}},
		{"expected-previous", "audioplayer.nearly-finished.json", func(_ *alexa.Request, body map[string]any) {
			delete(stream(body), "expectedPreviousToken")
		}},
		{"https", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) {
			stream(body)["url"] = "http://signed.invalid/jokes/skeletons.mp3"
		}},
		{"token-length", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) {
			stream(body)["token"] = "jb1|" + strings.Repeat("x", 1021)
		}},
		{"token-new", "intent.resume.en-US.json", func(req *alexa.Request, body map[string]any) { stream(body)["token"] = req.Player().Token }},
		{"play-ends-session", "launch.en-US.json", func(_ *alexa.Request, body map[string]any) { body["shouldEndSession"] = false }},
	}
	covered := map[string]bool{}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.rule, i), func(t *testing.T) {
			req := load(t, tc.file, withToken(playing, 4000))
			if req.Request.Token != "" {
				req.Request.Token = playing
			}
			out, err := json.Marshal(handle(t, h, req)) // handle checks the good answer
			if err != nil {
				t.Fatal(err)
			}
			var env map[string]any
			if err := json.Unmarshal(out, &env); err != nil {
				t.Fatal(err)
			}
			body := env["response"].(map[string]any)
			tc.edit(req, body)
			if tc.rule == "envelope" {
				env = map[string]any{"version": "2.0", "response": body}
			}
			broken, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			got := violations(req, broken)
			if got[tc.rule] == nil {
				t.Errorf("rule %s did not catch the broken answer %s (caught: %v)", tc.rule, broken, got)
			}
			for name, err := range got {
				if name != tc.rule && !(tc.rule == "size" && name == "envelope") {
					t.Errorf("rule %s also reported: %v", name, err)
				}
			}
			covered[tc.rule] = true
		})
	}
	for _, r := range rules {
		if !covered[r.name] {
			t.Errorf("rule %s has no negative test", r.name)
		}
	}
}
