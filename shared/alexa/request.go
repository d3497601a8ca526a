package alexa

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// RequestType names the kind of request Alexa sends.
type RequestType string

// Request types jokebox handles.
const (
	LaunchRequest          RequestType = "LaunchRequest"
	IntentRequest          RequestType = "IntentRequest"
	SessionEndedRequest    RequestType = "SessionEndedRequest"
	PlaybackStarted        RequestType = "AudioPlayer.PlaybackStarted"
	PlaybackFinished       RequestType = "AudioPlayer.PlaybackFinished"
	PlaybackStopped        RequestType = "AudioPlayer.PlaybackStopped"
	PlaybackNearlyFinished RequestType = "AudioPlayer.PlaybackNearlyFinished"
	PlaybackFailed         RequestType = "AudioPlayer.PlaybackFailed"
	PlayCommandIssued      RequestType = "PlaybackController.PlayCommandIssued"
	PauseCommandIssued     RequestType = "PlaybackController.PauseCommandIssued"
	NextCommandIssued      RequestType = "PlaybackController.NextCommandIssued"
	PreviousCommandIssued  RequestType = "PlaybackController.PreviousCommandIssued"
	ExceptionEncountered   RequestType = "System.ExceptionEncountered"
	// SkillDisabled is the skill event Alexa sends when a user disables
	// the skill (skill.json's events subscribe to SKILL_DISABLED). It has
	// no session; its listener is context.System.user.userId.
	SkillDisabled RequestType = "AlexaSkillEvent.SkillDisabled"
)

// IsPlayback reports whether t is a request sent without a session, whose
// response may hold only AudioPlayer directives: no speech, card, reprompt
// or shouldEndSession.
func (t RequestType) IsPlayback() bool {
	switch t {
	case LaunchRequest, IntentRequest, SessionEndedRequest:
		return false
	}
	return true
}

// Request is the envelope Alexa posts to a skill.
type Request struct {
	Version string   `json:"version"`
	Session *Session `json:"session,omitempty"` // absent on playback requests
	Context Context  `json:"context"`
	Request Body     `json:"request"`
}

// Session is present on LaunchRequest, IntentRequest and SessionEndedRequest.
type Session struct {
	New         bool        `json:"new"`
	SessionID   string      `json:"sessionId"`
	Application Application `json:"application"`
}

// Application identifies the skill a request is for.
type Application struct {
	ApplicationID string `json:"applicationId"`
}

// Context is the device's state, present on every request.
type Context struct {
	System      System            `json:"System"`
	AudioPlayer *AudioPlayerState `json:"AudioPlayer,omitempty"`
}

// System describes the skill, device and user.
type System struct {
	Application Application `json:"application"`
	// User is the Alexa account that enabled the skill; Alexa sends it on
	// every request, skill events included.
	User *User `json:"user,omitempty"`
	// Person is the recognized voice profile, when Alexa recognized one.
	Person *Person `json:"person,omitempty"`
	Device Device  `json:"device"`
}

// User is context.System.user: the account, as this skill sees it. A user
// who disables and enables the skill again gets a new userId.
type User struct {
	UserID string `json:"userId"`
}

// Person is context.System.person: a recognized speaker of the account.
type Person struct {
	PersonID string `json:"personId"`
}

// Device is the device a request came from.
type Device struct {
	DeviceID            string              `json:"deviceId"`
	SupportedInterfaces SupportedInterfaces `json:"supportedInterfaces"`
}

// SupportedInterfaces lists what the device can do; a nil member is absent.
type SupportedInterfaces struct {
	AudioPlayer *struct{} `json:"AudioPlayer,omitempty"`
	Display     *struct{} `json:"Display,omitempty"`
	APL         *struct{} `json:"Alexa.Presentation.APL,omitempty"`
}

// PlayerActivity is the state of the device's audio player.
type PlayerActivity string

// Player activities.
const (
	Idle           PlayerActivity = "IDLE"
	Paused         PlayerActivity = "PAUSED"
	Playing        PlayerActivity = "PLAYING"
	BufferUnderrun PlayerActivity = "BUFFER_UNDERRUN"
	Finished       PlayerActivity = "FINISHED"
	Stopped        PlayerActivity = "STOPPED"
)

// Active reports whether a player in this state still holds its stream:
// playing, paused or waiting for data.
func (a PlayerActivity) Active() bool {
	return a == Playing || a == Paused || a == BufferUnderrun
}

