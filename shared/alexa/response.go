package alexa

import "time"

// Response is what a skill answers.
type Response struct {
	Version  string       `json:"version"`
	Response ResponseBody `json:"response"`
}

// ResponseBody holds speech, card and directives. Responses to playback
// requests must leave OutputSpeech, Card, Reprompt and ShouldEndSession nil.
type ResponseBody struct {
	OutputSpeech     *OutputSpeech `json:"outputSpeech,omitempty"`
	Card             *Card         `json:"card,omitempty"`
	Reprompt         *Reprompt     `json:"reprompt,omitempty"`
	Directives       []Directive   `json:"directives,omitempty"`
	ShouldEndSession *bool         `json:"shouldEndSession,omitempty"`
}

// OutputSpeech is text for Alexa to say.
type OutputSpeech struct {
	Type string `json:"type"` // "PlainText"
	Text string `json:"text"`
}

// Card is shown in the Alexa app.
type Card struct {
	Type    string `json:"type"` // "Simple"
	Title   string `json:"title"`
	Content string `json:"content"`
}

// Reprompt is said when the user does not answer.
type Reprompt struct {
	OutputSpeech OutputSpeech `json:"outputSpeech"`
}

// DirectiveType names a directive.
type DirectiveType string

// Directive types jokebox sends.
const (
	PlayDirective       DirectiveType = "AudioPlayer.Play"
	StopDirective       DirectiveType = "AudioPlayer.Stop"
	ClearQueueDirective DirectiveType = "AudioPlayer.ClearQueue"
)

// PlayBehavior says how a Play directive treats the queue.
type PlayBehavior string

// Play behaviours.
const (
	ReplaceAll      PlayBehavior = "REPLACE_ALL"
	Enqueue         PlayBehavior = "ENQUEUE"
	ReplaceEnqueued PlayBehavior = "REPLACE_ENQUEUED"
)

// ClearBehavior says what ClearQueue clears.
type ClearBehavior string

// Clear behaviours.
const (
	ClearEnqueued ClearBehavior = "CLEAR_ENQUEUED"
	ClearAll      ClearBehavior = "CLEAR_ALL"
)

// Directive is an AudioPlayer directive.
type Directive struct {
	Type          DirectiveType `json:"type"`
	PlayBehavior  PlayBehavior  `json:"playBehavior,omitempty"`
	AudioItem     *AudioItem    `json:"audioItem,omitempty"`
	ClearBehavior ClearBehavior `json:"clearBehavior,omitempty"`
}

// AudioItem is the stream a Play directive plays, with screen metadata.
type AudioItem struct {
	Stream   Stream    `json:"stream"`
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Stream is where the audio is and which token stands for it.
type Stream struct {
	URL                   string `json:"url"`
	Token                 string `json:"token"`
	ExpectedPreviousToken string `json:"expectedPreviousToken,omitempty"` // only with ENQUEUE
	OffsetInMilliseconds  int64  `json:"offsetInMilliseconds"`
}

// Metadata is shown on devices with a screen.
type Metadata struct {
	Title    string `json:"title,omitempty"`
	Subtitle string `json:"subtitle,omitempty"`
}

// Version is the response format version.
const Version = "1.0"

// Play builds an AudioPlayer.Play directive. expectedPrevious is set only
// with ENQUEUE, where Alexa requires it; REPLACE_ALL rejects it.
func Play(behavior PlayBehavior, url, token, expectedPrevious string, offset time.Duration, meta *Metadata) Directive {
	s := Stream{URL: url, Token: token, OffsetInMilliseconds: offset.Milliseconds()}
	if behavior == Enqueue {
		s.ExpectedPreviousToken = expectedPrevious
	}
	return Directive{Type: PlayDirective, PlayBehavior: behavior, AudioItem: &AudioItem{Stream: s, Metadata: meta}}
}

// Stop builds an AudioPlayer.Stop directive.
func Stop() Directive { return Directive{Type: StopDirective} }

// ClearQueue builds an AudioPlayer.ClearQueue directive.
func ClearQueue(b ClearBehavior) Directive {
	return Directive{Type: ClearQueueDirective, ClearBehavior: b}
}

// Speech builds plain-text output speech.
func Speech(text string) *OutputSpeech { return &OutputSpeech{Type: "PlainText", Text: text} }

// Bool returns a pointer to b, for ShouldEndSession.
func Bool(b bool) *bool { return &b }
