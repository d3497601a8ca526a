package index

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jokebox/jokebox/shared/manifest"
)

// Notification is an S3 event notification as S3 puts it in an SQS message
// body. Only what the indexer needs is declared: the event's time is not
// (one emulator sends it without a time zone, which time.Time rejects, and
// the indexer observes the bucket rather than trusting event order).
type Notification struct {
	Records []Record `json:"Records"`
	Event   string   `json:"Event"` // "s3:TestEvent" when notifications are configured
}

// Record is one S3 event.
type Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"eTag"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// Touch is one key that an event says changed.
type Touch struct {
	Bucket string
	Key    string // decoded
	Event  string // e.g. ObjectCreated:Put
}

// ParseNotification decodes an SQS message body holding an S3 event
// notification into the keys it touches. An s3:TestEvent yields none. A body
// that is not an S3 notification, or a key that does not decode, is an
// error: that message fails alone.
func ParseNotification(body []byte) ([]Touch, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("not an S3 event notification: %w", err)
	}
	if n.Event == "s3:TestEvent" && len(n.Records) == 0 {
		return nil, nil
	}
	if len(n.Records) == 0 {
		return nil, fmt.Errorf("not an S3 event notification: no records")
	}
	touches := make([]Touch, 0, len(n.Records))
	for i, r := range n.Records {
		if r.EventSource != "aws:s3" || !(strings.HasPrefix(r.EventName, "ObjectCreated:") || strings.HasPrefix(r.EventName, "ObjectRemoved:") || strings.HasPrefix(r.EventName, "LifecycleExpiration:")) {
			return nil, fmt.Errorf("record %d: unexpected event %q from %q", i, r.EventName, r.EventSource)
		}
		key, err := DecodeKey(r.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		touches = append(touches, Touch{Bucket: r.S3.Bucket.Name, Key: key, Event: r.EventName})
	}
	return touches, nil
}

// DecodeKey decodes an object key as S3 notifications encode it: URL
// encoding with a space as '+' ("sub+folder/otro%2Bchiste.mp3" is
// "sub folder/otro+chiste.mp3"). It rejects keys that are not valid UTF-8,
// empty or longer than S3 allows.
func DecodeKey(raw string) (string, error) {
	key, err := url.QueryUnescape(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("key %.64q: %w", raw, err)
	case key == "":
		return "", fmt.Errorf("empty key")
	case len(key) > manifest.MaxKeyLen:
		return "", fmt.Errorf("key of %d bytes is longer than S3 allows", len(key))
	case !utf8.ValidString(key):
		return "", fmt.Errorf("key %.64q is not UTF-8", key)
	}
	return key, nil
}
