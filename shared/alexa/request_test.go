package alexa_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/alexa"
)

func TestListener(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"user", `"user":{"userId":"amzn1.ask.account.A"}`, "amzn1.ask.account.A"},
		{"person first", `"user":{"userId":"amzn1.ask.account.A"},"person":{"personId":"amzn1.ask.person.P"}`, "amzn1.ask.person.P"},
		{"empty person", `"user":{"userId":"amzn1.ask.account.A"},"person":{"personId":""}`, "amzn1.ask.account.A"},
		{"none", `"device":{"deviceId":"d"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := alexa.Decode([]byte(`{"version":"1.0","context":{"System":{"application":{"applicationId":"x"},` + tc.body +
				`}},"request":{"type":"LaunchRequest","requestId":"r","timestamp":"2026-11-23T15:30:00Z"}}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Listener(); got != tc.want {
				t.Errorf("Listener() = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestDecodeRefusesLongIDs(t *testing.T) {
	long := strings.Repeat("a", 513)
	for _, body := range []string{`"user":{"userId":"` + long + `"}`, `"person":{"personId":"` + long + `"}`} {
		_, err := alexa.Decode([]byte(`{"version":"1.0","context":{"System":{"application":{"applicationId":"x"},` + body +
			`}},"request":{"type":"LaunchRequest","requestId":"r","timestamp":"2026-11-23T15:30:00Z"}}`))
		if !errors.Is(err, alexa.ErrInvalid) {
			t.Errorf("Decode(%.40s…) = %v; want ErrInvalid", body, err)
		}
	}
}
