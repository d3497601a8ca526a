package audio

import (
	"errors"
	"fmt"
	"io"
)

// MaxRead bounds the bytes ProbeReader reads of one object: the head
// (HeadSize) and every further range together. A file whose header, frames
// or tags lie beyond it is decided on what was read, and a duration it
// could not count is estimated (Info.Estimated).
const MaxRead = 1 << 20

// MaxRanges bounds the ReadAt calls ProbeReader makes for one object, the
// head included: each is one ranged GET for the indexer.
const MaxRanges = 8

// readAhead is the least a read beyond the head asks for: box headers and
// frames lie close together, and one range of 64 KB costs about what one of
// 16 bytes does.
const readAhead = 64 << 10

// source serves byte ranges of one file: from the head, from ranges read
// before, or from r, within MaxRead bytes and MaxRanges reads in all.
type source struct {
	r     io.ReaderAt // nil when only head is available (Probe)
	size  int64
	head  []byte
	spans []span // ranges read after the head, in the order read
	read  int64  // bytes read, head included
	reads int    // ReadAt calls, head included
	short bool   // a range was cut by the bound (or unavailable): what follows is an estimate
	err   error  // the first read error: the probe's result is the caller's error
}

type span struct {
	off int64
	b   []byte
}

// bytes returns the file's bytes from off, up to n of them: fewer at the end
// of the file, or when the bound or the reader stops it (then s.short is set).
// The slice is shared; callers must not modify it.
func (s *source) bytes(off, n int64) []byte {
	if off < 0 || n <= 0 || off >= s.size {
		return nil
	}
	n = min(n, s.size-off)
	if off+n <= int64(len(s.head)) {
		return s.head[off : off+n]
	}
	for _, sp := range s.spans {
		if off >= sp.off && off+n <= sp.off+int64(len(sp.b)) {
			return sp.b[off-sp.off : off-sp.off+n]
		}
	}
	// What the head or an earlier range holds from off, to return if
	// nothing more can be read.
	have := s.have(off)
	if s.r == nil || s.err != nil || s.reads >= MaxRanges || s.read >= MaxRead {
		s.short = true
		return have
	}
	want := min(max(n, readAhead), s.size-off, MaxRead-s.read)
	if want <= int64(len(have)) {
		s.short = true
		return have
	}
	b := make([]byte, want)
	s.reads++
	s.read += want
	// A ReaderAt that fills b may say io.EOF too; one that does not must
	// say why.
	if got, err := s.r.ReadAt(b, off); got < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("read %d bytes at %d of %d: got %d", want, off, s.size, got)
		}
		s.err = err
		s.short = true
		return have
	}
	s.spans = append(s.spans, span{off: off, b: b})
	if want < n {
		s.short = true
	}
	return b[:min(n, want)]
}

// have returns the bytes from off that the head or one earlier range holds.
func (s *source) have(off int64) []byte {
	var best []byte
	if off < int64(len(s.head)) {
		best = s.head[off:]
	}
	for _, sp := range s.spans {
		if off >= sp.off && off < sp.off+int64(len(sp.b)) && int64(len(sp.b))-(off-sp.off) > int64(len(best)) {
			best = sp.b[off-sp.off:]
		}
	}
	return best
}
