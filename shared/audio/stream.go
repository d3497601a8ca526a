package audio

import (
	"bytes"
	"encoding/binary"
)

// probeStream checks a file of MPEG audio or ADTS frames, after optional
// ID3v2 tags and zero padding: MP3 or AAC by what the frames are, whatever
// the extension (ext) says. ext only names the format a file that is
// neither was expected to be.
func probeStream(s *source, ext string) (Info, error) {
	if why := container(s.head); why != "" {
		return Info{}, reject(why)
	}
	start, tagHdr, err := skipID3(s)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if tagHdr != nil {
		var lang string
		info.Title, lang = id3Text(s, *tagHdr)
		info.Language, info.Warning = language(lang)
	}
	if s.r == nil && start >= int64(len(s.head)) {
		// Probe, with tags that fill the head (big cover art) and a size
		// that says audio follows: the frames cannot be checked from here.
		// See the package documentation.
		return info, nil
	}
	start = skipZeros(s, start)
	// Tags at the end: a title when there is none yet, and in any case,
	// when already read, the bytes that are not audio.
	end := s.size
	if info.Title == "" || s.size-int64(len(s.head)) <= 0 {
		title, tail := tailTitle(s, start)
		end = s.size - tail
		if info.Title == "" {
			info.Title = title
		}
	}
	w := s.bytes(start, syncWindow+8<<10)
	var (
		wantMPEG     = ext != ".aac"
		mpegTrunc    bool
		adtsTrunc    bool
		at           int64
		mpeg, adtsOK bool
		mf           mpegFrame
		af           adtsFrame
	)
	for range 2 {
		if wantMPEG {
			at, mf, mpeg, mpegTrunc = findFrames(w, 0, end-start, parseMPEG)
			if mpeg {
				return info, mpegInfo(s, start+at, end, mf, &info)
			}
		} else {
			at, af, adtsOK, adtsTrunc = findFrames(w, 0, end-start, parseADTS)
			if adtsOK {
				return info, adtsInfo(s, start+at, end, af, &info)
			}
		}
		wantMPEG = !wantMPEG
	}
	switch {
	case ext == ".aac" && adtsTrunc, ext != ".aac" && mpegTrunc && !adtsTrunc:
		if ext == ".aac" {
			return Info{}, reject("truncated ADTS AAC stream")
		}
		return Info{}, reject("truncated MP3 stream")
	case len(w) >= 4 && w[0] == 0xFF && w[1]&0xE6 == 0xE2 && w[2]>>4 == 0:
		return Info{}, reject("free-format MP3: Alexa plays MP3 at 16–384 kbps")
	case len(w) >= 4 && w[0] == 0xFF && w[1]&0xE6 == 0xE4:
		return Info{}, reject("MPEG Layer II (MP2) audio: Alexa plays MP3 and AAC")
	}
	switch ext {
	case ".aac":
		return Info{}, reject("not an ADTS AAC stream")
	case ".mp3":
		return Info{}, reject("not an MP3 stream")
	}
	return Info{}, reject("not an MP4 file")
}

// container names a file format that is not a stream of frames, from its
// first bytes, in the words of a refusal; "" when it is none of them.
func container(b []byte) string {
	switch {
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		if len(b) >= 22 && string(b[12:16]) == "fmt " && binary.LittleEndian.Uint16(b[20:]) == 0x55 {
			// Players choose the WAV parser by the header, and it plays PCM only.
			return "MP3 inside a WAV (RIFF) file: Alexa plays plain MP3 files"
		}
		return "WAV audio: Alexa plays MP3 and AAC"
	case bytes.HasPrefix(b, []byte("OggS")):
		return "Ogg audio (Opus or Vorbis): Alexa plays MP3 and AAC"
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "FLAC audio: Alexa plays MP3 and AAC"
	case bytes.HasPrefix(b, []byte("#EXTM3U")), bytes.HasPrefix(b, []byte("[playlist]")):
		return PlaylistReason
	}
	return ""
}

// skipZeros returns the offset of the first non-zero byte from start (zero
// padding some encoders and editors leave before the first frame), or where
// the bytes that can be read end.
func skipZeros(s *source, start int64) int64 {
	for start < s.size {
		w := s.bytes(start, readAhead)
		if len(w) == 0 {
			return start
		}
		if i := bytes.IndexFunc(w, func(r rune) bool { return r != 0 }); i >= 0 {
			return start + int64(i)
		}
		start += int64(len(w))
	}
	return start
}
