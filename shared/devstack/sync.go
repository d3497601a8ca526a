package devstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/ingest"
	"github.com/jokebox/jokebox/shared/manifest"
)

// ObjectWriter is the part of the S3 API the syncer uses.
type ObjectWriter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// SyncConfig configures a Syncer.
type SyncConfig struct {
	Dir      string       // the local media folder
	Bucket   string       // the bucket to upload to
	S3       ObjectWriter // client for the bucket
	Indexer  SQSHandler   // receives the S3 event notifications; nil sends none
	Progress io.Writer    // progress lines for large folders; nil for none
	Logger   *slog.Logger // nil discards its lines
	// Prepare, when set, makes what is uploaded for a media file (say, an
	// MP3 converted from a WAV, under another key) from the file, opened
	// inside the media folder; nil uploads each file as it is under its
	// own key.
	Prepare func(ctx context.Context, key string, src *os.File) (Prepared, error)
}

// Prepared is what SyncConfig.Prepare makes of a media file.
type Prepared struct {
	Key  string // the object key
	Path string // the file to upload; "" uploads the source's bytes
	Done func() // called once the upload is over; may be nil
	// Refused, when set, says why the file cannot be used: it is not
	// uploaded, and Skipped lists it with that reason.
	Refused string
}

// Skip is a media file left out of the bucket, and why.
type Skip struct {
	Key    string
	Reason string
}

// Syncer mirrors a media folder into a bucket and tells the indexer about
// every upload and delete with the S3 event notification the cloud would
// send. Keys are the files' slash-separated paths relative to the folder.
type Syncer struct {
	cfg    SyncConfig
	log    *slog.Logger
	notify *notifier

	rootOnce sync.Once
	root     *os.Root // the media folder, which no link leads out of
	rootErr  error

	mu      sync.Mutex
	known   map[string]fileStamp // keys uploaded, with what was uploaded
	owner   map[string]string    // object key → the file's key it is (being) uploaded from
	skipped map[string]string    // key → why it is not uploaded (not audio, a link out, refused)
}

// openRoot opens the media folder once.
func (s *Syncer) openRoot() (*os.Root, error) {
	s.rootOnce.Do(func() { s.root, s.rootErr = os.OpenRoot(s.cfg.Dir) })
	return s.root, s.rootErr
}

// Skipped lists the media files left out, and why, by key: files that are
// not audio, links that lead out of the folder, files Prepare refused.
func (s *Syncer) Skipped() []Skip {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Skip, 0, len(s.skipped))
	for _, k := range sortedKeys(s.skipped) {
		out = append(out, Skip{Key: k, Reason: s.skipped[k]})
	}
	return out
}

// skip records why key is not uploaded ("" clears it).
func (s *Syncer) skip(key, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if why == "" {
		delete(s.skipped, key)
	} else {
		s.skipped[key] = why
	}
}

// KeyClashError is the error of a media file whose object would have the
// key of another file's (voice.wav and voice.opus both converted to
// voice.mp3): it is not uploaded, so the other is not overwritten.
type KeyClashError struct {
	File  string // the file refused
	Key   string // the object key both would have
	Other string // the file already uploaded, or being uploaded, under Key
}

func (e *KeyClashError) Error() string { return e.File + ": " + ingest.SameKey(e.Key, e.Other) }

// fileStamp identifies an uploaded version of a file cheaply.
type fileStamp struct {
	size   int64
	mtime  time.Time
	object string // the key it was uploaded under (see SyncConfig.Prepare)
}

// NewSyncer returns a Syncer for cfg.
func NewSyncer(cfg SyncConfig) *Syncer {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{
		cfg:     cfg,
		log:     log,
		notify:  newNotifier(cfg.Indexer, cfg.Bucket, log),
		known:   make(map[string]fileStamp),
		owner:   make(map[string]string),
		skipped: make(map[string]string),
	}
}

