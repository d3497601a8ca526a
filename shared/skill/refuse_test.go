package skill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
)

// TestRefusalsNotLogged: the skill returns a refused request's error and
// leaves the one log line to the edge (server handler, Lambda runtime), so
// a refusal is never logged twice.
func TestRefusalsNotLogged(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{SkillID: testSkillID})
	var logs bytes.Buffer
	h.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	other := load(t, "launch.es-ES.json", func(r *alexa.Request) {
		r.Context.System.Application.ApplicationID = "amzn1.ask.skill.someone-else"
		if r.Session != nil {
			r.Session.Application.ApplicationID = "amzn1.ask.skill.someone-else"
		}
	})
	otherRaw, err := json.Marshal(other)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"not JSON", []byte(`{`), alexa.ErrInvalid},
		{"no request type", []byte(`{"version":"1.0","request":{}}`), alexa.ErrInvalid},
		{"another skill", otherRaw, alexa.ErrWrongSkill},
	} {
		logs.Reset()
		if _, err := h.Invoke(context.Background(), tc.raw); !errors.Is(err, tc.want) {
			t.Errorf("%s: Invoke = %v; want an error wrapping %v", tc.name, err, tc.want)
		}
		if logs.Len() > 0 {
			t.Errorf("%s: the skill logged a refusal the edge logs already:\n%s", tc.name, logs.String())
		}
	}
}

// TestOneLineAnAnswer: an answered request is logged in one line at Info,
// "answer", with the request's ID and type and, for a play, the key owners
// read: no second line (the HTTP edge adds none either).
func TestOneLineAnAnswer(t *testing.T) {
	h := newTestHandler(t, &memSource{m: testManifest()}, Config{SkillID: testSkillID})
	var logs bytes.Buffer
	h.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, tc := range []struct {
		file    string
		wantKey bool
	}{
		{"launch.es-ES.json", true},
		{"intent.play.animales.es-ES.json", true},
		{"intent.next.en-US.json", true},
		{"audioplayer.playback-started.json", false},
		{"intent.help.en-US.json", false},
	} {
		req := load(t, tc.file, nil)
		raw, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		h.lib.settle()
		logs.Reset()
		if _, err := h.Invoke(context.Background(), raw); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
		var line map[string]any
		if len(lines) != 1 || json.Unmarshal(lines[0], &line) != nil {
			t.Errorf("%s: logged %d lines; want 1:\n%s", tc.file, len(lines), logs.String())
			continue
		}
		if line["msg"] != "answer" || line["requestId"] != req.Request.RequestID || line["type"] != string(req.Request.Type) {
			t.Errorf("%s: line %v; want msg answer, requestId %q, type %s", tc.file, line, req.Request.RequestID, req.Request.Type)
		}
		if _, ok := line["key"]; ok != tc.wantKey {
			t.Errorf("%s: key in line = %v; want %v (%v)", tc.file, ok, tc.wantKey, line)
		}
	}
}
