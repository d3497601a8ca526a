// Package audio decides from a file's first bytes whether it is audio Alexa
// can play, and reads its title and duration.
//
// The indexer fetches only the first HeadSize bytes of each object, so every
// check here works on a prefix of the file plus its total size:
//
//   - MP3 (.mp3): optional ID3v2 tags are skipped by their declared size, then
//     three consecutive MPEG Layer III frame headers must follow, the first
//     within 32 KB of the tags. Duration comes from a Xing/Info or VBRI header
//     when the first frame carries one, else from the CBR estimate
//     (size − offset of the first frame) × 8 / bitrate.
//   - MP4 (.m4a, .mp4): an ftyp box at offset 0 with an audio-compatible brand;
//     duration from moov/mvhd and title from moov/udta/meta/ilst/©nam when
//     those boxes lie within the head (files written with "fast start").
//   - AAC (.aac): ADTS frames, three in a row, after optional ID3v2 tags;
//     duration estimated from the frames in the head.
//
// MP3 and ADTS AAC whose bit rate, averaged over the frames in the head, is
// outside the 16–384 kbps Alexa plays are rejected with a reason naming the
// rate ("8 kbps: Alexa plays 16–384 kbps"). For MP4 the rate is the mdat
// boxes' size over the mvhd duration, when the head shows both; that counts
// every track, so a video track could only raise it: MP4 is rejected below
// 16 kbps only.
//
// An ID3v2 tag larger than the head (big cover art) cannot be seen past, so the
// frames behind it are not checked: such a file is accepted, with no duration,
// as long as its size says audio follows the tag. Rejecting it would drop real
// files; accepting it risks a PlaybackFailed for a file that ends in garbage,
// which the skill handles by moving on.
//
// Titles are located and bounds-checked by this package, then decoded by
// github.com/dhowden/tag from a small copy of the one ID3 frame or MP4 box
// that holds them, so that no size claimed inside the file makes that library
// allocate more than the bytes present, nor meet a non-text title it cannot
// type-assert. Nothing here panics or allocates in proportion to a size read
// from the file; FuzzProbe checks both.
package audio
