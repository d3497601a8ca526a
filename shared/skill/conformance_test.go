package skill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
)

// The conformance matrix: every request type the skill handles × every
// locale of the skill × device with and without AudioPlayer and with and
// without a screen × four player states × continuous play on and off,
// answered through Invoke (decode, handle, encode). Every answer must keep
// the rules of rules_test.go (TestConformanceMatrix) and type-check
// against Amazon's ask-sdk-model ResponseEnvelope under tsc --strict
// (TestConformanceTypes).

// matrixKind is one request the skill handles, made from a sample.
type matrixKind struct {
	name string
	file string
	edit func(*alexa.Request)
}

func matrixKinds() []matrixKind {
	kinds := []matrixKind{
		{name: "launch", file: "launch.en-US.json"},
		{name: "intent.PlayJokeIntent.animales", file: "intent.help.en-US.json", edit: func(r *alexa.Request) {
			r.Request.Intent = &alexa.Intent{Name: PlayIntent, Slots: map[string]alexa.Slot{PlaylistSlot: {Name: PlaylistSlot, Value: "animales"}}}
		}},
		{name: "session-ended", file: "session-ended.json"},
		{name: "session-ended.error", file: "session-ended.error.json"},
		{name: "system.exception", file: "system.exception.json"},
		{name: "skillevent.disabled", file: "skillevent.disabled.json"},
	}
	for _, name := range Intents() {
		kinds = append(kinds, matrixKind{name: "intent." + name, file: "intent.help.en-US.json", edit: func(r *alexa.Request) {
			r.Request.Intent = &alexa.Intent{Name: name}
		}})
	}
	for _, e := range []string{"playback-started", "playback-finished", "playback-stopped", "nearly-finished", "playback-failed"} {
		kinds = append(kinds, matrixKind{name: "audioplayer." + e, file: "audioplayer." + e + ".json"})
	}
	for _, c := range []string{"play", "pause", "next", "previous"} {
		kinds = append(kinds, matrixKind{name: "playbackcontroller." + c, file: "playbackcontroller." + c + ".json"})
	}
	return kinds
}

// skillLocales reads the locales the skill is published in.
func skillLocales(t testing.TB) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "skill-package", "skill.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sk struct {
		Manifest struct {
			PublishingInformation struct {
				Locales map[string]json.RawMessage `json:"locales"`
			} `json:"publishingInformation"`
		} `json:"manifest"`
	}
	if err := json.Unmarshal(raw, &sk); err != nil {
		t.Fatal(err)
	}
	var out []string
	for l := range sk.Manifest.PublishingInformation.Locales {
		out = append(out, l)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("skill.json lists no locales")
	}
	return out
}

// Player states of the matrix.
const (
	stateIdle    = "idle"    // nothing played yet: context.AudioPlayer IDLE, no token
	stateOurs    = "ours"    // one of ours playing
	stateOther   = "other"   // another skill's stream is the last one played
	stateStopped = "stopped" // one of ours stopped at an offset
)

// Where the matrix's tokens point, and the offsets they carry.
const (
	oursPos, stoppedPos, eventPos = 3, 5, 7
	rememberedPos                 = 9 // where the listener was, for a device without our token
	oursOffset, stoppedOffset     = 4000, 7000
	otherToken                    = "amzn1.echo-api.stream.other-skill.0f3c9a"
)

// matrixAnswer is one cell of the matrix.
type matrixAnswer struct {
	name       string
	kind       string
	state      string
	continuous bool
	req        *alexa.Request
	out        []byte
}