// AudioPlayerState is context.AudioPlayer: what this skill last played on the
// device.
type AudioPlayerState struct {
	Token                string         `json:"token,omitempty"`
	OffsetInMilliseconds int64          `json:"offsetInMilliseconds"`
	PlayerActivity       PlayerActivity `json:"playerActivity,omitempty"`
}

// Body is the request proper. Which fields are set depends on Type.
type Body struct {
	Type      RequestType `json:"type"`
	RequestID string      `json:"requestId"`
	Timestamp string      `json:"timestamp"` // ISO 8601; see ParseTimestamp
	Locale    string      `json:"locale,omitempty"`

	Intent *Intent `json:"intent,omitempty"` // IntentRequest
	Reason string  `json:"reason,omitempty"` // SessionEndedRequest

	Token                string `json:"token,omitempty"`                // AudioPlayer.*
	OffsetInMilliseconds int64  `json:"offsetInMilliseconds,omitempty"` // AudioPlayer.*

	Error                *Error            `json:"error,omitempty"`                // PlaybackFailed, ExceptionEncountered, SessionEnded
	CurrentPlaybackState *AudioPlayerState `json:"currentPlaybackState,omitempty"` // PlaybackFailed
	Cause                *Cause            `json:"cause,omitempty"`                // ExceptionEncountered

	EventCreationTime   string     `json:"eventCreationTime,omitempty"`   // AlexaSkillEvent.*
	EventPublishingTime string     `json:"eventPublishingTime,omitempty"` // AlexaSkillEvent.*
	Event               *EventBody `json:"body,omitempty"`                // AlexaSkillEvent.*
}

// EventBody is the body of a skill event.
type EventBody struct {
	// UserInformationPersistenceStatus is PERSISTED when the userId stays
	// the same if the user enables the skill again, NOT_PERSISTED when it
	// changes.
	UserInformationPersistenceStatus string `json:"userInformationPersistenceStatus,omitempty"`
}

// Intent is what the user asked for.
type Intent struct {
	Name  string          `json:"name"`
	Slots map[string]Slot `json:"slots,omitempty"`
}

// Slot is one filled or empty slot of an intent.
type Slot struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	// Resolutions is Alexa's entity resolution of the value against the
	// slot type's values and synonyms.
	Resolutions *Resolutions `json:"resolutions,omitempty"`
}

// Resolutions holds a slot's entity resolution, one entry per authority
// (the skill's own slot type, or a dynamic entity list).
type Resolutions struct {
	ResolutionsPerAuthority []Resolution `json:"resolutionsPerAuthority"`
}

// ERSuccessMatch is the status code of a resolution that matched values.
const ERSuccessMatch = "ER_SUCCESS_MATCH"

// Resolution is one authority's answer: a status code (ERSuccessMatch,
// ER_SUCCESS_NO_MATCH, ER_ERROR_TIMEOUT, ER_ERROR_EXCEPTION) and the
// matched values, best first.
type Resolution struct {
	Authority string `json:"authority"`
	Status    struct {
		Code string `json:"code"`
	} `json:"status"`
	Values []ResolvedValue `json:"values,omitempty"`
}

// ResolvedValue is one matched slot value: its name and its id from the
// interaction model.
type ResolvedValue struct {
	Value struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	} `json:"value"`
}

// Error describes a playback failure or an exception.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Cause names the request that caused a System.ExceptionEncountered.
type Cause struct {
	RequestID string `json:"requestId"`
}

// ErrInvalid reports a request that is not a well-formed Alexa request.
var ErrInvalid = errors.New("invalid alexa request")

// ErrWrongSkill reports a request for another skill than the configured one.
var ErrWrongSkill = errors.New("request for another skill")

// MaxRequestSize bounds a request body; real ones are a few kilobytes.
const MaxRequestSize = 128 << 10

// Limits on fields that jokebox copies into tokens, logs or speech.
const (
	maxToken     = 1024
	maxSlotValue = 256
	maxID        = 512 // a userId or personId; real ones are about 200 characters
)

// Decode parses and validates an Alexa request. Every error wraps
// ErrInvalid.
func Decode(b []byte) (*Request, error) {
	if len(b) > MaxRequestSize {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrInvalid, len(b))
	}
	var r Request
	if err := unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks what jokebox relies on.
