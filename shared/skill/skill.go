// Package skill answers Alexa requests from a cached manifest: it picks the
// next entry for the device, signs one URL and returns AudioPlayer
// directives. It never lists the bucket and, within the manifest TTL, makes
// no AWS call at all: signing is local.
//
// The flow: Invoke decodes and validates a request (package alexa), Handle
// checks the skill ID and dispatches on the request type, and the play
// helpers turn the device's token into a position in a playlist (package
// manifest) and that position into a Play directive.
package skill

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/spoken"
)

// Signer signs a GET URL for an object key; *store.Presigner is one.
type Signer interface {
	Sign(ctx context.Context, key string) (string, error)
}

// Config is the skill's behaviour, from the environment.
type Config struct {
	// SkillID, when set, refuses requests for any other skill.
	SkillID string
	// Continuous enqueues the next entry when one is nearly finished;
	// otherwise each request plays one entry.
	Continuous bool
	// ManifestTTL is how long a loaded manifest is used before the pointer
	// is checked again. Past it, requests are answered from the cached
	// manifest while one goroutine refreshes it; zero checks on every
	// request, each waiting for the check.
	ManifestTTL time.Duration
	// WaitForRefresh makes a request past the TTL wait for the refresh
	// rather than be answered from the cache. The Lambda function sets it:
	// its environment is frozen between invocations, so a refresh left to
	// run after the answer would stall until the next one.
	WaitForRefresh bool
	// Now is the clock ManifestTTL is measured on; nil is time.Now. Tests
	// set it to step past the TTL instead of sleeping it out.
	Now func() time.Time
	// Welcome overrides the welcome line, by locale ("es-MX"), language
	// ("es") or "" for all.
	Welcome map[string]string
	// Playlists is the owner's overrides file: spoken names and synonyms
	// of folders, and the language of each folder's audio. nil is none.
	Playlists *spoken.Overrides
	// Listeners, when set, remembers each listener's place across skills
	// and devices: written on PlaybackStarted, read on a launch or intent
	// whose device holds no jokebox token, deleted on SkillDisabled. nil
	// keeps no listener state: the token alone says where a device is.
	Listeners Listeners
	// ListenerReadTimeout bounds the one read on the user's path; zero is
	// DefaultListenerReadTimeout. Past it the request plays as without
	// listeners.
	ListenerReadTimeout time.Duration
	// ListenerWriteTimeout bounds a write or delete; zero is
	// DefaultListenerWriteTimeout.
	ListenerWriteTimeout time.Duration
}

// The intent and slot names of the interaction model.
const (
	PlayIntent   = "PlayJokeIntent"
	PlaylistSlot = "playlist"
)

// Intents lists every intent the skill handles itself; the interaction
// models must declare exactly these (shared/skillpkg checks it).
func Intents() []string {
	return []string{
		PlayIntent, ListPlaylistsIntent,
		"AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent",
		"AMAZON.StartOverIntent", "AMAZON.RepeatIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
		"AMAZON.HelpIntent", "AMAZON.FallbackIntent", "AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent",
		"AMAZON.ShuffleOnIntent", "AMAZON.ShuffleOffIntent", "AMAZON.NavigateHomeIntent",
	}
}

// Handler is the skill.
type Handler struct {
	lib    *library
	index  indexes // of the manifest last used, for tokens
	sign   Signer
	cfg    Config
	speech *speech
	log    *slog.Logger
	said   saidCache     // folders' normalized names per locale, for the current manifest
	nonce  func() string // newNonce; fixed in tests
	pick   func(int) int // rand.IntN: where a device new to a playlist starts; fixed in tests
}

// New returns a skill that reads manifests from src and signs with sign.
func New(src ManifestSource, sign Signer, cfg Config, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sp, err := loadSpeech(cfg.Welcome)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.ListenerReadTimeout <= 0 {
		cfg.ListenerReadTimeout = DefaultListenerReadTimeout
	}
	if cfg.ListenerWriteTimeout <= 0 {
		cfg.ListenerWriteTimeout = DefaultListenerWriteTimeout
	}
	return &Handler{
		lib:  &library{src: src, ttl: cfg.ManifestTTL, wait: cfg.WaitForRefresh, now: now, log: log},
		sign: sign, cfg: cfg, speech: sp, log: log, nonce: newNonce, pick: rand.IntN,
	}, nil
}

