package ingest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/transcode"
)

// notPlayable is an audio.Probe rejection, as the probe makes them.
func notPlayable(key string, head []byte, size int64) error {
	_, err := audio.Probe(key, head, size)
	return err
}

// TestPlan gives Plan each case without S3 or ffmpeg: the facts a check
// finds, and the outcome, reason and key that follow.
func TestPlan(t *testing.T) {
	textMP3 := notPlayable("a.mp3", []byte("hello, not audio"), 16)
	wav := notPlayable("a.wav", []byte("RIFF"), 4)
	loud := &transcode.Measurement{Loudness: transcode.Loudness{Integrated: -9, TruePeak: 0.5}}
	onTarget := &transcode.Measurement{Loudness: transcode.Loudness{Integrated: -14.3, TruePeak: -4}}
	silent := &transcode.Measurement{Loudness: transcode.Loudness{Integrated: -70}}
	undecodable := fmt.Errorf("%w: Invalid data", transcode.ErrUndecodable)
	def := Defaults()
	norm := Defaults()
	norm.Normalize = true
	noConvert := Defaults()
	noConvert.Convert = false
	tests := []struct {
		name   string
		facts  Facts
		opt    Options
		want   Outcome
		reason string
		key    string
	}{
		{"mp3 plays", Facts{Key: "a/b.mp3", Size: 9}, def, AsIs, "", "a/b.mp3"},
		{"m4a plays", Facts{Key: "b.m4a", Size: 9}, def, AsIs, "", "b.m4a"},
		{"wav converts", Facts{Key: "voz.wav", Size: 9, ProbeErr: wav, Measured: loud}, def, Convert, "WAV is not a format Alexa plays", "voz.mp3"},
		{"low rate converts", Facts{Key: "8k.mp3", Size: 9, ProbeErr: audio.ErrNotPlayable, Measured: loud}, def, Convert, "not playable audio", "8k.mp3"},
		{"loud normalizes", Facts{Key: "x.mp3", Size: 9, Measured: loud}, norm, Normalize, "normalize -9.0 LUFS, true peak 0.5 dBTP", "x.mp3"},
		{"m4a normalizes to mp3", Facts{Key: "x.m4a", Size: 9, Measured: loud}, norm, Normalize, "normalize -9.0 LUFS, true peak 0.5 dBTP", "x.mp3"},
		{"aac normalizes to mp3", Facts{Key: "x.aac", Size: 9, Measured: loud}, norm, Normalize, "normalize -9.0 LUFS, true peak 0.5 dBTP", "x.mp3"},
		{"on target plays", Facts{Key: "x.m4a", Size: 9, Measured: onTarget}, norm, AsIs, "", "x.m4a"},
		{"silence plays", Facts{Key: "x.mp3", Size: 9, Measured: silent}, norm, AsIs, "", "x.mp3"},
		{"notes skipped", Facts{Key: "LEEME.txt", Size: 9}, def, Skip, "not an audio file (.txt)", "LEEME.txt"},
		{"no extension skipped", Facts{Key: "README", Size: 9}, def, Skip, "not an audio file (no extension)", "README"},
		{"cover skipped", Facts{Key: "a/cover.jpg", Size: 9}, def, Skip, "not an audio file (.jpg)", "a/cover.jpg"},
		{"playlist refused", Facts{Key: "lista.m3u8", Size: 9}, def, Refuse, audio.PlaylistReason, "lista.m3u8"},
		{"zero bytes", Facts{Key: "e.mp3", Size: 0}, def, Refuse, "zero-byte file", "e.mp3"},
		{"bidi name", Facts{Key: "evil\u202eb.mp3", Size: 9}, def, Refuse, "name cannot be a key: contains the invisible character U+202E, which can make a name look like another", "evil\u202eb.mp3"},
		{"zero-width name", Facts{Key: "a\u200bb.mp3", Size: 9}, def, Refuse, "name cannot be a key: contains the invisible character U+200B, which can make a name look like another", "a\u200bb.mp3"},
		{"reserved", Facts{Key: "_jokebox/x.mp3", Size: 9}, def, Refuse, "name cannot be a key: under _jokebox/, which jokebox reserves", "_jokebox/x.mp3"},
		{"conversion off", Facts{Key: "voz.wav", Size: 9, ProbeErr: wav}, noConvert, Refuse, "WAV is not a format Alexa plays; conversion is off", "voz.wav"},
		{"no ffmpeg", Facts{Key: "voz.opus", Size: 9, ProbeErr: wav, FFmpeg: transcode.ErrNotFound}, def, Refuse, "OPUS is not a format Alexa plays; needs ffmpeg to convert", "voz.opus"},
		{"undecodable", Facts{Key: "notas.mp3", Size: 16, ProbeErr: textMP3, MeasureErr: undecodable}, def, Refuse, "not an MP3 stream; ffmpeg cannot decode it: Invalid data", "notas.mp3"},
		{"not measured", Facts{Key: "voz.wav", Size: 9, ProbeErr: wav}, def, Refuse, "WAV is not a format Alexa plays; not measured", "voz.wav"},
		{"probe misuse", Facts{Key: "a.mp3", Size: 9, ProbeErr: errors.New("probe: no head bytes")}, def, Refuse, "probe: no head bytes", "a.mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.facts, tt.opt)
			want := Decision{Outcome: tt.want, Reason: tt.reason, Key: tt.key}
			if got != want {
				t.Errorf("Plan(%+v) = %+v (%v); want %+v (%v)", tt.facts, got, got.Outcome, want, want.Outcome)
			}
		})
	}
}

// TestNeedsMeasure: ffmpeg runs only for files it must convert or
// normalize.
func TestNeedsMeasure(t *testing.T) {
	wav := notPlayable("a.wav", []byte("RIFF"), 4)
	norm := Defaults()
	norm.Normalize = true
	for _, tt := range []struct {
		facts Facts
		opt   Options
		want  bool
	}{
		{Facts{Key: "a.mp3", Size: 9}, Defaults(), false},
		{Facts{Key: "a.mp3", Size: 9}, norm, true},
		{Facts{Key: "a.wav", Size: 9, ProbeErr: wav}, Defaults(), true},
		{Facts{Key: "a.wav", Size: 9, ProbeErr: wav, FFmpeg: transcode.ErrNotFound}, Defaults(), false},
		{Facts{Key: "a.txt", Size: 9}, norm, false},
	} {
		if got := NeedsMeasure(tt.facts, tt.opt); got != tt.want {
			t.Errorf("NeedsMeasure(%+v, normalize %v) = %v; want %v", tt.facts, tt.opt.Normalize, got, tt.want)
		}
	}
}
