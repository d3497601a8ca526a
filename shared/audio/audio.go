package audio

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// HeadSize is how many leading bytes of a file ProbeReader reads first, and
// how many Probe needs (a caller that has only a prefix).
const HeadSize = 256 << 10

// ErrNotPlayable is wrapped by every Probe error that rejects a file for its
// content; Reason gives the short human reason.
var ErrNotPlayable = errors.New("not playable audio")

// Formats Probe recognises, as Info.Format names them.
const (
	FormatMP3  = "MP3"  // MPEG-1/2/2.5 Layer III frames
	FormatADTS = "ADTS" // AAC in ADTS frames (.aac)
	FormatMP4  = "MP4"  // AAC in an MP4 (ISO base media or QuickTime) file
)

// Info is what the file's bytes say about it.
type Info struct {
	Title    string        // from ID3v2 TIT2, the MP4 ©nam box, else APEv2 or ID3v1; "" when absent
	Duration time.Duration // 0 when unknown
	Bitrate  int           // average bits a second of the audio; 0 when unknown
	Language string        // ISO 639-1 code ("es") from the ID3v2 TLAN frame; "" when absent or unknown

	Format     string // FormatMP3, FormatADTS or FormatMP4: what the content is, whatever the name says
	Codec      string // "mp3" or "aac"
	SampleRate int    // Hz, as played (HE-AAC's output rate)
	Channels   int    // 0 when unknown

	// Estimated reports that Duration and Bitrate were extrapolated from
	// the bytes read (at most MaxRead), not counted over the whole file.
	Estimated bool
	// Warning says what in the tags was ignored ("TLAN \"xx1\" is not an
	// ISO 639 language code: unmarked"), for the caller's log; "" when none.
	Warning string
}

// MinBitrate and MaxBitrate bound the bit rates Alexa's AudioPlayer plays
// (its documented stream requirements: 16–384 kbps), in every format.
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

// PlaylistReason is why Probe refuses .pls, .m3u and .m3u8 files, which
// Amazon lists as stream formats: jokebox plays files from its bucket, one
// presigned URL each, and a playlist would point elsewhere.
const PlaylistReason = "playlists are not supported: jokebox plays audio files; put the files themselves in the folder"

// Playable reports whether a key names audio Alexa can play, by extension: .mp3 .m4a .aac .mp4, any case.
func Playable(key string) bool {
	switch strings.ToLower(path.Ext(key)) {
	case ".mp3", ".m4a", ".aac", ".mp4":
		return true
	}
	return false
}

// Probe examines head (the first min(size, HeadSize) bytes) of a file of
// total length size named key, as ProbeReader does with nothing to read
// beyond head: what lies beyond it is taken on trust (a moov box, frames
// behind a large tag) or estimated (durations).
// It returns an error wrapping ErrNotPlayable with a short human reason when the bytes are not audio Alexa plays.
// A head longer than size, a size that is negative or over 1 PiB, or an empty head for a non-empty
// file are the caller's mistakes: they give an error that does not wrap ErrNotPlayable.
func Probe(key string, head []byte, size int64) (Info, error) {
	switch {
	case size < 0 || size > maxSize || int64(len(head)) > size:
		return Info{}, fmt.Errorf("probe: %d bytes of head for a file of %d bytes", len(head), size)
	case size == 0:
		return Info{}, reject("zero-byte file")
	case len(head) == 0:
		return Info{}, fmt.Errorf("probe: no head bytes for a file of %d bytes", size)
	}
	return decide(key, &source{size: size, head: head, read: int64(len(head)), reads: 1})
}

// ProbeReader decides whether the file of size bytes that r reads, named
// key, is audio Alexa plays. It reads the first HeadSize bytes, then, where
// the file keeps what decides it elsewhere (an MP4 moov box at the end, its
// fragments, frames behind a large ID3 tag or leading zeros, a VBR stream to
// count, an ID3v1 or APE title at the end), further ranges: at most MaxRead
// bytes in at most MaxRanges ReadAt calls, each of at least 64 KB where the
// file has them. A read error is returned as is (it does not wrap
// ErrNotPlayable): the file was not decided.
func ProbeReader(key string, r io.ReaderAt, size int64) (Info, error) {
	switch {
	case size < 0 || size > maxSize:
		return Info{}, fmt.Errorf("probe: a file of %d bytes", size)
	case size == 0:
		return Info{}, reject("zero-byte file")
	}
	head := make([]byte, min(size, HeadSize))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("read %d bytes at 0 of %d: got %d", len(head), size, n)
		}
		return Info{}, err
	}
	return decide(key, &source{r: r, size: size, head: head, read: int64(len(head)), reads: 1})
}

// decide decides by content: the key only has to name one of the playable
// extensions (an .mp3 holding ADTS AAC is AAC; see the package doc).
func decide(key string, s *source) (Info, error) {
	ext := strings.ToLower(path.Ext(key))
	switch {
	case ext == ".pls" || ext == ".m3u" || ext == ".m3u8":
		return Info{}, reject(PlaylistReason)
	case !Playable(key):
		return Info{}, reject("unsupported file type")
	}
	var (
		info Info
		err  error
	)
	if len(s.head) >= 8 && string(s.head[4:8]) == "ftyp" {
		info, err = probeMP4(s)
	} else {
		info, err = probeStream(s, ext)
	}
	if s.err != nil {
		return Info{}, fmt.Errorf("probe %s: %w", key, s.err)
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

// iso639Table lists the ISO 639-2 codes, one language a line: its
// terminology code, its bibliographic code when it differs, and "=" its
// ISO 639-1 code when it has one ("tib bod=bo"). Generated from Debian's
// iso-codes 4.15 (/usr/share/iso-codes/json/iso_639-2.json).
//
//go:embed iso639.txt
var iso639Table string

// iso639 maps ISO 639-2 codes to ISO 639-1 codes ("" for a language with
// none) and each ISO 639-1 code to itself.
var iso639 = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(iso639Table) {
		codes, two, _ := strings.Cut(strings.TrimSpace(line), "=")
		for c := range strings.FieldsSeq(codes) {
			m[c] = two
		}
		if two != "" {
			m[two] = two
		}
	}
	return m
})

// language turns a TLAN frame's text ("spa", "eng", "es") into an ISO
// 639-1 code. A frame may list several languages; the first counts. A code
// that is not ISO 639-2 or 639-1, or a language without a two-letter code
// (no Alexa locale speaks it), leaves the file unmarked, and warning says
// so.
func language(tlan string) (lang, warning string) {
	t := strings.ToLower(strings.TrimSpace(tlan))
	if t == "" {
		return "", ""
	}
	tok := t
	if i := strings.IndexAny(t, " /,;-_"); i >= 0 {
		tok = t[:i]
	}
	shown := strconv.Quote(tlan[:min(len(tlan), 16)])
	if strings.IndexFunc(tok, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return "", "TLAN " + shown + " is not an ISO 639 language code: unmarked"
	}
	two, ok := iso639()[tok]
	if len(tok) < 2 || len(tok) > 3 {
		ok = false
	}
	switch {
	case !ok:
		return "", "TLAN " + shown + " is not an ISO 639 language code: unmarked"
	case two == "":
		return "", "TLAN " + shown + " names a language without a two-letter code: unmarked"
	}
	return two, ""
}
