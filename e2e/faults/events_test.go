package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/jokebox/jokebox/shared/index"
)

// bodies returns the messages' bodies.
func bodies(msgs []sqstypes.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = aws.ToString(m.Body)
	}
	return out
}

// TestDuplicatedEvents delivers every S3 notification twice, the copies
// shuffled and applied one message per batch, as at-least-once, unordered
// delivery may: a late copy of a delete after the key was uploaded again
// must not remove it, and replaying everything must publish nothing new.
func TestDuplicatedEvents(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, _ := e.queue("dup", 1, 0)
	e.notify(q, false)

	e.put("chistes/uno.mp3", fx.short)
	e.put("chistes/dos.mp3", fx.notitle)
	e.put("chistes/tres.mp3", fx.vbr)
	e.put("texto.mp3", fx.text)
	e.put("vacio.mp3", nil)
	e.del("chistes/dos.mp3")
	e.put("chistes/tres.mp3", fx.short) // replaced
	e.del("chistes/uno.mp3")
	e.put("chistes/uno.mp3", fx.vbr) // deleted, then back

	orig := bodies(e.receiveAll(q))
	rng := rand.New(rand.NewPCG(9, 9))
	dups := append(append([]string{}, orig...), orig...)
	rng.Shuffle(len(dups), func(i, j int) { dups[i], dups[j] = dups[j], dups[i] })
	e.send(q, dups...)
	e.drain(q, index.WorkerOptions{BatchSize: 1})
	m := e.checkMatches()

	// Replaying every event again is a no-op.
	e.send(q, dups...)
	e.drain(q, index.WorkerOptions{BatchSize: 3})
	if again := e.checkMatches(); again.Version != m.Version {
		t.Errorf("replaying %d duplicate events published v%d after v%d; want no new version", len(dups), again.Version, m.Version)
	}
	checkIncreasing(t, "published", e.rec.versions())
	t.Logf("events %d (each twice, twice over), versions %v, %v", len(orig), e.rec.versions(), time.Since(start).Round(time.Millisecond))
}

// TestReorderedEvents delivers a create and a delete of one key in the
// reverse order, in separate batches, both ways round: the manifest follows
// the bucket's final state, not the last event.
func TestReorderedEvents(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, _ := e.queue("reorder", 1, 0)
	e.notify(q, false)

	e.put("back.mp3", fx.short)
	e.drain(q, index.WorkerOptions{})
	e.put("gone.mp3", fx.short) // created then deleted: gone
	e.del("gone.mp3")
	e.del("back.mp3") // deleted then created: present
	e.put("back.mp3", fx.vbr)

	var msgs []string
	for _, b := range bodies(e.receiveAll(q)) {
		if !strings.Contains(b, "_jokebox") {
			msgs = append(msgs, b)
		}
	}
	if len(msgs) != 4 {
		t.Fatalf("got %d notifications, want 4: %q", len(msgs), msgs)
	}
	for i := len(msgs) - 1; i >= 0; i-- { // newest first, one per batch
		e.send(q, msgs[i])
		e.drain(q, index.WorkerOptions{BatchSize: 1})
	}
	m := e.checkMatches()
	if i, ok := m.Lookup("back.mp3"); !ok || m.Entries[i].Duration == 0 {
		t.Errorf("back.mp3 missing or stale in the manifest")
	}
	t.Logf("versions %v, %v", e.rec.versions(), time.Since(start).Round(time.Millisecond))
}

// TestPoisonMessage puts a malformed message in a batch of good ones: it
// fails alone, reaches the dead-letter queue after maxReceiveCount (2)
// receives, and the rest are applied.
func TestPoisonMessage(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, dlq := e.queue("poison", 1, 2)
	e.notify(q, false)
	for i := range 8 {
		e.put(fmt.Sprintf("poison/%d.mp3", i), fx.short)
	}
	const poison = `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"` + bucket + `"},"object":{"key":"%zz.mp3"}}}]}`
	e.send(q, poison, "not json at all", `{"Records":[]}`)
	receives := 0
	e.drain(q, index.WorkerOptions{Progress: func(applied, failed int) { receives++ }})
	e.checkMatches()

	dead := bodies(e.receiveAll(dlq))
	want := map[string]bool{poison: true, "not json at all": true, `{"Records":[]}`: true}
	if len(dead) != len(want) {
		t.Errorf("dead-letter queue holds %d messages, want %d: %q", len(dead), len(want), dead)
	}
	for _, b := range dead {
		if !want[b] {
			t.Errorf("good message in the dead-letter queue: %s", b)
		}
	}
	if n := e.log.count("bad message"); n < 2*len(want) {
		t.Errorf("%d \"bad message\" logs; want each malformed message logged on each of 2 receives", n)
	}
	t.Logf("batches %d, dead letters %d, %v", receives, len(dead), time.Since(start).Round(time.Millisecond))
}