// SyncResult summarizes a full sync.
type SyncResult struct {
	Files   int              // files uploaded
	Clashes []*KeyClashError // files not uploaded: their key is another file's
	Skipped int              // hidden, temporary or reserved files left out
	Refused []Skip           // files left out with a reason: not audio, a link out of the folder, refused by Prepare
	Bytes   int64            // bytes uploaded
	Took    time.Duration
}

// Concurrency of uploads and how large a folder must be to print progress.
const (
	uploadWorkers = 4
	progressMin   = 20
)

// notifyChunk is how many changes a full sync gathers before it hands
// them to the indexer, so indexing keeps up with uploading.
const notifyChunk = recordsPerMessage * messagesPerCall

// SyncAll uploads every file of the media folder that was not uploaded yet
// (or changed since) and delivers their events to the indexer.
func (s *Syncer) SyncAll(ctx context.Context) (SyncResult, error) {
	start := time.Now()
	var res SyncResult
	files, skipped, err := s.scan(s.cfg.Dir)
	if err != nil {
		return res, err
	}
	res.Skipped = skipped
	type job struct {
		rel string
		fi  fs.FileInfo
	}
	jobs := make(chan job)
	type result struct {
		change Change
		err    error
	}
	results := make(chan result)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range uploadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, err := s.upload(ctx, j.rel, j.fi)
				select {
				case results <- result{c, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for rel, fi := range files {
			select {
			case jobs <- job{rel, fi}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var (
		errs    []error
		pending []Change
		done    int
		total   = len(files)
		step    = max(total/10, 1)
	)
	for r := range results {
		done++
		var clash *KeyClashError
		switch {
		case errors.As(r.err, &clash):
			res.Clashes = append(res.Clashes, clash)
		case errors.Is(r.err, errPrepareRefused):
		case r.err != nil:
			errs = append(errs, r.err)
		default:
			res.Files++
			res.Bytes += r.change.Size
			pending = append(pending, r.change)
		}
		if s.cfg.Progress != nil && total >= progressMin && (done%step == 0 || done == total) {
			fmt.Fprintf(s.cfg.Progress, "  uploaded %d/%d files (%d%%)\n", done, total, done*100/total)
		}
		if len(pending) >= notifyChunk {
			if err := s.notify.notify(ctx, pending); err != nil {
				errs = append(errs, err)
			}
			pending = nil
		}
	}
	if err := s.notify.notify(ctx, pending); err != nil {
		errs = append(errs, err)
	}
	res.Took = time.Since(start)
	res.Refused = s.Skipped()
	slices.SortFunc(res.Clashes, func(a, b *KeyClashError) int { return strings.Compare(a.File, b.File) })
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, errors.Join(errs...)
}

// scan lists the files under dir (the media folder or a folder in it) that
// need uploading, by key. It reads the folder through os.Root: a link that
// leads out of it is left out, with its reason in Skipped, as are files
// whose names are not audio.
func (s *Syncer) scan(dir string) (files map[string]fs.FileInfo, skipped int, err error) {
	files = make(map[string]fs.FileInfo)
	root, err := s.openRoot()
	if err != nil {
		return nil, 0, fmt.Errorf("scan media folder: %w", err)
	}
	start, ok := s.rel(dir)
	if !ok {
		start = "."
	}
	err = fs.WalkDir(root.FS(), start, func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			if rel == start {
				return err
			}
			s.log.Warn("skip unreadable path", "path", rel, "err", err)
			return nil
		}
		if rel == "." {
			return nil // the root
		}
		if skipName(rel) != "" {
			skipped++
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		fi, ok := s.stat(root, rel)
		if !ok || s.unchanged(rel, fi) {
			return nil
		}
		files[rel] = fi
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("scan media folder: %w", err)
	}
	return files, skipped, nil
}

// stat is the file at key in root when it is one to upload: a regular file
// (or a link to one inside the folder) whose name is audio. Otherwise it
// records why not.
func (s *Syncer) stat(root *os.Root, key string) (fs.FileInfo, bool) {
	fi, err := root.Stat(filepath.FromSlash(key)) // follows links that stay inside
	if err != nil {
		// A link out of the folder, or an absolute one into it.
		fh, _, why := ingest.OpenIn(root, filepath.FromSlash(key))
		if fh == nil {
			if lst, lerr := root.Lstat(filepath.FromSlash(key)); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
				s.skip(key, why)
			}
			return nil, false
		}
		fi, err = fh.Stat()
		fh.Close()
	}
	switch {
	case err != nil:
		return nil, false
	case fi.IsDir():
		return nil, false
	case !fi.Mode().IsRegular():
		s.skip(key, "not a regular file")
		return nil, false
	case !ingest.Audio(key):
		s.skip(key, ingest.Plan(ingest.Facts{Key: key, Size: 1}, ingest.Defaults()).Reason)
		return nil, false
	}
	if r := manifest.KeyProblem(manifest.NormalKey(key)); r != "" {
		s.skip(key, "name cannot be a key: "+r)
		return nil, false
	}
	return fi, true
}

// rel returns the key for a path under the media folder.
func (s *Syncer) rel(p string) (string, bool) {
	r, err := filepath.Rel(s.cfg.Dir, p)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func (s *Syncer) unchanged(key string, fi fs.FileInfo) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.known[key]
	return ok && st.size == fi.Size() && st.mtime.Equal(fi.ModTime())
}

// skipName says why a key is left out of the bucket, or "" to upload it:
// hidden files and folders, editors' temporary files, and jokebox's own
// reserved prefix.
func skipName(key string) string {
	parts := strings.Split(key, "/")
	if parts[0]+"/" == reservedPrefix {
		return "reserved prefix"
	}
	for _, p := range parts {
		if strings.HasPrefix(p, ".") {
			return "hidden"
		}
	}
	base := parts[len(parts)-1]
	switch {
	case strings.HasSuffix(base, "~"),
		strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#"),
		strings.HasPrefix(base, "~$"),
		base == "4913", // vim's probe file
		slices.Contains(tempExts, strings.ToLower(path.Ext(base))):
		return "temporary file"
	}
	return ""
}

// reservedPrefix is where jokebox keeps its own objects (manifest.Prefix).
const reservedPrefix = "_jokebox/"

var tempExts = []string{".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".crdownload", ".download", ".partial"}

// upload puts one file and returns its change. The file is opened once,
// inside the media folder; Prepare and the upload read that descriptor.
func (s *Syncer) upload(ctx context.Context, key string, fi fs.FileInfo) (Change, error) {
	root, err := s.openRoot()
	if err != nil {
		return Change{}, fmt.Errorf("upload %s: %w", key, err)
	}
	src, _, why := ingest.OpenIn(root, filepath.FromSlash(key))
	if src == nil {
		return Change{}, fmt.Errorf("upload %s: %s", key, why)
	}
	defer src.Close()
	if st, err := src.Stat(); err == nil {
		fi = st // what is uploaded is what was opened
	}
	obj := Prepared{Key: manifest.NormalKey(key)}
	if s.cfg.Prepare != nil {
		p, err := s.cfg.Prepare(ctx, obj.Key, src)
		if err != nil {
			return Change{}, fmt.Errorf("prepare %s: %w", key, err)
		}
		if p.Done != nil {
			defer p.Done()
		}
		if p.Refused != "" {
			s.skip(key, p.Refused)
			return Change{}, errPrepareRefused
		}
		obj = p
	}
	s.skip(key, "")
	if err := s.claim(key, obj.Key); err != nil {
		return Change{}, err
	}
	var body io.ReadSeeker = io.NewSectionReader(src, 0, fi.Size())
	size := fi.Size()
	if obj.Path != "" {
		f, err := os.Open(obj.Path)
		if err != nil {
			return Change{}, fmt.Errorf("upload %s: %w", key, err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return Change{}, fmt.Errorf("upload %s: %w", key, err)
		}
		body, size = f, st.Size()
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(obj.Key),
		Body:          body,
		ContentLength: aws.Int64(size),
	}
	if ct := mime.TypeByExtension(path.Ext(obj.Key)); ct != "" {
		in.ContentType = aws.String(ct)
	}
	out, err := s.cfg.S3.PutObject(ctx, in)
	if err != nil {
		s.release(key, obj.Key)
		return Change{}, fmt.Errorf("upload %s: %w", key, err)
	}
	s.mu.Lock()
	if old := s.known[key].object; old != "" && old != obj.Key && s.owner[old] == key {
		delete(s.owner, old)
	}
	s.known[key] = fileStamp{size: fi.Size(), mtime: fi.ModTime(), object: obj.Key}
	s.mu.Unlock()
	s.log.DebugContext(ctx, "uploaded", "key", obj.Key, "size", size)
	return Change{Key: obj.Key, Size: size, ETag: aws.ToString(out.ETag)}, nil
}

// errPrepareRefused is upload's error for a file Prepare refused: it is listed
// in Skipped, not counted as an error.
var errPrepareRefused = errors.New("refused")

// claim reserves object for the file key, or returns a *KeyClashError
// when another file has it. Uploads run in parallel, so the reservation is
// taken before the upload starts.
func (s *Syncer) claim(key, object string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.owner[object]; ok && other != key {
		return &KeyClashError{File: key, Key: object, Other: other}
	}
	s.owner[object] = key
	return nil
}

// release gives up the claim of a failed upload, unless an earlier upload
// of the same file holds the object.
func (s *Syncer) release(key, object string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner[object] == key && s.known[key].object != object {
		delete(s.owner, object)
	}
}

// remove deletes one key and returns its change.
func (s *Syncer) remove(ctx context.Context, key string) (Change, error) {
	s.mu.Lock()
	object := cmp.Or(s.known[key].object, key)
	s.mu.Unlock()
	_, err := s.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(object)})
	if err != nil {
		return Change{}, fmt.Errorf("delete %s: %w", object, err)
	}
	s.mu.Lock()
	delete(s.known, key)
	if s.owner[object] == key {
		delete(s.owner, object)
	}
	s.mu.Unlock()
	s.log.DebugContext(ctx, "deleted", "key", object)
	return Change{Key: object, Removed: true}, nil
}

// Apply brings the bucket in line with the given paths of the media folder
// (absolute, or relative to it) and notifies the indexer: a file that exists
// is uploaded when new or changed, a folder is synced recursively, and a
// path that no longer exists is deleted along with every uploaded key under
// it. It returns the changes made.
func (s *Syncer) Apply(ctx context.Context, paths []string) ([]Change, error) {
	var (
		changes []Change
		errs    []error
	)
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.cfg.Dir, p)
		}
		key, ok := s.rel(p)
		if !ok || skipName(key) != "" {
			continue
		}
		root, err := s.openRoot()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fi, err := root.Lstat(filepath.FromSlash(key))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.skip(key, "")
			for _, k := range s.knownUnder(key) {
				c, err := s.remove(ctx, k)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				changes = append(changes, c)
			}
		case err != nil:
			errs = append(errs, err)
		case fi.IsDir():
			files, _, err := s.scan(p)
			if err != nil {
				errs = append(errs, err)
			}
			for _, k := range sortedKeys(files) {
				c, err := s.upload(ctx, k, files[k])
				if errors.Is(err, errPrepareRefused) {
					continue
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				changes = append(changes, c)
			}
		default:
			fi, ok := s.stat(root, key)
			if !ok || s.unchanged(key, fi) {
				continue
			}
			c, err := s.upload(ctx, key, fi)
			if errors.Is(err, errPrepareRefused) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			changes = append(changes, c)
		}
	}
	if err := s.notify.notify(ctx, changes); err != nil {
		errs = append(errs, err)
	}
	return changes, errors.Join(errs...)
}

// knownUnder returns the uploaded keys equal to key or under key + "/".
func (s *Syncer) knownUnder(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.known {
		if k == key || strings.HasPrefix(k, key+"/") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