func (r *Request) Validate() error {
	switch {
	case r.Request.Type == "":
		return fmt.Errorf("%w: no request type", ErrInvalid)
	case r.Context.System.Application.ApplicationID == "" && (r.Session == nil || r.Session.Application.ApplicationID == ""):
		return fmt.Errorf("%w: no application ID", ErrInvalid)
	case !validTimestamp(r.Request.Timestamp):
		return fmt.Errorf("%w: request.timestamp %.40q is not ISO 8601", ErrInvalid, r.Request.Timestamp)
	case r.Request.Type == IntentRequest && (r.Request.Intent == nil || r.Request.Intent.Name == ""):
		return fmt.Errorf("%w: intent request without an intent", ErrInvalid)
	case len(r.Request.Token) > maxToken:
		return fmt.Errorf("%w: token of %d bytes", ErrInvalid, len(r.Request.Token))
	case r.Context.AudioPlayer != nil && len(r.Context.AudioPlayer.Token) > maxToken:
		return fmt.Errorf("%w: player token of %d bytes", ErrInvalid, len(r.Context.AudioPlayer.Token))
	case r.Request.OffsetInMilliseconds < 0 || (r.Context.AudioPlayer != nil && r.Context.AudioPlayer.OffsetInMilliseconds < 0):
		return fmt.Errorf("%w: negative offset", ErrInvalid)
	case r.Context.System.User != nil && len(r.Context.System.User.UserID) > maxID:
		return fmt.Errorf("%w: userId of %d bytes", ErrInvalid, len(r.Context.System.User.UserID))
	case r.Context.System.Person != nil && len(r.Context.System.Person.PersonID) > maxID:
		return fmt.Errorf("%w: personId of %d bytes", ErrInvalid, len(r.Context.System.Person.PersonID))
	}
	if r.Request.Intent != nil {
		for name, s := range r.Request.Intent.Slots {
			if len(s.Value) > maxSlotValue {
				return fmt.Errorf("%w: slot %.32q value of %d bytes", ErrInvalid, name, len(s.Value))
			}
		}
	}
	return nil
}

// ApplicationID is the skill the request is for. Playback requests have no
// session, so it is read from the context first.
func (r *Request) ApplicationID() string {
	if id := r.Context.System.Application.ApplicationID; id != "" {
		return id
	}
	if r.Session != nil {
		return r.Session.Application.ApplicationID
	}
	return ""
}

// Listener is who is listening: context.System.person.personId when Alexa
// recognized a voice profile, else context.System.user.userId, else "".
func (r *Request) Listener() string {
	if p := r.Context.System.Person; p != nil && p.PersonID != "" {
		return p.PersonID
	}
	if u := r.Context.System.User; u != nil {
		return u.UserID
	}
	return ""
}

// Player returns context.AudioPlayer, or a zero state when absent.
func (r *Request) Player() AudioPlayerState {
	if r.Context.AudioPlayer == nil {
		return AudioPlayerState{}
	}
	return *r.Context.AudioPlayer
}

// SlotValue returns the value of a slot of the request's intent, or "".
func (r *Request) SlotValue(name string) string {
	if r.Request.Intent == nil {
		return ""
	}
	return r.Request.Intent.Slots[name].Value
}

// Time parses request.timestamp with ParseTimestamp.
func (r *Request) Time() (time.Time, error) {
	return ParseTimestamp(r.Request.Timestamp)
}

// ParseTimestamp reads request.timestamp as Alexa sends it: an ISO 8601
// date and time with a zone, in the RFC 3339 profile ("2026-11-23T15:30:00Z",
// fractional seconds and numeric offsets allowed). It is the one definition
// of the field: Decode (through Validate) and the HTTPS verifier (package
// verify) both use it, so a request one accepts the other cannot refuse.
// Anything else (a JSON number such as Unix milliseconds, an empty string,
// another date layout) is an error.
func ParseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("no request.timestamp")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("request.timestamp is not an ISO 8601 (RFC 3339) string")
	}
	return t, nil
}

func validTimestamp(s string) bool {
	_, err := ParseTimestamp(s)
	return err == nil
}

// IsWarmup reports whether a payload is jokebox's warm-up call rather than
// an Alexa request: {"jokebox":"warmup"}.
func IsWarmup(payload []byte) bool {
	return bytes.Equal(bytes.TrimSpace(payload), WarmupPayload)
}

// WarmupPayload is what the rotator sends to warm the skill function.
var WarmupPayload = []byte(`{"jokebox":"warmup"}`)
