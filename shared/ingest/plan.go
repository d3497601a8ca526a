// Package ingest is the local audio pipeline `jokebox add` and `jokebox
// dev` share: walk the folders and files given, open each once inside its
// folder (os.Root: a link out of it is refused), check it with the
// indexer's rules, plan what becomes of it (an Outcome with its reason),
// convert it with ffmpeg when it must be, upload it, and read the
// indexer's verdict on what was uploaded.
//
// Every step reads the one descriptor opened at the start: the probe, the
// hash, ffmpeg (which inherits it) and the upload. A file whose name is
// made to point at other bytes after its check, or that is rewritten in
// place, is detected at upload time and refused.
package ingest

import (
	"errors"
	"path"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/transcode"
)

// Outcome is what becomes of a file.
type Outcome int

// The outcomes of Plan.
const (
	_         Outcome = iota
	AsIs              // plays as is: uploaded unchanged
	Convert           // Alexa cannot play it: converted to MP3
	Normalize         // plays, but its loudness is off the target: re-encoded to MP3 at the target
	Skip              // not an audio file (by its name): left out, not a failure
	Refuse            // cannot be used: the reason says why
)

func (o Outcome) String() string {
	switch o {
	case AsIs:
		return "plays as is"
	case Convert:
		return "will be converted"
	case Normalize:
		return "will be normalized"
	case Skip:
		return "skipped"
	case Refuse:
		return "cannot be used"
	}
	return "undecided"
}

// Options say how files are processed. Defaults is the one set `jokebox
// add` and `jokebox dev` start from.
type Options struct {
	Convert   bool    // convert what Alexa cannot play; false refuses it with the reason
	Normalize bool    // bring every file to Loudness with true peaks ≤ Peak
	Loudness  float64 // LUFS
	Peak      float64 // dBTP
	Bitrate   int     // bits a second of the MP3s made
}

// Defaults are the processing options of `jokebox add` and `jokebox dev`.
func Defaults() Options {
	return Options{Convert: true, Loudness: -14, Peak: -3, Bitrate: 128000}
}

// Recipe names the processing that makes an object from its source under
// outcome o, so that the same file processed differently is uploaded again.
func (o Options) recipe(out Outcome) string {
	r := "as-is"
	if out == Convert || out == Normalize {
		r = "mp3 " + itoa(o.Bitrate)
	}
	if o.Normalize {
		r += " normalize " + ftoa(o.Loudness) + " " + ftoa(o.Peak)
	}
	return r
}

// Facts are what checking a file found: the input of Plan.
type Facts struct {
	Key      string // the object key its name gives (NFC)
	Size     int64
	ProbeErr error // audio.Probe's verdict on its head; nil: it plays
	// FFmpeg is why there is no ffmpeg to convert with; nil when there is.
	FFmpeg error
	// Measured is ffmpeg's measurement, when NeedsMeasure asked for one;
	// MeasureErr why ffmpeg could not decode it.
	Measured   *transcode.Measurement
	MeasureErr error
}

// NeedsFFmpeg ends the reason of a file refused for want of ffmpeg.
const NeedsFFmpeg = "needs ffmpeg to convert"

// Decision is Plan's answer.
type Decision struct {
	Outcome Outcome
	Reason  string // why it is converted, normalized, skipped or refused; "" when it plays as is
	Key     string // the object key: Facts.Key, or name.mp3 for a conversion
}

// Audio reports whether a file name is one jokebox takes in at all: audio
// Alexa plays (the indexer's extensions) or audio the converter reads.
// Everything else (notes, cover pictures) is skipped.
func Audio(name string) bool {
	return audio.Playable(name) || slices.Contains(transcode.Extensions, strings.ToLower(path.Ext(name)))
}

// NeedsMeasure reports whether Plan needs ffmpeg's measurement of the file
// described by f: it must be converted, or normalized.
func NeedsMeasure(f Facts, o Options) bool {
	d := plan(f, o)
	return d.Outcome == 0
}

// Plan decides what becomes of a file from what its check found. It is
// pure: the table tests give it every case.
func Plan(f Facts, o Options) Decision {
	d := plan(f, o)
	if d.Outcome == 0 {
		// Asked for no measurement: decide as ffmpeg could not decode it.
		d = plan(Facts{Key: f.Key, Size: f.Size, ProbeErr: f.ProbeErr, FFmpeg: f.FFmpeg, MeasureErr: errNotMeasured}, o)
	}
	return d
}

var errNotMeasured = errors.New("not measured")

// plan is Plan, with Outcome 0 when it needs a measurement it lacks.
func plan(f Facts, o Options) Decision {
	refuse := func(why string) Decision { return Decision{Outcome: Refuse, Reason: why, Key: f.Key} }
	switch strings.ToLower(path.Ext(f.Key)) {
	case ".pls", ".m3u", ".m3u8":
		return refuse(audio.PlaylistReason) // what the owner meant as audio: say why not
	}
	if !Audio(f.Key) {
		ext := path.Ext(f.Key)
		if ext == "" {
			return Decision{Outcome: Skip, Reason: "not an audio file (no extension)", Key: f.Key}
		}
		return Decision{Outcome: Skip, Reason: "not an audio file (" + ext + ")", Key: f.Key}
	}
	if r := manifest.KeyProblem(f.Key); r != "" {
		return refuse("name cannot be a key: " + r)
	}
	if f.Size == 0 {
		return refuse("zero-byte file")
	}
	var (
		plays = f.ProbeErr == nil
		why   string
	)
	switch {
	case plays && !o.Normalize:
		return Decision{Outcome: AsIs, Key: f.Key}
	case !plays && !errors.Is(f.ProbeErr, audio.ErrNotPlayable):
		return refuse(f.ProbeErr.Error())
	case !plays && !audio.Playable(f.Key):
		why = strings.ToUpper(strings.TrimPrefix(path.Ext(f.Key), ".")) + " is not a format Alexa plays"
	case !plays:
		why = audio.Reason(f.ProbeErr)
	}
	mp3 := strings.TrimSuffix(f.Key, path.Ext(f.Key)) + ".mp3"
	if r := manifest.KeyProblem(mp3); r != "" {
		return refuse("name cannot be a key: " + r)
	}
	switch {
	case !plays && !o.Convert:
		return refuse(why + "; conversion is off")
	case f.FFmpeg != nil:
		if plays { // --normalize without ffmpeg: the caller refuses to start
			return refuse("normalizing needs ffmpeg")
		}
		return refuse(why + "; " + NeedsFFmpeg)
	case f.MeasureErr != nil:
		if why == "" {
			return refuse(f.MeasureErr.Error())
		}
		return refuse(why + "; " + f.MeasureErr.Error())
	case f.Measured == nil:
		return Decision{} // measure first
	case !plays:
		return Decision{Outcome: Convert, Reason: why, Key: mp3}
	case f.Measured.Integrated <= transcode.Silent || f.Measured.Within(o.Loudness, 1, o.Peak):
		return Decision{Outcome: AsIs, Key: f.Key}
	}
	return Decision{Outcome: Normalize, Reason: "normalize " + f.Measured.Loudness.String(), Key: mp3}
}
