package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/index"
)

// objectLister is what the list-per-request skill needs to list a bucket.
type objectLister interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// getPresigner signs GET URLs; *s3.PresignClient is one.
type getPresigner interface {
	PresignGetObject(context.Context, *s3.GetObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// ListPerRequest is approach (b), the design jokebox replaces: an Alexa
// endpoint that on every request lists the whole bucket (following
// pagination), picks a random audio key and presigns a GET for it. It
// serves POST /alexa.
type ListPerRequest struct {
	list    objectLister
	presign getPresigner
	bucket  string
	urlTTL  time.Duration
	log     *slog.Logger
	plays   atomic.Int64
}

// NewListPerRequest returns approach (b) on an S3 client.
func NewListPerRequest(c *s3.Client, bucket string, log *slog.Logger) *ListPerRequest {
	return newListPerRequest(c, s3.NewPresignClient(c), bucket, log)
}

func newListPerRequest(list objectLister, presign getPresigner, bucket string, log *slog.Logger) *ListPerRequest {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ListPerRequest{list: list, presign: presign, bucket: bucket, urlTTL: time.Hour, log: log}
}

// ServeHTTP answers POST /alexa with a Play directive for a random object.
func (h *ListPerRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/alexa" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, alexa.MaxRequestSize))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if _, err := alexa.Decode(body); err != nil {
		http.Error(w, "invalid alexa request", http.StatusBadRequest)
		return
	}
	resp, err := h.play(r.Context())
	if err != nil {
		h.log.ErrorContext(r.Context(), "list-per-request failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	out, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

// play lists, picks and signs.
func (h *ListPerRequest) play(ctx context.Context) (*alexa.Response, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(h.list, &s3.ListObjectsV2Input{Bucket: aws.String(h.bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", h.bucket, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); index.Indexable(k) {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("bucket %s has no audio", h.bucket)
	}
	key := keys[rand.IntN(len(keys))]
	signed, err := h.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.bucket), Key: aws.String(key)}, s3.WithPresignExpires(h.urlTTL))
	if err != nil {
		return nil, fmt.Errorf("presign %s: %w", key, err)
	}
	token := fmt.Sprintf("%s#%d", key, h.plays.Add(1))
	return &alexa.Response{Version: alexa.Version, Response: alexa.ResponseBody{
		Directives:       []alexa.Directive{alexa.Play(alexa.ReplaceAll, signed.URL, token, "", 0, nil)},
		ShouldEndSession: alexa.Bool(true),
	}}, nil
}
