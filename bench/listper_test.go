package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/jokebox/jokebox/shared/alexa"
)

var (
	_ objectLister = (*s3.Client)(nil)
	_ getPresigner = (*s3.PresignClient)(nil)
	_ objectPutter = (*s3.Client)(nil)
)

// listFunc is a fake bucket listing.
type listFunc func(*s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error)

func (f listFunc) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return f(in)
}

// presignFunc is a fake signer.
type presignFunc func(*s3.GetObjectInput) (*v4.PresignedHTTPRequest, error)

func (f presignFunc) PresignGetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	return f(in)
}

// pages lists keys two to a page.
func pages(calls *int, keys ...string) listFunc {
	return func(in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
		*calls++
		start := 0
		if in.ContinuationToken != nil {
			start = len(*in.ContinuationToken)
		}
		end := min(start+2, len(keys))
		out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(end < len(keys))}
		for _, k := range keys[start:end] {
			out.Contents = append(out.Contents, types.Object{Key: aws.String(k)})
		}
		if end < len(keys) {
			out.NextContinuationToken = aws.String(strings.Repeat("x", end))
		}
		return out, nil
	}
}

func signed(in *s3.GetObjectInput) (*v4.PresignedHTTPRequest, error) {
	return &v4.PresignedHTTPRequest{URL: "https://s3.example/" + aws.ToString(in.Key) + "?X-Amz-Signature=x", Method: "GET"}, nil
}

func postLaunch(t *testing.T, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	body := LaunchRequest("amzn1.ask.skill.x", "d", "r", time.Now())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/alexa", strings.NewReader(string(body))))
	return w
}

func TestListPerRequestListsEveryPageAndPlaysAudio(t *testing.T) {
	t.Parallel()
	var calls int
	// Only the mp3 outside jokebox's prefix is playable.
	h := newListPerRequest(pages(&calls, "_jokebox/pointer.json", "a/notes.txt", "_jokebox/m.mp3", "a/b.mp3", "c.txt"), presignFunc(signed), "bucket", nil)
	for range 3 {
		w := postLaunch(t, h)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if err := CheckPlay(w.Code, w.Body.Bytes()); err != nil {
			t.Fatal(err)
		}
		var r alexa.Response
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		d := r.Response.Directives[0]
		if d.AudioItem.Stream.URL != "https://s3.example/a/b.mp3?X-Amz-Signature=x" || d.PlayBehavior != alexa.ReplaceAll || r.Response.ShouldEndSession == nil || !*r.Response.ShouldEndSession {
			t.Errorf("answer %s; want REPLACE_ALL a/b.mp3 ending the session", w.Body)
		}
	}
	if calls != 9 {
		t.Errorf("ListObjectsV2 called %d times for 3 requests over 3 pages; want 9", calls)
	}
}

func TestListPerRequestFailures(t *testing.T) {
	t.Parallel()
	var calls int
	tests := []struct {
		name   string
		list   listFunc
		sign   presignFunc
		method string
		body   string
		want   int
	}{
		{"empty bucket", pages(&calls), signed, http.MethodPost, "", http.StatusInternalServerError},
		{"list fails", func(*s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) { return nil, errors.New("boom") }, signed, http.MethodPost, "", http.StatusInternalServerError},
		{"sign fails", pages(&calls, "a.mp3"), func(*s3.GetObjectInput) (*v4.PresignedHTTPRequest, error) { return nil, errors.New("boom") }, http.MethodPost, "", http.StatusInternalServerError},
		{"not alexa", pages(&calls, "a.mp3"), signed, http.MethodPost, `{"hello":1}`, http.StatusBadRequest},
		{"get", pages(&calls, "a.mp3"), signed, http.MethodGet, "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newListPerRequest(tt.list, tt.sign, "bucket", nil)
			body := tt.body
			if body == "" {
				body = string(LaunchRequest("s", "d", "r", time.Now()))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, "/alexa", strings.NewReader(body)))
			if w.Code != tt.want {
				t.Errorf("status %d; want %d", w.Code, tt.want)
			}
		})
	}
}
