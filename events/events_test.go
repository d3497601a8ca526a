// Package events_test checks the sample events in this directory: every
// file decodes into its function's input type, so the samples never rot.
// `jokebox invoke FUNCTION FILE` runs a function on one of them.
package events_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/index"
)

// TestAllFilesChecked fails when a sample sits where no test decodes it.
func TestAllFilesChecked(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		switch filepath.Dir(path) {
		case "skill", "indexer", "rotator":
			return nil
		}
		t.Errorf("%s: no test decodes samples in %s/", path, filepath.Dir(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func samples(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// strict decodes b into v refusing unknown fields, as `jokebox invoke` does.
func strict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func TestSkill(t *testing.T) {
	types := map[alexa.RequestType]int{}
	for name, b := range samples(t, "skill") {
		t.Run(name, func(t *testing.T) {
			if alexa.IsWarmup(b) {
				if name != "warmup.json" {
					t.Errorf("%s is the warm-up payload", name)
				}
				return
			}
			req, err := alexa.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			types[req.Request.Type]++
			if !strings.HasPrefix(name, typePrefix(req.Request.Type)) {
				t.Errorf("a %s sample should be named %s…", req.Request.Type, typePrefix(req.Request.Type))
			}
			if (req.Session == nil) != req.Request.Type.IsPlayback() {
				t.Errorf("%s with session %v: playback requests have none, the others one", req.Request.Type, req.Session != nil)
			}
			if req.Request.Type == alexa.SkillDisabled { // a skill event: no device, no locale
				if req.Context.System.Application.ApplicationID == "" || req.Listener() == "" || req.Request.RequestID == "" {
					t.Errorf("skill event lacks an application ID, user ID or request ID")
				}
			} else if req.Context.System.Application.ApplicationID == "" || req.Context.System.Device.DeviceID == "" || req.Request.RequestID == "" || req.Request.Locale == "" {
				t.Errorf("sample lacks an application ID, device ID, request ID or locale")
			}
			if _, err := req.Time(); err != nil {
				t.Errorf("timestamp: %v", err)
			}
			if m := localeInName.FindStringSubmatch(name); m != nil && m[1] != req.Request.Locale {
				t.Errorf("named for %s, in %s", m[1], req.Request.Locale)
			}
			for _, tok := range []string{req.Request.Token, req.Player().Token} {
				if tok != "" && !strings.HasPrefix(tok, "jb1|") {
					t.Errorf("token %q is not one of jokebox's", tok)
				}
			}
			// Round trip: decode, encode, decode gives the same request.
			enc, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			again, err := alexa.Decode(enc)
			if err != nil {
				t.Fatalf("re-encoded sample refused: %v", err)
			}
			if diff := cmp.Diff(req, again); diff != "" {
				t.Errorf("round trip (-decoded +re-decoded):\n%s", diff)
			}
		})
	}
	for _, typ := range []alexa.RequestType{
		alexa.LaunchRequest, alexa.IntentRequest, alexa.SessionEndedRequest, alexa.PlaybackStarted, alexa.PlaybackFinished,
		alexa.PlaybackStopped, alexa.PlaybackNearlyFinished, alexa.PlaybackFailed, alexa.PlayCommandIssued,
		alexa.PauseCommandIssued, alexa.NextCommandIssued, alexa.PreviousCommandIssued, alexa.ExceptionEncountered,
		alexa.SkillDisabled,
	} {
		if types[typ] == 0 {
			t.Errorf("no sample of %s", typ)
		}
	}
}

// localeInName finds the locale in a name like intent.help.es-ES.json.
var localeInName = regexp.MustCompile(`\.([a-z]{2}-[A-Z]{2})\.json$`)

func typePrefix(t alexa.RequestType) string {
	switch t {
	case alexa.LaunchRequest:
		return "launch."
	case alexa.IntentRequest:
		return "intent."
	case alexa.SessionEndedRequest:
		return "session-ended."
	case alexa.ExceptionEncountered:
		return "system."
	case alexa.SkillDisabled:
		return "skillevent."
	}
	if strings.HasPrefix(string(t), "AudioPlayer.") {
		return "audioplayer."
	}
	return "playbackcontroller."
}

func TestIndexer(t *testing.T) {
	for name, b := range samples(t, "indexer") {
		t.Run(name, func(t *testing.T) {
			var ev events.SQSEvent
			if err := strict(b, &ev); err != nil {
				t.Fatal(err)
			}
			if len(ev.Records) == 0 {
				t.Fatal("no records")
			}
			for _, msg := range ev.Records {
				if msg.MessageId == "" || msg.EventSource != "aws:sqs" {
					t.Errorf("message %q from %q", msg.MessageId, msg.EventSource)
				}
				sum := md5.Sum([]byte(msg.Body))
				if hex.EncodeToString(sum[:]) != msg.Md5OfBody {
					t.Errorf("message %s: md5OfBody does not match the body", msg.MessageId)
				}
				touches, err := index.ParseNotification([]byte(msg.Body))
				if err != nil {
					t.Fatalf("message %s: %v", msg.MessageId, err)
				}
				for _, tc := range touches {
					if tc.Bucket == "" || tc.Key == "" || !utf8.ValidString(tc.Key) || strings.ContainsAny(tc.Key, "+%") {
						t.Errorf("touch %+v: bucket or key not decoded", tc)
					}
				}
			}
		})
	}
	// The created sample carries a key with a space and a non-ASCII letter.
	var ev events.SQSEvent
	if err := json.Unmarshal(samples(t, "indexer")["sqs.object-created.json"], &ev); err != nil {
		t.Fatal(err)
	}
	touches, err := index.ParseNotification([]byte(ev.Records[0].Body))
	if err != nil || len(touches) != 1 || touches[0].Key != "animales/el pato y el ñandú.mp3" || touches[0].Event != "ObjectCreated:Put" {
		t.Errorf("ParseNotification = %+v, %v; want one put of %q", touches, err, "animales/el pato y el ñandú.mp3")
	}
}

func TestRotator(t *testing.T) {
	for name, b := range samples(t, "rotator") {
		t.Run(name, func(t *testing.T) {
			var ev events.EventBridgeEvent
			if err := strict(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Time.IsZero() || len(ev.Resources) == 0 {
				t.Errorf("not a scheduled event: %+v", ev)
			}
		})
	}
}
