// Package transcode turns recordings Alexa cannot play into MP3 and brings
// their loudness to a target, by running ffmpeg.
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
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// EnvFFmpeg is the environment variable that names the ffmpeg binary; when
// it is empty, ffmpeg is looked up on PATH.
const EnvFFmpeg = "JOKEBOX_FFMPEG"

// Install is how to get ffmpeg, for messages.
const Install = "install ffmpeg (Debian/Ubuntu: apt-get install -y ffmpeg; macOS: brew install ffmpeg) or set " + EnvFFmpeg + " to its path"

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

// Find returns the ffmpeg named by JOKEBOX_FFMPEG (read with getenv), else
// the one on PATH, or an error wrapping ErrNotFound.
func Find(getenv func(string) string) (*FFmpeg, error) {
	if p := getenv(EnvFFmpeg); p != "" {
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("%s=%s is not an executable file: %w", EnvFFmpeg, p, ErrNotFound)
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
	Title string // the title tag of the file or its audio stream; "" when none
}

// Silent is the integrated loudness at and under which a file is taken as
// silence (EBU R128's absolute gate is −70 LUFS): no gain can normalize it.
const Silent = -69.0

var (
	reIntegrated = regexp.MustCompile(`(?m)^\s*I:\s*(-?[0-9.]+|-?inf) LUFS`)
	rePeak       = regexp.MustCompile(`(?m)^\s*Peak:\s*(-?[0-9.]+|-?inf) dBFS`)
	reTitle      = regexp.MustCompile(`(?m)^\s+title\s*:\s?(.*)$`)
)

// Measure decodes the first audio stream of the file at path and returns
// its loudness and title. An error wrapping ErrUndecodable carries ffmpeg's
// reason.
func (f *FFmpeg) Measure(ctx context.Context, path string) (Measurement, error) {
	stderr, err := f.run(ctx, "-nostdin", "-hide_banner", "-nostats", "-i", path,
		"-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-")
	if err != nil {
		return Measurement{}, fmt.Errorf("%w: %s", ErrUndecodable, strings.TrimPrefix(reason(stderr, err), path+": "))
	}
	return parseSummary(stderr)
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
		m.Title = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, t[1]))
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
	Bitrate int    // MP3 bit rate, bits a second (16000–320000); 0 means 128000
	Title   string // ID3 title of the result
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

// Convert encodes the first audio stream of in as an MP3 file out. src is
// Measure's result for in, used as the starting point of normalization.
func (f *FFmpeg) Convert(ctx context.Context, in, out string, src Measurement, opt Options) (Result, error) {
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
		m, err := f.Measure(ctx, out)
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

// encode runs one ffmpeg encode of in to out with the filter chain af ("" for none).
func (f *FFmpeg) encode(ctx context.Context, in, out string, opt Options, af string) error {
	args := []string{"-nostdin", "-hide_banner", "-v", "error", "-y", "-i", in, "-map", "0:a:0", "-map_metadata", "-1"}
	if af != "" {
		args = append(args, "-af", af)
	}
	args = append(args, "-ar", strconv.Itoa(OutputRate), "-c:a", "libmp3lame", "-b:a", strconv.Itoa(opt.Bitrate),
		"-id3v2_version", "3", "-metadata", "title="+opt.Title, "-f", "mp3", out)
	if stderr, err := f.run(ctx, args...); err != nil {
		return fmt.Errorf("ffmpeg encode: %s", reason(stderr, err))
	}
	return nil
}

// run runs ffmpeg and returns its stderr.
func (f *FFmpeg) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, f.Path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return stderr.String(), ctx.Err()
	}
	return stderr.String(), err
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
