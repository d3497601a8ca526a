package ingest

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/apierr"
	"github.com/jokebox/jokebox/shared/transcode"
)

// MetaHash is the object metadata key holding the content hash of the
// source file and the processing that made the object.
const MetaHash = "jokebox-sha256"

// Client is the part of the S3 API the pipeline uses: the transfer
// manager's, HEAD to skip what is there, DELETE to take back an upload
// whose source changed under it.
type Client interface {
	transfermanager.S3APIClient
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Progress shows uploads as they go.
type Progress interface {
	transfermanager.ObjectBytesTransferredListener
	Start(key string)
	Done(key string, size int64, err error)
	Finish()
}

// Pipeline runs the steps after Walk.
type Pipeline struct {
	FFmpeg   *transcode.FFmpeg // nil without ffmpeg
	NoFFmpeg error             // why there is none
	Options  Options
	TempDir  string // where conversions are written (see TempDir)

	// beforeUpload, in tests, runs between the check and the upload.
	beforeUpload func(*File)
}

// SameKey says why a file is refused when file other already goes under
// key.
func SameKey(key, other string) string { return fmt.Sprintf("same key %q as %s", key, other) }

// CheckAll checks every file (Check) and refuses a second file whose key
// another one has.
func (p *Pipeline) CheckAll(ctx context.Context, files []*File) {
	keys := map[string]string{}
	for _, f := range files {
		Check(ctx, f, p.FFmpeg, p.NoFFmpeg, p.Options)
		if f.Outcome == Refuse || f.Outcome == Skip {
			continue
		}
		if prev, dup := keys[f.Key]; dup {
			f.refuse(SameKey(f.Key, prev))
			continue
		}
		keys[f.Key] = f.Name
	}
}

// Prepare hashes every file that goes ahead, marks those the bucket holds
// already (by the hash in their metadata, or an MD5 ETag of the same
// bytes), and converts the others that need it.
func (p *Pipeline) Prepare(ctx context.Context, c Client, bucket string, files []*File) error {
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.goesAhead() {
			continue
		}
		if err := f.hash(p.Options); err != nil {
			f.refuse("cannot read: " + pathErr(err))
			continue
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.Key)})
		switch {
		case err == nil && (head.Metadata[MetaHash] == f.Hash || f.Outcome == AsIs && f.sameMD5(aws.ToString(head.ETag))):
			f.Existing, f.ETag = true, strings.Trim(aws.ToString(head.ETag), `"`)
			f.Close()
			continue
		case err != nil && !apierr.IsNotFound(err):
			f.refuse("check the bucket: " + err.Error())
			continue
		}
		if err := f.convert(ctx, p.FFmpeg, p.Options, p.TempDir); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.refuse(err.Error())
		}
	}
	return nil
}

// Convert converts one checked file that must be (Check decided), into
// p.TempDir; see File.Output.
func (p *Pipeline) Convert(ctx context.Context, f *File) error {
	return f.convert(ctx, p.FFmpeg, p.Options, p.TempDir)
}

// goesAhead reports whether f is to be uploaded (or found in the bucket).
func (f *File) goesAhead() bool {
	return f.Outcome == AsIs || f.Outcome == Convert || f.Outcome == Normalize
}

// Upload uploads every file Prepare left to upload with the transfer
// manager (multipart above its threshold). A source that changed since its
// check is refused, and its object deleted when it changed during the
// upload.
func (p *Pipeline) Upload(ctx context.Context, c Client, bucket string, files []*File, newProgress func(files int, bytes int64) Progress) error {
	var todo []*File
	var total int64
	for _, f := range files {
		if !f.goesAhead() || f.Existing {
			continue
		}
		if p.beforeUpload != nil {
			p.beforeUpload(f)
		}
		if why := f.Changed(); why != "" {
			f.refuse(why)
			continue
		}
		_, size, closeBody, err := f.Body()
		if err != nil {
			f.refuse("cannot read: " + pathErr(err))
			continue
		}
		closeBody()
		total += size
		todo = append(todo, f)
	}
	if len(todo) == 0 {
		return nil
	}
	bar := newProgress(len(todo), total)
	tm := transfermanager.New(c, func(o *transfermanager.Options) {
		o.ObjectProgressListeners.Register(bar)
	})
	defer bar.Finish()
	for _, f := range todo {
		body, size, closeBody, err := f.Body()
		if err != nil {
			f.refuse("cannot read: " + pathErr(err))
			continue
		}
		bar.Start(f.Key)
		out, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(f.Key),
			Body:          body,
			ContentLength: aws.Int64(size),
			ContentType:   aws.String(ContentType(f.Key)),
			Metadata:      map[string]string{MetaHash: f.Hash},
		})
		closeBody()
		if err != nil {
			bar.Done(f.Key, size, err)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.refuse("upload failed: " + err.Error())
			continue
		}
		bar.Done(f.Key, size, nil)
		if why := f.Changed(); why != "" && f.out == "" {
			// Rewritten during the upload: what went up is not what was checked.
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.Key)})
			f.refuse(why)
			continue
		}
		f.Uploaded, f.ETag = true, strings.Trim(aws.ToString(out.ETag), `"`)
		f.Close()
	}
	return nil
}

// Summary counts what became of the files.
type Summary struct {
	Added      int // uploaded
	Converted  int // of them, converted from a format Alexa cannot play
	Normalized int // of them, normalized
	Existing   int // already in the bucket
	Skipped    int // not audio
	Failed     int // refused
}

// Summarize counts files.
func Summarize(files []*File, o Options) Summary {
	var s Summary
	for _, f := range files {
		switch {
		case f.Outcome == Refuse:
			s.Failed++
		case f.Outcome == Skip:
			s.Skipped++
		case f.Existing:
			s.Existing++
		case f.Uploaded:
			s.Added++
			if f.Outcome == Convert {
				s.Converted++
			}
			if f.Outcome == Normalize || o.Normalize && f.Outcome == Convert && f.Measured != nil && f.Measured.Integrated > transcode.Silent {
				s.Normalized++
			}
		}
	}
	return s
}
