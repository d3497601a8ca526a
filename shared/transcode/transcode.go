// Package transcode turns recordings Alexa cannot play into MP3 and brings
// their loudness to a target, by running ffmpeg.
//
// ffmpeg reads exactly one local file and nothing else: the caller opens the
// file and passes the descriptor, which ffmpeg inherits and reads as
// file:/dev/fd/3 (the inode that was checked, whatever its name names
// later); -protocol_whitelist file keeps it off the network and
// -format_whitelist (InputFormats) off the demuxers that open other files
// or URLs (HLS, concat, image sequences…). ffmpeg runs with a minimal
// environment (no AWS_*, ASK_* or tokens) and dies with jokebox (Pdeathsig
// on Linux; its own process group, killed on cancel, elsewhere).
//
// Measure decodes a whole file through ffmpeg's ebur128 filter: it reads the
// integrated loudness (EBU R128, LUFS) and the true peak (dBTP), and fails
// with ErrUndecodable when ffmpeg cannot decode the file. Convert writes an
// MP3 (libmp3lame, constant bit rate, 44.1 kHz, ID3v2.3 title).
//
// With normalization, Convert oversamples to 176.4 kHz, applies a gain, a
// tanh soft clipper and a fast look-ahead limiter, then resamples back: the
// oversampling makes the limiter catch the peaks between samples (true
// peaks). Speech peaks 15–20 dB above its loudness, more than a −14 LUFS
// target with −3 dBTP leaves room for, so the limiter must take the tops off
// the loudest syllables, which lowers the loudness again: one pass
// undershoots. Convert therefore measures its own output and corrects the
// gain (secant steps) until the result is within half a loudness unit of the
// target with its true peak under the limit, or its passes run out.
package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Install is how to get ffmpeg, for messages; callers add the variable
// that names its path (config.EnvFFmpeg).
const Install = "install ffmpeg (Debian/Ubuntu: apt-get install -y ffmpeg; macOS: brew install ffmpeg)"

var (
	// ErrNotFound is returned by Find when there is no ffmpeg to run.
	ErrNotFound = errors.New("ffmpeg not found")
	// ErrUndecodable is wrapped by Measure's error when ffmpeg cannot
	// decode the file's audio.
	ErrUndecodable = errors.New("ffmpeg cannot decode it")
)

// FFmpeg runs one ffmpeg binary.
type FFmpeg struct {
	Path string // the binary
}

// Find returns the ffmpeg at path (the configured one: config.EnvFFmpeg),
// else, when path is "", the one on PATH, or an error wrapping ErrNotFound.
func Find(path string) (*FFmpeg, error) {
	if p := path; p != "" {
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("%s is not an executable file: %w", p, ErrNotFound)
		}
		return &FFmpeg{Path: p}, nil
	}
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("%w on PATH", ErrNotFound)
	}
	return &FFmpeg{Path: p}, nil
}

// Loudness is an EBU R128 measurement.
type Loudness struct {
	Integrated float64 // LUFS; −70 for silence
	TruePeak   float64 // dBTP (ffmpeg labels it dBFS); −Inf for silence
}

// Within reports whether l is within tolerance LU of target with its true
// peak at or under peak.
func (l Loudness) Within(target, tolerance, peak float64) bool {
	return math.Abs(l.Integrated-target) <= tolerance && l.TruePeak <= peak
}

// String formats l as "-14.0 LUFS, true peak -3.2 dBTP".
func (l Loudness) String() string {
	return fmt.Sprintf("%.1f LUFS, true peak %.1f dBTP", l.Integrated, l.TruePeak)
}

// Measurement is what Measure learns from decoding a file.
type Measurement struct {
	Loudness
	Title    string // the title tag of the file or its audio stream; "" when none
	Language string // the language tag of the file or its audio stream, as written ("spa", "es"); "" when none
}

// Silent is the integrated loudness at and under which a file is taken as
// silence (EBU R128's absolute gate is −70 LUFS): no gain can normalize it.
const Silent = -69.0

