package index

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// The SDK clients and the store satisfy the interfaces the indexer
// declares, with the SDK's exact signatures.
var (
	_ Objects   = (*s3.Client)(nil)
	_ Queue     = (*sqs.Client)(nil)
	_ Invoker   = (*lambda.Client)(nil)
	_ Manifests = (*store.Store)(nil)
)

// TestNotificationKeys: keys arrive URL-encoded as S3 and moto encode them
// (space as '+'; moto also escapes '/') and are decoded once, by
// events.S3Object; what is not a key S3 could hold fails the message.
func TestNotificationKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"folder/sub+folder/otro%2Bchiste.mp3", "folder/sub folder/otro+chiste.mp3", true},
		{"folder%2Fsub+folder%2Fotro%2Bchiste.mp3", "folder/sub folder/otro+chiste.mp3", true}, // moto escapes '/'
		{"animales/el+pato+y+el+%C3%B1and%C3%BA.mp3", "animales/el pato y el ñandú.mp3", true},
		{"%C3%91and%C3%BA%2F%E6%97%A5%E6%9C%AC.mp3", "Ñandú/日本.mp3", true},
		{"ñandú.mp3", "ñandú.mp3", true}, // unescaped UTF-8 passes through
		{"quote%22s+and+%27apostrophes%27.mp3", `quote"s and 'apostrophes'.mp3`, true},
		{"what%3F.mp3", "what?.mp3", true},
		{"a%26b%3Dc.mp3", "a&b=c.mp3", true},
		{"100%25+real.mp3", "100% real.mp3", true},
		{"%2525.mp3", "%25.mp3", true}, // decoded once, not twice
		{"plain.mp3", "plain.mp3", true},
		{strings.Repeat("a", 1020) + ".mp3", strings.Repeat("a", 1020) + ".mp3", true},
		{strings.Repeat("%C3%B1", 510) + ".mp3", strings.Repeat("ñ", 510) + ".mp3", true}, // 1,024 bytes decoded
		{strings.Repeat("a", 1021) + ".mp3", "", false},
		{strings.Repeat("%C3%B1", 511) + ".mp3", "", false},
		{"bad%zz.mp3", "", false},
		{"trailing%", "", false},
		{"trailing%2", "", false},
		{"%FF%FE.mp3", "", false},    // not UTF-8
		{"%C3.mp3", "", false},       // truncated UTF-8
		{"%ED%A0%80.mp3", "", false}, // surrogate half
		{"", "", false},
	}
	for _, tt := range tests {
		name := tt.raw
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			touches, err := ParseNotification([]byte(`{"Records":[` + record("ObjectCreated:Put", tt.raw, "2026-11-23T14:49:56.229Z") + `]}`))
			if (err == nil) != tt.ok {
				t.Fatalf("key %q: ParseNotification error %v; want ok=%v", tt.raw, err, tt.ok)
			}
			var got string
			if len(touches) == 1 {
				got = touches[0].Key
			}
			if got != tt.want {
				t.Errorf("key %q decoded as %q; want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// record builds an S3 notification record as JSON, the way S3 and moto
// send it.
func record(event, key, eventTime string) string {
	return `{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"` + eventTime + `","eventName":"` + event +
		`","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"jokes","arn":"arn:aws:s3:::jokes"},"object":{"key":"` + key + `","size":123,"eTag":"0123456789abcdef0123456789abcdef"}}}`
}

func TestParseNotification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    []Touch
		wantErr bool
	}{
		{
			name: "put",
			body: `{"Records":[` + record("ObjectCreated:Put", "a/b+c.mp3", "2026-11-23T14:49:56.229Z") + `]}`,
			want: []Touch{{Bucket: "jokes", Key: "a/b c.mp3", Event: "ObjectCreated:Put"}},
		},
		{
			name: "moto event time without a time zone",
			body: `{"Records":[` + record("ObjectCreated:Put", "a%2Fb.mp3", "2026-11-23T14:49:56.229043") + `]}`,
			want: []Touch{{Bucket: "jokes", Key: "a/b.mp3", Event: "ObjectCreated:Put"}},
		},
		{
			name: "several records",
			body: `{"Records":[` + record("ObjectCreated:Copy", "x.mp3", "") + `,` + record("ObjectRemoved:Delete", "y.mp3", "") + `,` +
				record("ObjectRemoved:DeleteMarkerCreated", "z.mp3", "") + `,` + record("LifecycleExpiration:Delete", "w.mp3", "") + `]}`,
			want: []Touch{
				{Bucket: "jokes", Key: "x.mp3", Event: "ObjectCreated:Copy"},
				{Bucket: "jokes", Key: "y.mp3", Event: "ObjectRemoved:Delete"},
				{Bucket: "jokes", Key: "z.mp3", Event: "ObjectRemoved:DeleteMarkerCreated"},
				{Bucket: "jokes", Key: "w.mp3", Event: "LifecycleExpiration:Delete"},
			},
		},
		{
			name: "test event",
			body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T14:40:02.118Z","Bucket":"jokes","RequestId":"5582815E1AEA5ADF","HostId":"x"}`,
		},
		{
			name: "moto test event",
			body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T14:40:02.118043","Bucket":"jokes"}`,
		},
		{name: "malformed JSON", body: `{"Records":[`, wantErr: true},
		{name: "not JSON", body: `hello`, wantErr: true},
		{name: "empty body", body: ``, wantErr: true},
		{name: "no records", body: `{"Records":[]}`, wantErr: true},
		{name: "other JSON", body: `{"foo":"bar"}`, wantErr: true},
		{name: "unknown event", body: `{"Records":[` + record("ObjectTagging:Put", "a.mp3", "") + `]}`, wantErr: true},
		{name: "unknown source", body: strings.Replace(`{"Records":[`+record("ObjectCreated:Put", "a.mp3", "")+`]}`, "aws:s3", "aws:sns", 1), wantErr: true},
		{name: "bad key", body: `{"Records":[` + record("ObjectCreated:Put", "a%zz.mp3", "") + `]}`, wantErr: true},
		{name: "empty key", body: `{"Records":[` + record("ObjectCreated:Put", "", "") + `]}`, wantErr: true},
		{name: "records not a list", body: `{"Records":{"a":1}}`, wantErr: true},
		{name: "SNS envelope", body: `{"Type":"Notification","Message":"{\"Records\":[]}"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNotification([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseNotification error %v; want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("touches (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseSampleEvents decodes the indexer's sample events.
func TestParseSampleEvents(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../events/indexer/sqs.*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events in events/indexer (%v): they are part of the repository", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range ev.Records {
			if _, err := ParseNotification([]byte(r.Body)); err != nil {
				t.Errorf("%s: message %s: %v", f, r.MessageId, err)
			}
		}
	}
}

func FuzzParseNotification(f *testing.F) {
	files, _ := filepath.Glob("../../events/indexer/sqs.*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			f.Fatal(err)
		}
		for _, r := range ev.Records {
			f.Add([]byte(r.Body))
		}
	}
	f.Add([]byte(`{"Records":[` + record("ObjectCreated:Put", "a%2Fb+c.mp3", "2026-11-23T14:49:56.229043") + `]}`))
	for _, key := range []string{"folder/sub+folder/otro%2Bchiste.mp3", "a%2Fb.mp3", "%C3%B1", "%", "%zz", "%FF", "100%25"} {
		f.Add([]byte(`{"Records":[` + record("ObjectCreated:Put", key, "") + `]}`))
	}
	f.Add([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent"}`))
	f.Add([]byte(`{"Records":[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		touches, err := ParseNotification(body)
		if err != nil {
			return
		}
		for _, tc := range touches {
			if tc.Key == "" || len(tc.Key) > manifest.MaxKeyLen || !utf8.ValidString(tc.Key) {
				t.Fatalf("touch with key %q", tc.Key)
			}
		}
	})
}
