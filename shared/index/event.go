package index

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jokebox/jokebox/shared/manifest"
)

// Notification is an SQS message body holding S3 event notifications:
// aws-lambda-go's events.S3Event with its records read by Record, plus the
// Event field of the s3:TestEvent message S3 sends when notifications are
// configured.
type Notification struct {
	Records []Record `json:"Records"`
	Event   string   `json:"Event"` // "s3:TestEvent" when notifications are configured
}

// Record is aws-lambda-go's events.S3EventRecord read through an adapter
// for moto_server, the emulator the tests deliver real notifications with:
// moto sends eventTime without a time zone ("2026-11-23T14:49:56.229043"),
// which the embedded time.Time refuses, so the field is read here as the
// text it is (AWS sends "...Z"). The indexer does not use it: it observes
// the bucket rather than trusting event order. Keys are URL-encoded by S3
// and moto alike (space as '+'); events.S3Object decodes them into
// URLDecodedKey.
type Record struct {
	events.S3EventRecord
	// EventTime shadows S3EventRecord.EventTime (see Record).
	EventTime string `json:"eventTime"`
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
		// Includes a key that does not URL-decode (events.S3Object).
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
		key, err := checkKey(r.S3.Object.URLDecodedKey)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		touches = append(touches, Touch{Bucket: r.S3.Bucket.Name, Key: key, Event: r.EventName})
	}
	return touches, nil
}

// checkKey accepts a decoded key that is UTF-8, not empty and no longer
// than S3 allows.
func checkKey(key string) (string, error) {
	switch {
	case key == "":
		return "", fmt.Errorf("empty key")
	case len(key) > manifest.MaxKeyLen:
		return "", fmt.Errorf("key of %d bytes is longer than S3 allows", len(key))
	case !utf8.ValidString(key):
		return "", fmt.Errorf("key %.64q is not UTF-8", key)
	}
	return key, nil
}