// runMatrix answers every cell through Invoke.
func runMatrix(t *testing.T) []matrixAnswer {
	t.Helper()
	m := testManifest()
	handlers := map[bool]*Handler{}
	for _, cont := range []bool{false, true} {
		remembered := Place{Version: m.Version, Pos: rememberedPos, Key: keyAt(m, "", rememberedPos)}
		ls := &fakeListeners{getFn: func(context.Context, string) (Place, bool, error) { return remembered, true, nil }}
		h := newTestHandler(t, &memSource{m: m}, Config{SkillID: testSkillID, Continuous: cont, Listeners: ls})
		h.nonce = func() string { return testNonce }
		handlers[cont] = h
	}
	ours, stopped, event := tokenAt(t, m, "", oursPos), tokenAt(t, m, "", stoppedPos), tokenAt(t, m, "", eventPos)
	var out []matrixAnswer
	for _, kind := range matrixKinds() {
		for _, locale := range skillLocales(t) {
			for _, player := range []bool{true, false} {
				for _, screen := range []bool{false, true} {
					for _, state := range []string{stateIdle, stateOurs, stateOther, stateStopped} {
						for _, cont := range []bool{false, true} {
							req := load(t, kind.file, kind.edit)
							req.Request.Locale = locale
							si := alexa.SupportedInterfaces{}
							if player {
								si.AudioPlayer = &struct{}{}
							}
							if screen {
								si.Display, si.APL = &struct{}{}, &struct{}{}
							}
							req.Context.System.Device.SupportedInterfaces = si
							var st *alexa.AudioPlayerState
							switch state {
							case stateIdle:
								st = &alexa.AudioPlayerState{PlayerActivity: alexa.Idle}
							case stateOurs:
								st = &alexa.AudioPlayerState{Token: ours, OffsetInMilliseconds: oursOffset, PlayerActivity: alexa.Playing}
							case stateOther:
								st = &alexa.AudioPlayerState{Token: otherToken, OffsetInMilliseconds: 1000, PlayerActivity: alexa.Playing}
							case stateStopped:
								st = &alexa.AudioPlayerState{Token: stopped, OffsetInMilliseconds: stoppedOffset, PlayerActivity: alexa.Stopped}
							}
							req.Context.AudioPlayer = nil
							if player {
								req.Context.AudioPlayer = st
							}
							if strings.HasPrefix(string(req.Request.Type), "AudioPlayer.") {
								// An event is about a stream of ours: the playing one, or
								// another (a queued one) when ours is not playing.
								req.Request.Token = event
								if state == stateOurs || state == stateStopped {
									req.Request.Token = st.Token
								}
								req.Request.OffsetInMilliseconds = 1500
								if req.Request.Type == alexa.PlaybackFailed {
									req.Request.CurrentPlaybackState = st
								}
							}
							raw, err := json.Marshal(req)
							if err != nil {
								t.Fatal(err)
							}
							name := fmt.Sprintf("%s/%s/player=%v/screen=%v/%s/continuous=%v", kind.name, locale, player, screen, state, cont)
							resp, err := handlers[cont].Invoke(context.Background(), raw)
							if err != nil {
								t.Errorf("%s: %v", name, err)
								continue
							}
							decoded, err := alexa.Decode(raw) // the request as the handler saw it
							if err != nil {
								t.Fatal(err)
							}
							out = append(out, matrixAnswer{name: name, kind: kind.name, state: state, continuous: cont, req: decoded, out: resp})
						}
					}
				}
			}
		}
	}
	return out
}

