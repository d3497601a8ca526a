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
