// Package audio decides from a file's bytes whether it is audio Alexa can
// play, and reads its title, language and duration.
//
// ProbeReader reads the first HeadSize (256 KB) bytes, and then only where
// the file keeps what decides it elsewhere: at most MaxRead (1 MiB) bytes of
// an object in all, in at most MaxRanges (8) reads, each at least 64 KB
// where the file has them (one ranged GET each for the indexer). Probe does
// the same on a head alone, taking on trust what lies beyond it.
//
// The content decides, not the name: a key needs one of the playable
// extensions (.mp3 .m4a .aac .mp4), and its bytes say what it is.
//
//   - MP4 (an ftyp box first): the first audio track's sample description
//     (moov/trak/mdia/minf/stbl/stsd) must be mp4a with an AAC object type
//     (LC, HE-AAC v1 or v2, from the esds AudioSpecificConfig) at 22.05, 44.1
//     or 48 kHz. Any other codec is refused by name ("ALAC: Alexa plays AAC in
//     MP4"), and so is a video with no audio track. moov is read wherever it
//     is: when it follows mdat, the top-level box headers lead to it. The
//     bit rate is the esds average, else btrt's, else the track's sample
//     sizes (stsz) over its duration; for fragmented files the fragments'
//     samples (moof/traf/trun) or sidx. The duration is mvhd's (what plays,
//     after edit lists), else mdhd's, mehd's, sidx's, or the fragments'
//     counted, extrapolated by size past MaxRead (Info.Estimated).
//   - MP3: optional ID3v2 tags (skipped by their declared size, read where
//     they end however large), optional zero padding, then three consecutive
//     MPEG Layer III frame headers within 32 KB. Duration from a Xing/Info or
//     VBRI count the file can hold (a count larger than the lowest bit rate
//     allows is ignored), else for CBR (size − first frame) × 8 / bit rate,
//     else, for VBR, the frames counted within MaxRead (extrapolated past it).
//   - AAC in ADTS: the same tags and padding, then ADTS frames; duration
//     counted from the frames (extrapolated past MaxRead).
//
// WAV (MP3 inside a RIFF file too: players parse it as WAV), Ogg, FLAC, MP2,
// free-format MP3 and playlists (PlaylistReason: jokebox plays files from its
// bucket) are refused with a reason that says what the file is and what
// Alexa plays. Every format must be 16–384 kbps ("8 kbps: Alexa plays
// 16–384 kbps").
//
// Titles: ID3v2 TIT2 (multi-value frames joined "Uno / Dos"; v2.3 and v2.4
// unsynchronisation undone), MP4 ©nam, else an APEv2 or ID3v1 title at the
// end of the file. Language: ID3v2 TLAN checked against ISO 639-2 and 639-1
// (iso639.txt); a code that is neither, or a language with no two-letter
// code, leaves the file unmarked, and Info.Warning says so for the log.
//
// Nothing here panics or allocates in proportion to a size read from the
// file rather than to the bytes read; FuzzProbe checks both.
package audio
