package ingest

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/jokebox/jokebox/shared/audio"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/transcode"
)

// File is one file given to the pipeline and what becomes of it.
type File struct {
	Name string // as given or found (for messages)
	Decision
	Title    string // of a converted file: its tag, else manifest.NameTitle
	Language string // of a converted file: its tag, as written

	// Set as the pipeline goes.
	Hash     string           // SHA-256 of the recipe and the source's bytes
	Existing bool             // the bucket holds it already
	Uploaded bool             // uploaded by this run
	ETag     string           // of the object, uploaded or existing
	Result   transcode.Result // of a conversion
	Measured *transcode.Measurement

	root *os.Root // the folder it was opened in
	rel  string   // its name in root
	src  *os.File // opened once; nil after Close
	st   fs.FileInfo
	out  string // the converted file, in the run's temp folder
	// borrowed: src belongs to the caller of Opened, and Close leaves it open.
	borrowed bool
}

// Opened is a File for a descriptor the caller opened (and closes), such as
// `jokebox dev`'s syncer, which reads its media folder through os.Root.
func Opened(name, key string, src *os.File) (*File, error) {
	st, err := src.Stat()
	if err != nil {
		return nil, err
	}
	return &File{Name: name, Decision: Decision{Key: key}, src: src, st: st, borrowed: true}, nil
}

// Output is the converted file, "" when there is none.
func (f *File) Output() string { return f.out }

// refuse marks f as refused with why and lets its descriptor go.
func (f *File) refuse(why string) {
	f.Outcome, f.Reason = Refuse, why
	f.Close()
}

// CloseAll closes every file.
func CloseAll(files []*File) {
	for _, f := range files {
		f.Close()
	}
}

// Close lets f's source file go.
func (f *File) Close() {
	if f.src != nil && !f.borrowed {
		f.src.Close()
	}
	f.src = nil
}

// Walk lists the files named by paths: a file goes to playlist/its name
// (its name when playlist is ""), a folder's files to playlist/their path
// in it, so that its subfolders become playlists. Hidden files and folders
// inside folders are left out. Each file is opened inside its folder
// (os.Root), so a link that leads out of it is refused with that reason;
// keys are in Unicode form C. CloseAll lets them go.
func Walk(paths []string, playlist string) []*File {
	var files []*File
	prefix := ""
	if playlist != "" {
		prefix = playlist + "/"
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files = append(files, walkDir(p, prefix)...)
			continue
		}
		f := &File{Name: p}
		f.Key = manifest.NormalKey(prefix + filepath.Base(p))
		root, err := os.OpenRoot(filepath.Dir(p))
		if err != nil {
			f.Outcome, f.Reason = Refuse, "cannot read: "+pathErr(err)
		} else {
			open(f, root, filepath.Base(p))
		}
		files = append(files, f)
	}
	return files
}

// walkDir lists the files of the folder dir.
func walkDir(dir, prefix string) []*File {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return []*File{{Name: dir, Decision: Decision{Outcome: Refuse, Reason: "cannot read: " + pathErr(err), Key: prefix}}}
	}
	var files []*File
	_ = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err != nil {
			if rel != "." {
				files = append(files, &File{Name: name, Decision: Decision{Outcome: Refuse, Reason: "cannot read: " + pathErr(err), Key: manifest.NormalKey(prefix + rel)}})
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		f := &File{Name: name, Decision: Decision{Key: manifest.NormalKey(prefix + rel)}}
		if !Audio(rel) && d.Type().IsRegular() {
			// Decided by the name alone: skipped, or a playlist refused.
			f.Decision = Plan(Facts{Key: f.Key, Size: 1}, Defaults())
		} else {
			open(f, root, filepath.FromSlash(rel))
		}
		files = append(files, f)
		return nil
	})
	return files
}