// TestTestEventAndVanishedKey delivers the s3:TestEvent that configuring
// notifications sends, and events for keys deleted before the indexer ran
// (a create whose delete event is lost, and one for a key that never
// existed): all are acknowledged and the manifest stays equal to the bucket.
func TestTestEventAndVanishedKey(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	q, dlq := e.queue("vanish", 1, 2)
	e.notify(q, true) // keep moto's s3:TestEvent
	e.put("stays.mp3", fx.short)
	e.put("vanishes.mp3", fx.short)
	e.del("vanishes.mp3")
	msgs := bodies(e.receiveAll(q))
	var kept []string
	for _, b := range msgs {
		if !strings.Contains(b, "ObjectRemoved") {
			kept = append(kept, b) // the delete's event is lost
		}
	}
	kept = append(kept, s3Event("ObjectCreated:Put", "never-existed.mp3"), `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T14:49:56.229Z","Bucket":"`+bucket+`"}`)
	e.send(q, kept...)
	e.drain(q, index.WorkerOptions{})
	m := e.checkMatches()
	if _, ok := m.Lookup("vanishes.mp3"); ok {
		t.Error("vanishes.mp3 is in the manifest")
	}
	if dead := e.receiveAll(dlq); len(dead) > 0 {
		t.Errorf("%d messages in the dead-letter queue: %q", len(dead), bodies(dead))
	}
	t.Logf("messages %d, %v", len(kept), time.Since(start).Round(time.Millisecond))
}

// s3Event is a notification body with one record, its key encoded as S3
// encodes it.
func s3Event(name, key string) string {
	return s3Events(map[string]string{key: name})
}

func s3Events(keys map[string]string) string {
	var n events.S3Event
	for key, name := range keys {
		var r events.S3EventRecord
		r.EventSource, r.EventName, r.EventTime = "aws:s3", name, time.Date(2026, 11, 23, 14, 49, 56, 229e6, time.UTC)
		r.S3.Bucket.Name = bucket
		r.S3.Object.Key = url.QueryEscape(key)
		n.Records = append(n.Records, r)
	}
	b, _ := json.Marshal(n)
	return string(b)
}

// TestEventVolume delivers 10,000 events for 200 real keys to HandleSQS in
// bursts, as a Lambda event source with a batching window would, while the
// bucket changes between bursts: every burst names keys that just changed
// and many that did not, with duplicates, stale creates and stale deletes.
func TestEventVolume(t *testing.T) {
	start := time.Now()
	e := newEnv(t)
	fx := loadFixtures(t)
	const (
		keys      = 200
		total     = 10000
		bursts    = 10
		batch     = 1000 // messages per HandleSQS call: a batching window's worth
		perMsg    = 1    // records per message, as S3 sends them
		changes   = 30   // objects changed before each burst
		burstSize = total / bursts
	)
	rng := rand.New(rand.NewPCG(1, 10))
	key := func(i int) string { return fmt.Sprintf("vol/%02d/chiste-%03d.mp3", i%10, i) }
	contents := [][]byte{fx.short, fx.notitle, fx.vbr, fx.text, nil}
	for i := range keys {
		e.put(key(i), contents[rng.IntN(len(contents))])
	}
	sent, failed, ids := 0, 0, 0
	for b := range bursts {
		// The true events of this burst's changes, among stale and
		// duplicated ones for random keys, in random order.
		var bodies []string
		for range changes {
			i := rng.IntN(keys)
			if rng.IntN(3) == 0 {
				e.del(key(i))
				bodies = append(bodies, s3Event("ObjectRemoved:Delete", key(i)))
			} else {
				e.put(key(i), contents[rng.IntN(len(contents))])
				bodies = append(bodies, s3Event("ObjectCreated:Put", key(i)))
			}
		}
		for len(bodies) < burstSize/perMsg {
			name := "ObjectCreated:Put"
			if rng.IntN(4) == 0 {
				name = "ObjectRemoved:Delete"
			}
			bodies = append(bodies, s3Event(name, key(rng.IntN(keys))))
		}
		rng.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
		var recs []events.SQSMessage
		for _, body := range bodies {
			ids++
			recs = append(recs, events.SQSMessage{MessageId: fmt.Sprint(ids), Body: body, EventSource: "aws:sqs"})
		}
		for len(recs) > 0 {
			n := min(batch, len(recs))
			resp, err := e.ix.HandleSQS(t.Context(), events.SQSEvent{Records: recs[:n]})
			if err != nil {
				t.Fatalf("burst %d: %v", b, err)
			}
			failed += len(resp.BatchItemFailures)
			sent += n
			recs = recs[n:]
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d messages failed", failed, sent)
	}
	m := e.checkMatches()
	vs := e.rec.versions()
	checkIncreasing(t, "published", vs)
	t.Logf("events %d in %d bursts for %d keys, failed %d, versions published %d (final v%d, %d entries, %d rejected), %v",
		sent*perMsg, bursts, keys, failed, len(vs), m.Version, len(m.Entries), len(m.Rejected), time.Since(start).Round(time.Millisecond))
}
