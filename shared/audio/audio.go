package audio

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// HeadSize is how many leading bytes of a file Probe needs (the indexer fetches this range).
const HeadSize = 256 << 10

// ErrNotPlayable is wrapped by every Probe error that rejects a file for its
// content; Reason gives the short human reason.
var ErrNotPlayable = errors.New("not playable audio")

// Info is what the file's bytes say about it.
type Info struct {
	Title    string        // from the ID3v2 TIT2 frame or the MP4 ©nam box; "" when absent or beyond the head
	Duration time.Duration // 0 when unknown
	Bitrate  int           // average bits a second of the file's media; 0 when unknown
	Language string        // ISO 639-1 code ("es") from the ID3v2 TLAN frame; "" when absent or unknown
}

// MinBitrate and MaxBitrate bound the bit rates Alexa's AudioPlayer plays
// (its documented stream requirements: 16–384 kbps). Probe rejects MP3 and
// AAC whose bit rate it knows to be outside them.
const (
	MinBitrate = 16000
	MaxBitrate = 384000
)

// maxSize is far above any object S3 stores (50 TB) and far below the sizes
// whose arithmetic here would overflow.
const maxSize = 1 << 50

// maxTitle caps titles in bytes: they are spoken and shown on screens, and a
// tag can hold megabytes.
const maxTitle = 256

// Playable reports whether a key names audio Alexa can play, by extension: .mp3 .m4a .aac .mp4, any case.
func Playable(key string) bool {
	switch strings.ToLower(path.Ext(key)) {
	case ".mp3", ".m4a", ".aac", ".mp4":
		return true
	}
	return false
}

// Probe examines head (the first min(size, HeadSize) bytes) of a file of total length size named key.
// It returns an error wrapping ErrNotPlayable with a short human reason when the bytes are not the audio the extension claims.
// A head longer than size, a size that is negative or over 1 PiB, or an empty head for a non-empty
// file are the caller's mistakes: they give an error that does not wrap ErrNotPlayable.
// A head shorter than min(size, HeadSize) is allowed; Probe checks what it has.
func Probe(key string, head []byte, size int64) (Info, error) {
	switch {
	case size < 0 || size > maxSize || int64(len(head)) > size:
		return Info{}, fmt.Errorf("probe: %d bytes of head for a file of %d bytes", len(head), size)
	case size == 0:
		return Info{}, reject("zero-byte file")
	case len(head) == 0:
		return Info{}, fmt.Errorf("probe: no head bytes for a file of %d bytes", size)
	}
	var (
		info Info
		err  error
	)
	switch strings.ToLower(path.Ext(key)) {
	case ".mp3":
		info, err = probeMP3(head, size)
	case ".m4a", ".mp4":
		info, err = probeMP4(head, size)
	case ".aac":
		info, err = probeADTS(head, size)
	default:
		return Info{}, reject("unsupported file type")
	}
	if err != nil {
		return Info{}, err
	}
	info.Title = cleanTitle(info.Title)
	return info, nil
}

// Reason returns the short reason of a Probe error ("zero-byte file", "not an MP3 stream", ...), for the manifest's rejected list.
// It returns "" for a nil error and the error's text for any other error.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	return err.Error()
}

// rejection is a Probe error for content that is not playable.
type rejection struct{ reason string }

func (r *rejection) Error() string { return ErrNotPlayable.Error() + ": " + r.reason }
func (r *rejection) Unwrap() error { return ErrNotPlayable }

func reject(reason string) error { return &rejection{reason: reason} }

// checkBitrate rejects a known bit rate outside MinBitrate–MaxBitrate, with
// a reason that names it ("8 kbps: Alexa plays 16–384 kbps"). 0 (unknown)
// passes.
func checkBitrate(bps int) error {
	if bps == 0 || bps >= MinBitrate && bps <= MaxBitrate {
		return nil
	}
	kbps := strconv.Itoa((bps + 500) / 1000)
	if (bps+500)/1000 == MinBitrate/1000 || (bps+500)/1000 == MaxBitrate/1000 {
		kbps = strconv.FormatFloat(float64(bps)/1000, 'f', 1, 64) // "15.6", not "16"
	}
	return reject(fmt.Sprintf("%s kbps: Alexa plays %d–%d kbps", kbps, MinBitrate/1000, MaxBitrate/1000))
}

// rate returns bits over samples at sampleRate as bits a second, or 0 when
// it cannot be computed; results over 1 Gbit/s are capped there.
func rate(bits, samples, sampleRate int64) int {
	if bits <= 0 || samples <= 0 || sampleRate <= 0 {
		return 0
	}
	// bits ≤ 8×maxSize = 2^53: float64 avoids overflowing the product.
	return int(min(float64(bits)*float64(sampleRate)/float64(samples), 1e9))
}

// cleanTitle makes a tag's title safe to speak, show and store: valid UTF-8,
// no control characters, no surrounding space, at most maxTitle bytes.
func cleanTitle(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxTitle {
		cut := maxTitle
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}

// duration returns n units at rate units a second (samples at a sample rate,
// bits at a bit rate), or 0 when rate is not positive or the result would
// not fit a time.Duration.
func duration(n, rate int64) time.Duration {
	if n <= 0 || rate <= 0 {
		return 0
	}
	secs := n / rate
	if secs > int64(time.Duration(1<<62)/time.Second) {
		return 0
	}
	rem := n % rate // < rate ≤ 2^32 in practice; rem×1e9 fits int64 for any rate < 9.2e9
	if rate > 1<<32 {
		return time.Duration(secs) * time.Second
	}
	return time.Duration(secs)*time.Second + time.Duration(rem*int64(time.Second)/rate)
}

// iso639 maps the ISO 639-2 codes an ID3 TLAN frame holds to the ISO 639-1
// codes of Alexa locales, for the languages people are likely to tag.
var iso639 = map[string]string{
	"spa": "es", "esl": "es", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
	"ita": "it", "por": "pt", "jpn": "ja", "hin": "hi", "ara": "ar", "nld": "nl", "dut": "nl",
}

// language turns a TLAN frame's text ("spa", "eng", "es") into a two-letter
// code, or "" when it names no language known here. A frame may list
// several languages; the first counts.
func language(tlan string) string {
	t := strings.ToLower(strings.TrimSpace(tlan))
	if len(t) >= 3 {
		if l, ok := iso639[t[:3]]; ok {
			return l
		}
	}
	if len(t) == 2 || (len(t) > 2 && !unicode.IsLetter(rune(t[2]))) {
		if unicode.IsLetter(rune(t[0])) && unicode.IsLetter(rune(t[1])) && t[0] < 0x80 && t[1] < 0x80 {
			return t[:2]
		}
	}
	return ""
}