// Invoke answers one raw request: an Alexa request, or the rotator's
// warm-up payload. It is the single entry point of the Lambda function,
// `jokebox serve`, `jokebox dev` and `jokebox invoke`. Errors wrap
// alexa.ErrInvalid or alexa.ErrWrongSkill when the request is at fault.
// Refusals are not logged here: the edge that received the request logs
// each once (the HTTP handler of serve and dev, the Lambda runtime's error
// report, the CLI's error message).
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if alexa.IsWarmup(payload) {
		return h.warm(ctx)
	}
	req, err := alexa.Decode(payload)
	if err != nil {
		return nil, err // the edge logs a refused request, once
	}
	resp, err := h.Handle(ctx, req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

func (h *Handler) warm(ctx context.Context) ([]byte, error) {
	m, err := h.lib.getFresh(ctx) // the rotator warms to load a new manifest: wait for it
	if err != nil && !nothingPublished(err) {
		h.log.WarnContext(ctx, "warm-up could not load the manifest", "err", err)
		return json.Marshal(map[string]any{"warm": true, "error": err.Error()})
	}
	var v int64
	if m != nil {
		v = m.Version
	}
	return json.Marshal(map[string]any{"warm": true, "version": v})
}

// Handle answers a decoded request and logs it in one line at Info
// ("answer": the request's ID and type, and what was played). A request for
// another skill is refused with an error wrapping alexa.ErrWrongSkill, not
// logged (see Invoke).
func (h *Handler) Handle(ctx context.Context, req *alexa.Request) (*alexa.Response, error) {
	if id := h.cfg.SkillID; id != "" && req.ApplicationID() != id {
		return nil, fmt.Errorf("%w: %.100q", alexa.ErrWrongSkill, req.ApplicationID())
	}
	r := &request{Request: req, ctx: ctx, h: h, say: h.speech.For(req.Request.Locale)}
	resp, err := r.answer()
	if err == nil && h.log.Enabled(ctx, slog.LevelInfo) {
		h.log.LogAttrs(ctx, slog.LevelInfo, "answer", r.attrs()...)
	}
	return resp, err
}

// answer dispatches on the request type.
func (r *request) answer() (*alexa.Response, error) {
	req := r.Request
	switch t := req.Request.Type; t {
	case alexa.LaunchRequest:
		return r.playNext("", r.say.Welcome, false)
	case alexa.IntentRequest:
		if req.Request.Intent == nil { // Decode refuses these; Handle may get one built by hand
			return ask(r.say.Fallback, r.say.Reprompt), nil
		}
		return r.intent(req.Request.Intent.Name)
	case alexa.PlayCommandIssued:
		return r.resume()
	case alexa.PauseCommandIssued:
		return r.directives(alexa.Stop()), nil
	case alexa.NextCommandIssued:
		return r.step(+1)
	case alexa.PreviousCommandIssued:
		return r.step(-1)
	case alexa.PlaybackNearlyFinished:
		return r.enqueueNext()
	case alexa.PlaybackFailed:
		return r.replaceFailed()
	case alexa.ExceptionEncountered:
		var typ, cause string
		if e := req.Request.Error; e != nil {
			typ = e.Type
		}
		if c := req.Request.Cause; c != nil {
			cause = c.RequestID
		}
		r.h.log.ErrorContext(r.ctx, "alexa reported an exception", "type", typ, "causeRequestId", cause)
		return empty(), nil
	case alexa.SkillDisabled:
		return r.forget(), nil
	case alexa.PlaybackStarted:
		r.noteEvent()
		r.remember()
		return empty(), nil
	case alexa.PlaybackFinished, alexa.PlaybackStopped, alexa.SessionEndedRequest:
		r.noteEvent()
		if req.Request.Reason != "" {
			r.note(slog.String("reason", req.Request.Reason))
		}
		return empty(), nil
	default:
		r.h.log.WarnContext(r.ctx, "unknown request type", "type", string(t))
		return empty(), nil
	}
}

// intent answers an IntentRequest.
func (r *request) intent(name string) (*alexa.Response, error) {
	switch name {
	case PlayIntent:
		if spoken := r.SlotValue(PlaylistSlot); spoken != "" {
			return r.playNamed(spoken)
		}
		return r.playNext("", r.say.Welcome, false)
	case "AMAZON.ResumeIntent":
		return r.resume()
	case "AMAZON.PauseIntent":
		return r.end(alexa.Stop()), nil
	case "AMAZON.NextIntent":
		return r.step(+1)
	case "AMAZON.PreviousIntent":
		return r.step(-1)
	case "AMAZON.StartOverIntent", "AMAZON.RepeatIntent":
		return r.step(0)
	case "AMAZON.StopIntent", "AMAZON.CancelIntent":
		return r.end(alexa.ClearQueue(alexa.ClearAll), alexa.Stop()), nil
	case ListPlaylistsIntent:
		return r.listPlaylists()
	case "AMAZON.HelpIntent":
		return r.help()
	case "AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent":
		return speak(r.say.Loop), nil
	case "AMAZON.ShuffleOnIntent", "AMAZON.ShuffleOffIntent":
		return speak(r.say.Shuffle), nil
	case "AMAZON.NavigateHomeIntent":
		return r.end(), nil
	default: // AMAZON.FallbackIntent and anything a model adds without code
		return ask(r.say.Fallback, r.say.Reprompt), nil
	}
}

func empty() *alexa.Response { return &alexa.Response{Version: alexa.Version} }

func speak(text string) *alexa.Response {
	return &alexa.Response{Version: alexa.Version, Response: alexa.ResponseBody{OutputSpeech: alexa.Speech(text), ShouldEndSession: alexa.Bool(true)}}
}

func ask(text, reprompt string) *alexa.Response {
	return &alexa.Response{Version: alexa.Version, Response: alexa.ResponseBody{
		OutputSpeech: alexa.Speech(text), Reprompt: &alexa.Reprompt{OutputSpeech: *alexa.Speech(reprompt)}, ShouldEndSession: alexa.Bool(false),
	}}
}