// OpenIn opens the file rel inside root: a link that stays in the folder
// is followed (relative, or absolute into the folder, which os.Root alone
// takes as leading out); one that leads out of it, or to nothing, is not.
// It returns the file and its name in root, or nil and why it cannot be
// read ("a link out of the folder (to ../x.mp3)").
func OpenIn(root *os.Root, rel string) (*os.File, string, string) {
	fh, err := root.Open(rel)
	if err == nil {
		return fh, rel, ""
	}
	target, lerr := root.Readlink(rel)
	if lerr != nil { // not a link
		return nil, "", "cannot read: " + pathErr(err)
	}
	if filepath.IsAbs(target) {
		if dir, aerr := filepath.Abs(root.Name()); aerr == nil {
			if in, rerr := filepath.Rel(dir, target); rerr == nil && filepath.IsLocal(in) {
				if fh, err = root.Open(in); err == nil {
					return fh, in, ""
				}
			}
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Sprintf("a link to nothing (%s)", shown(target))
	}
	return nil, "", fmt.Sprintf("a link out of the folder (to %s)", shown(target))
}

// open opens the file rel of root for f, or refuses f with the reason.
func open(f *File, root *os.Root, rel string) {
	f.root, f.rel = root, rel
	fh, in, why := OpenIn(root, rel)
	if fh == nil {
		f.Outcome, f.Reason = Refuse, why
		return
	}
	f.rel = in
	st, err := fh.Stat()
	switch {
	case err != nil:
		fh.Close()
		f.Outcome, f.Reason = Refuse, "cannot read: "+pathErr(err)
	case !st.Mode().IsRegular():
		fh.Close()
		f.Outcome, f.Reason = Skip, "not a regular file"
	default:
		f.src, f.st = fh, st
	}
}

// Check probes f with the indexer's rules and plans what becomes of it;
// ffmpeg measures it when it must be converted or normalized. ff is nil
// when there is no ffmpeg, and noFF says why.
func Check(ctx context.Context, f *File, ff *transcode.FFmpeg, noFF error, o Options) {
	if f.Outcome != 0 {
		return
	}
	facts := Facts{Key: f.Key, Size: f.st.Size(), FFmpeg: noFF}
	if ff == nil && noFF == nil {
		facts.FFmpeg = transcode.ErrNotFound
	}
	var info audio.Info
	if facts.Size > 0 && Audio(f.Key) {
		// The indexer's own probe, reading the descriptor where it asks.
		info, facts.ProbeErr = audio.ProbeReader(f.Key, f.src, facts.Size)
	}
	if NeedsMeasure(facts, o) {
		m, err := ff.Measure(ctx, f.src)
		if err != nil {
			facts.MeasureErr = err
		} else {
			facts.Measured = &m
		}
	}
	f.Decision = Plan(facts, o)
	f.Measured = facts.Measured
	if f.Outcome == Refuse || f.Outcome == Skip {
		f.Close()
		return
	}
	// One title rule for every source: the tag, else the tidied name.
	f.Title, f.Language = info.Title, info.Language
	if m := facts.Measured; m != nil {
		f.Title = cmpOr(f.Title, m.Title)
		f.Language = cmpOr(m.Language, f.Language)
	}
	f.Title = cmpOr(f.Title, manifest.NameTitle(f.Key))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Changed says how f's source differs from what was checked, or "": its
// name now names another file, or its bytes were rewritten.
func (f *File) Changed() string {
	if f.src == nil {
		return "closed"
	}
	now, err := f.src.Stat()
	if err != nil {
		return "cannot read: " + pathErr(err)
	}
	if now.Size() != f.st.Size() || !now.ModTime().Equal(f.st.ModTime()) {
		return "changed while jokebox ran (size or time differs from its check)"
	}
	named, err := f.root.Stat(f.rel)
	if err != nil || !os.SameFile(named, f.st) {
		return "replaced while jokebox ran (its name now names another file)"
	}
	return ""
}

// hash sets f.Hash from the recipe and the checked bytes.
func (f *File) hash(o Options) error {
	h := sha256.New()
	io.WriteString(h, o.recipe(f.Outcome)+"\n")
	if _, err := io.Copy(h, io.NewSectionReader(f.src, 0, f.st.Size())); err != nil {
		return err
	}
	f.Hash = hex.EncodeToString(h.Sum(nil))
	return nil
}

// sameMD5 reports whether etag is the MD5 of f's bytes: the ETag S3 gives
// an object uploaded in one part without KMS (as by `aws s3 cp` of a small
// file), which carries no jokebox hash.
func (f *File) sameMD5(etag string) bool {
	etag = strings.Trim(etag, `"`)
	if len(etag) != 32 || f.src == nil {
		return false // multipart ("…-3") or not an MD5
	}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f.src, 0, f.st.Size())); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == etag
}

// convert writes f's MP3 into dir when f must be converted or normalized.
func (f *File) convert(ctx context.Context, ff *transcode.FFmpeg, o Options, dir string) error {
	if f.Outcome != Convert && f.Outcome != Normalize {
		return nil
	}
	out := filepath.Join(dir, fmt.Sprintf("%d-%s.mp3", time.Now().UnixNano(), "out"))
	res, err := ff.Convert(ctx, f.src, out, *f.Measured, transcode.Options{
		Bitrate: o.Bitrate, Title: f.Title, Language: f.Language,
		Normalize: o.Normalize, Target: o.Loudness, PeakLimit: o.Peak,
	})
	if err != nil {
		os.Remove(out)
		return fmt.Errorf("conversion failed: %w", err)
	}
	f.Result, f.out = res, out
	return nil
}

// Body opens what is uploaded for f: the converted file, or the checked
// source's bytes, with their size.
func (f *File) Body() (io.ReadSeeker, int64, func(), error) {
	if f.out != "" {
		fh, err := os.Open(f.out)
		if err != nil {
			return nil, 0, nil, err
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, 0, nil, err
		}
		return fh, st.Size(), func() { fh.Close() }, nil
	}
	if f.src == nil {
		return nil, 0, nil, errors.New("closed")
	}
	return io.NewSectionReader(f.src, 0, f.st.Size()), f.st.Size(), func() {}, nil
}

// ContentType is the Content-Type of an object by its key's extension.
func ContentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".m4a", ".mp4":
		return "audio/mp4"
	case ".aac":
		return "audio/aac"
	}
	return "audio/mpeg"
}

// pathErr is the reason of a file-system error without the path, which the
// caller prints already.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