var (
	reIntegrated = regexp.MustCompile(`(?m)^\s*I:\s*(-?[0-9.]+|-?inf) LUFS`)
	rePeak       = regexp.MustCompile(`(?m)^\s*Peak:\s*(-?[0-9.]+|-?inf) dBFS`)
	reTitle      = regexp.MustCompile(`(?m)^\s+title\s*:\s?(.*)$`)
	reLanguage   = regexp.MustCompile(`(?mi)^\s+language\s*:\s?(.*)$`)
	reStreamLang = regexp.MustCompile(`(?m)^\s+Stream #0:\d+(?:\[\w+\])?\((\w+)\): Audio`)
)

// Measure decodes the first audio stream of the open file in and returns
// its loudness, title and language. An error wrapping ErrUndecodable
// carries ffmpeg's reason.
func (f *FFmpeg) Measure(ctx context.Context, in *os.File) (Measurement, error) {
	stdout, stderr, err := f.run(ctx, in, "-nostats", "-i", inputArg,
		"-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-",
		"-map_metadata", "0", "-f", "ffmetadata", "pipe:1")
	if err != nil {
		return Measurement{}, fmt.Errorf("%w: %s", ErrUndecodable, strings.TrimPrefix(reason(stderr, err), inputArg+": "))
	}
	m, err := parseSummary(stderr)
	if err != nil {
		return m, err
	}
	// The file's own tags: ffmpeg's dump on stderr hides a file-level
	// language (an ID3 TLAN), its ffmetadata output does not.
	tags := parseFFMetadata(stdout)
	if t := cleanTag(tags["title"]); t != "" {
		m.Title = t
	}
	if l := cleanTag(tags["language"]); l != "" {
		m.Language = l
	}
	return m, nil
}

// parseFFMetadata reads the global section of ffmpeg's ffmetadata output
// (";FFMETADATA1", then key=value lines, with \ escapes) into lowercase
// keys.
func parseFFMetadata(s string) map[string]string {
	tags := map[string]string{}
	var key, val strings.Builder
	inVal, esc := false, false
	flush := func() {
		if k := strings.ToLower(key.String()); k != "" && inVal {
			if _, dup := tags[k]; !dup {
				tags[k] = val.String()
			}
		}
		key.Reset()
		val.Reset()
		inVal = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
			if inVal {
				val.WriteByte(c)
			} else {
				key.WriteByte(c)
			}
		case c == '\\':
			esc = true
		case c == '\n':
			flush()
		case c == '[' && key.Len() == 0 && !inVal:
			return tags // the first section ends the global tags
		case c == '=' && !inVal:
			inVal = true
		case inVal:
			val.WriteByte(c)
		default:
			key.WriteByte(c)
		}
	}
	flush()
	delete(tags, ";ffmetadata1")
	return tags
}

