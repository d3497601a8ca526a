package transcode

import (
	"math"
	"strings"
	"testing"
)

// summary is ffmpeg 5.1's stderr for an Ogg Opus file measured by Measure,
// shortened.
const summary = `Input #0, ogg, from 'voice.opus':
  Duration: 00:00:01.32, start: 0.000000, bitrate: 16 kb/s
  Stream #0:0: Audio: opus, 48000 Hz, mono, fltp
    Metadata:
      title           : Título Opus
Stream mapping:
  Stream #0:0 -> #0:0 (opus (native) -> pcm_s16le (native))
Output #0, null, to 'pipe:':
  Metadata:
    title           : not this one
[Parsed_ebur128_0 @ 0x55c46539d880] Summary:

  Integrated loudness:
    I:         -20.3 LUFS
    Threshold: -30.6 LUFS

  True peak:
    Peak:       -1.7 dBFS
`

func TestParseSummary(t *testing.T) {
	m, err := parseSummary(summary)
	if err != nil || m.Integrated != -20.3 || m.TruePeak != -1.7 || m.Title != "Título Opus" {
		t.Errorf("parseSummary = %+v, %v; want -20.3 LUFS, -1.7 dBTP, Título Opus", m, err)
	}
	m, err = parseSummary(strings.Replace(summary, "-1.7 dBFS", "-inf dBFS", 1))
	if err != nil || !math.IsInf(m.TruePeak, -1) {
		t.Errorf("silent peak: %+v, %v", m, err)
	}
	if _, err := parseSummary("Conversion failed!"); err == nil {
		t.Error("parseSummary without a summary succeeded")
	}
}

// FuzzParseSummary: ffmpeg's stderr carries the file's own tags, so the
// parser takes outside input. It must never panic, and what it returns
// must be usable: a real loudness and a one-line title.
func FuzzParseSummary(f *testing.F) {
	f.Add(summary)
	f.Add("    I: inf LUFS\n    Peak: nan dBFS\n")
	f.Add("  title : a\n  : I: 0.0 LUFS\nStream mapping:\n    I: -5 LUFS\n")
	f.Add("    title : a\rb\n    I: -5 LUFS\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseSummary(s)
		if err != nil {
			return
		}
		if math.IsNaN(m.Integrated) || math.IsNaN(m.TruePeak) || strings.ContainsAny(m.Title, "\r\n") {
			t.Errorf("parseSummary(%q) = %+v", s, m)
		}
	})
}

// FuzzParseFFMetadata: ffmpeg's ffmetadata output is the file's own tags,
// escaped; whatever they hold, the parser must not panic, keys come out
// lower case, and Measure's cleaned values hold no line breaks.
func FuzzParseFFMetadata(f *testing.F) {
	f.Add(";FFMETADATA1\ntitle=Uno \\= dos\\\\\nlanguage=spa\nencoder=Lavf\n[STREAM]\ntitle=x\n")
	f.Add(";FFMETADATA1\ntitle=a\\\nb\n=\\\n\\")
	f.Add("[CHAPTER]\nTITLE=x")
	f.Fuzz(func(t *testing.T, s string) {
		for k, v := range parseFFMetadata(s) {
			if k != strings.ToLower(k) || strings.ContainsAny(cleanTag(v), "\r\n") {
				t.Errorf("parseFFMetadata(%q): %q = %q", s, k, v)
			}
		}
	})
}