// TestConformanceMatrix checks every answer of the matrix against the
// rules, and the promises that depend on the player's state: a device that
// holds one of our tokens continues without a repeat and resumes at its
// offset; a device whose last stream was another skill's is answered as
// one jokebox never played on: a customer's request continues after the
// listener's remembered place (Listeners), see docs/reliability.md.
func TestConformanceMatrix(t *testing.T) {
	answers := runMatrix(t)
	byName := map[string]matrixAnswer{}
	for _, a := range answers {
		byName[a.name] = a
		for rule, err := range violations(a.req, a.out) {
			t.Errorf("%s: rule %s: %v\n%s", a.name, rule, err, a.out)
		}
	}
	if len(answers) < 1000 {
		t.Fatalf("only %d answers in the matrix", len(answers))
	}
	t.Logf("%d answers checked", len(answers))

	continuing := []string{"launch", "intent." + PlayIntent, "intent.AMAZON.NextIntent", "playbackcontroller.next"}
	resuming := []string{"intent.AMAZON.ResumeIntent", "playbackcontroller.play"}
	checked := 0
	for _, a := range answers {
		if a.req.Context.System.Device.SupportedInterfaces.AudioPlayer == nil {
			continue
		}
		resp := decodeAnswer(t, a.out)
		switch {
		case slices.Contains(continuing, a.kind) && a.state == stateOurs:
			_, tok := played(t, resp)
			held, _ := ParseToken(a.req.Player().Token)
			if tok.Key == held.Key {
				t.Errorf("%s: played %q again, the entry the device holds", a.name, tok.Key)
			}
			checked++
		case slices.Contains(resuming, a.kind) && a.state == stateStopped:
			d, tok := played(t, resp)
			held, _ := ParseToken(a.req.Player().Token)
			if tok.Key != held.Key || d.AudioItem.Stream.OffsetInMilliseconds != stoppedOffset {
				t.Errorf("%s: resumed %q at %d ms; want %q at %d", a.name, tok.Key, d.AudioItem.Stream.OffsetInMilliseconds, held.Key, stoppedOffset)
			}
			checked++
		case (slices.Contains(continuing, a.kind) || slices.Contains(resuming, a.kind)) && a.state == stateOther:
			idle := byName[strings.Replace(a.name, "/"+stateOther+"/", "/"+stateIdle+"/", 1)]
			if !bytes.Equal(a.out, idle.out) {
				t.Errorf("%s: another skill's token gave\n%s\nwhere a device jokebox never played on gets\n%s", a.name, a.out, idle.out)
			}
			// A customer's request continues after the listener's place.
			if slices.Contains([]string{"launch", "intent." + PlayIntent, "intent.AMAZON.NextIntent", "intent.AMAZON.ResumeIntent"}, a.kind) {
				if _, tok := played(t, resp); tok.Pos != rememberedPos+1 {
					t.Errorf("%s: played pos %d; want %d, after the listener's place", a.name, tok.Pos, rememberedPos+1)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no state promise checked")
	}
}

func decodeAnswer(t testing.TB, out []byte) *alexa.Response {
	t.Helper()
	var r alexa.Response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// repoRoot is the module root, where package.json and node_modules are.
var repoRoot = filepath.Join("..", "..")

// typeCanaries are answers that must not type-check, in the same tsc run
// as the matrix: proof that the check can fail.
var typeCanaries = map[string]string{
	"unknown-behavior":    `{"version":"1.0","response":{"directives":[{"type":"AudioPlayer.Play","playBehavior":"REPLACE_SOME","audioItem":{"stream":{"url":"https://a.invalid/x.mp3","token":"t","offsetInMilliseconds":0}}}]}}`,
	"misspelt-field":      `{"version":"1.0","response":{"shouldEndSesion":true}}`,
	"offset-as-string":    `{"version":"1.0","response":{"directives":[{"type":"AudioPlayer.Play","playBehavior":"ENQUEUE","audioItem":{"stream":{"url":"https://a.invalid/x.mp3","token":"t","expectedPreviousToken":"s","offsetInMilliseconds":"0"}}}]}}`,
	"speech-without-type": `{"version":"1.0","response":{"outputSpeech":{"text":"hi"}}}`,
}

// tscError is a line of tsc's output: file(line,col): error TS…: message.
var tscError = regexp.MustCompile(`(?m)^(.+?\.ts)\((\d+),\d+\): error (TS\d+: .*)$`)

// TestConformanceTypes type-checks every distinct answer of the matrix
// against ask-sdk-model's ResponseEnvelope with tsc --strict, in one run:
// the answers are written as TypeScript constants into a temporary
// directory, with canaries that must fail. It needs the pinned packages of
// package.json (npm ci); it is skipped only with -short.
func TestConformanceTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tsc over the matrix; skipped with -short")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(root, "node_modules", ".bin", "tsc")
	model := filepath.Join(root, "node_modules", "ask-sdk-model")
	for _, p := range []string{tsc, filepath.Join(model, "index.d.ts")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run `npm ci` in %s to install the pinned typescript and ask-sdk-model (%v)", p, root, err)
		}
	}
	answers := runMatrix(t)
	dir := t.TempDir()
	header := fmt.Sprintf("import type { ResponseEnvelope } from %q;\n\n", model)
	var files []string
	where := map[string]string{} // file:line → answer
	write := func(name string, entries []string, names []string) {
		var b strings.Builder
		b.WriteString(header)
		line := strings.Count(header, "\n") + 1
		for i, e := range entries {
			fmt.Fprintf(&b, "// %s\nexport const a%d: ResponseEnvelope = %s;\n", names[i], i, e)
			where[fmt.Sprintf("%s:%d", name, line+1)] = names[i]
			line += 2
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	seen := map[string]bool{}
	var entries, names []string
	for _, a := range answers {
		if seen[string(a.out)] {
			continue
		}
		seen[string(a.out)] = true
		entries, names = append(entries, string(a.out)), append(names, a.name)
	}
	const perFile = 200
	for i := 0; i < len(entries); i += perFile {
		j := min(i+perFile, len(entries))
		write(fmt.Sprintf("answers_%03d.ts", i/perFile), entries[i:j], names[i:j])
	}
	for name, c := range typeCanaries {
		write("canary_"+name+".ts", []string{c}, []string{"canary " + name})
	}
	cmd := exec.Command(tsc, append([]string{"--strict", "--noEmit", "--skipLibCheck", "--target", "es2020", "--module", "commonjs", "--moduleResolution", "node", "--pretty", "false"}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
	failed := map[string]bool{}
	for _, m := range tscError.FindAllStringSubmatch(string(out), -1) {
		file := filepath.Base(m[1])
		if strings.HasPrefix(file, "canary_") {
			failed[file] = true
			continue
		}
		t.Errorf("%s does not type-check as a ResponseEnvelope: %s", where[file+":"+m[2]], m[3])
	}
	for name := range typeCanaries {
		if !failed["canary_"+name+".ts"] {
			t.Errorf("canary %s type-checked: the check cannot fail\n%s", name, out)
		}
	}
	if len(tscError.FindAllString(string(out), -1)) == 0 && len(out) > 0 {
		t.Errorf("tsc printed something else:\n%s", out)
	}
	t.Logf("%d answers (%d distinct) type-checked with %s", len(answers), len(entries), tsc)
}