// cleanTag is a tag's value with control characters as spaces, trimmed.
func cleanTag(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// parseSummary reads ebur128's summary and the input's title tag from
// ffmpeg's stderr.
func parseSummary(stderr string) (Measurement, error) {
	var m Measurement
	ok := false
	if s := reIntegrated.FindAllStringSubmatch(stderr, -1); len(s) > 0 {
		m.Integrated, ok = number(s[len(s)-1][1])
	}
	if !ok {
		return Measurement{}, fmt.Errorf("%w: no loudness in ffmpeg's output", ErrUndecodable)
	}
	m.TruePeak = math.Inf(-1)
	if s := rePeak.FindAllStringSubmatch(stderr, -1); len(s) > 0 {
		if p, ok := number(s[len(s)-1][1]); ok {
			m.TruePeak = p
		}
	}
	// Tags are printed under "Input #0" (the file's, then its streams');
	// the output part starts at "Stream mapping".
	input, _, _ := strings.Cut(stderr, "Stream mapping:")
	if t := reTitle.FindStringSubmatch(input); t != nil {
		m.Title = cleanTag(t[1])
	}
	if l := reStreamLang.FindStringSubmatch(input); l != nil && l[1] != "und" {
		m.Language = l[1]
	} else if l := reLanguage.FindStringSubmatch(input); l != nil {
		m.Language = cleanTag(l[1])
	}
	return m, nil
}

// number parses ffmpeg's "-14.2", "-inf" or "inf".
func number(s string) (float64, bool) {
	switch s {
	case "-inf":
		return math.Inf(-1), true
	case "inf":
		return math.Inf(1), true
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// Options say what Convert makes.
type Options struct {
	Bitrate  int    // MP3 bit rate, bits a second (16000–320000); 0 means 128000
	Title    string // ID3 title (TIT2) of the result
	Language string // ID3 language (TLAN) of the result, as the source wrote it; "" for none
	// Normalize brings the loudness to Target LUFS with true peaks at or
	// under PeakLimit dBTP.
	Normalize bool
	Target    float64
	PeakLimit float64
}

// Result is what Convert did.
type Result struct {
	Loudness Loudness // of the output, measured; zero without Normalize
	Passes   int      // encodes run
	Reached  bool     // with Normalize: within ±0.5 LU of the target and under the peak limit
}

// OutputRate is the sample rate of Convert's MP3s: MPEG-1, which every
// player takes at every bit rate from 32 to 320 kbit/s.
const OutputRate = 44100

// maxPasses bounds Convert's measure-and-correct loop.
const maxPasses = 6

// Convert encodes the first audio stream of the open file in as an MP3 file
// at the absolute path out, with opt's title and language as its ID3v2.3
// tag. src is Measure's result for in, used as the starting point of
// normalization.
func (f *FFmpeg) Convert(ctx context.Context, in *os.File, out string, src Measurement, opt Options) (Result, error) {
	if !filepath.IsAbs(out) {
		return Result{}, fmt.Errorf("convert: output %q is not an absolute path", out)
	}
	if opt.Bitrate == 0 {
		opt.Bitrate = 128000
	}
	if opt.Bitrate < 16000 || opt.Bitrate > 320000 {
		return Result{}, fmt.Errorf("convert: MP3 bit rate %d outside 16000–320000", opt.Bitrate)
	}
	if !opt.Normalize || src.Integrated <= Silent {
		return Result{Passes: 1}, f.encode(ctx, in, out, opt, "")
	}
	var (
		res     Result
		gain    = opt.Target - src.Integrated
		ceiling = opt.PeakLimit - 1.5 // dBFS at 4× oversampling; lowered if the encoder's peaks pass the limit
		slope   = 1.0                 // LU of output per dB of gain, estimated as passes go
		prev    *Loudness
		prevG   float64
	)
	for res.Passes < maxPasses {
		res.Passes++
		if err := f.encode(ctx, in, out, opt, chain(gain, ceiling)); err != nil {
			return res, err
		}
		m, err := f.measureOutput(ctx, out)
		if err != nil {
			return res, fmt.Errorf("measure the converted file: %w", err)
		}
		res.Loudness = m.Loudness
		if m.TruePeak > opt.PeakLimit {
			ceiling -= m.TruePeak - opt.PeakLimit + 0.3
			continue
		}
		if m.Within(opt.Target, 0.5, opt.PeakLimit) {
			res.Reached = true
			return res, nil
		}
		if prev != nil && gain != prevG {
			slope = min(max((m.Integrated-prev.Integrated)/(gain-prevG), 0.2), 1)
		}
		l := m.Loudness
		prev, prevG = &l, gain
		gain = min(max(gain+(opt.Target-m.Integrated)/slope, -40), 40)
	}
	return res, nil
}

// chain is the normalization filter: gain, then soft clipper and limiter
// at 4× oversampling so that they see true peaks.
func chain(gain, ceiling float64) string {
	limit := math.Pow(10, ceiling/20)
	return fmt.Sprintf("aresample=%d,volume=%.2fdB,asoftclip=type=tanh:threshold=%.4f,alimiter=limit=%.4f:level=false:attack=0.1:release=5,aresample=%d",
		4*OutputRate, gain, min(limit*0.9, 1), max(limit, 0.0625), OutputRate)
}

// measureOutput measures a file Convert wrote.
func (f *FFmpeg) measureOutput(ctx context.Context, out string) (Measurement, error) {
	fh, err := os.Open(out)
	if err != nil {
		return Measurement{}, err
	}
	defer fh.Close()
	return f.Measure(ctx, fh)
}

// encode runs one ffmpeg encode of in to out with the filter chain af ("" for none).
func (f *FFmpeg) encode(ctx context.Context, in *os.File, out string, opt Options, af string) error {
	args := []string{"-v", "error", "-y", "-i", inputArg, "-map", "0:a:0", "-map_metadata", "-1"}
	if af != "" {
		args = append(args, "-af", af)
	}
	args = append(args, "-ar", strconv.Itoa(OutputRate), "-c:a", "libmp3lame", "-b:a", strconv.Itoa(opt.Bitrate),
		"-id3v2_version", "3", "-metadata", "title="+opt.Title)
	if opt.Language != "" {
		args = append(args, "-metadata", "language="+opt.Language)
	}
	args = append(args, "-f", "mp3", "file:"+out)
	if _, stderr, err := f.run(ctx, in, args...); err != nil {
		return fmt.Errorf("ffmpeg encode: %s", reason(stderr, err))
	}
	return nil
}

// inputArg is ffmpeg's one input: the descriptor run passes as fd 3.
const inputArg = "file:/dev/fd/3"

// InputFormats are the demuxers ffmpeg may use on a file (its
// -format_whitelist): audio containers that never open another file or a
// URL. HLS, concat, image sequences and the like are not among them, so a
// playlist disguised as a .wav is refused.
var InputFormats = []string{
	"mp3", "aac", "mov", "wav", "w64", "ogg", "flac", "matroska", "aiff", "caf",
	"asf", "amr", "au", "ac3", "eac3", "wv", "ape", "tta", "mpc", "mpc8", "dsf", "loas", "latm",
}

// Extensions are the file name extensions of the audio that Convert can
// turn into MP3 (the demuxers of InputFormats), lower case with the dot.
var Extensions = []string{
	".mp3", ".aac", ".m4a", ".mp4", ".m4b", ".mov", ".3gp", ".wav", ".wave", ".w64", ".ogg", ".oga", ".opus",
	".flac", ".mka", ".webm", ".aif", ".aiff", ".aifc", ".caf", ".wma", ".amr", ".au", ".snd", ".ac3", ".eac3",
	".wv", ".ape", ".tta", ".mpc", ".dsf",
}

// run runs ffmpeg with in as its descriptor 3 and returns its stdout and
// stderr. Its environment is minimal and it cannot outlive jokebox (see
// the package doc).
func (f *FFmpeg) run(ctx context.Context, in *os.File, args ...string) (string, string, error) {
	full := append([]string{"-nostdin", "-hide_banner",
		"-protocol_whitelist", "file", "-format_whitelist", strings.Join(InputFormats, ","),
	}, args...)
	cmd := exec.CommandContext(ctx, f.Path, full...)
	cmd.Env = Environment(os.Getenv)
	cmd.ExtraFiles = []*os.File{in}
	cmd.Dir = os.TempDir()
	setProcAttr(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.String(), stderr.String(), ctx.Err()
	}
	return stdout.String(), stderr.String(), err
}

// Environment is ffmpeg's whole environment: PATH (for the libraries of
// some builds), and a fixed locale so that its messages parse. Nothing
// else of jokebox's environment (AWS_*, ASK_*, tokens) reaches it.
func Environment(getenv func(string) string) []string {
	env := []string{"LC_ALL=C"}
	if p := getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

// reason is the last non-empty line of ffmpeg's stderr (its error), or err.
func reason(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "Conversion failed") {
			if len(l) > 200 {
				l = l[:200] + "…"
			}
			return l
		}
	}
	return err.Error()
}
