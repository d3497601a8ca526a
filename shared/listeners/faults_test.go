package listeners_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/skill"
)

// readTimeout is the faults' listener read timeout: the default.
const readTimeout = skill.DefaultListenerReadTimeout

// TestFaults: with DynamoDB down, slower than the read timeout, or
// throttling, a launch without a token is still a valid play (a welcome
// and a Play directive), answered within the read timeout plus the normal
// answer time, and PlaybackStarted is still answered.
func TestFaults(t *testing.T) {
	t.Parallel()
	s := newStack(t, true, readTimeout)
	d := &device{id: "amzn1.ask.device.KITCHEN"}
	// The normal answer time: the slowest of a few healthy launches.
	var normal time.Duration
	for range 5 {
		d.anotherSkillPlayed()
		start := time.Now()
		s.launch(t, d)
		normal = max(normal, time.Since(start))
	}
	slack := 500 * time.Millisecond // scheduling on a shared machine
	for _, tc := range []struct {
		name string
		mode faultproxy.Mode
	}{
		{"down", faultproxy.Down},
		{"slow", faultproxy.Slow},
		{"throttling", faultproxy.Throttle},
		{"500", faultproxy.Error500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.proxy.SetDelay(3 * time.Second)
			s.proxy.SetFor(tc.mode, faultproxy.IsDynamoDB)
			defer s.proxy.Set(faultproxy.Pass)
			for range 3 {
				d.anotherSkillPlayed()
				before := s.proxy.Faulted()
				start := time.Now()
				resp := s.invoke(t, s.request(d, alexa.LaunchRequest, ""))
				took := time.Since(start)
				if _, ok := skill.ParseToken(playToken(resp)); !ok || resp.Response.OutputSpeech == nil {
					t.Fatalf("launch answered %+v; want a welcome and a play", resp.Response)
				}
				if s.proxy.Faulted() == before {
					t.Fatal("the launch did not reach the faulty DynamoDB")
				}
				if limit := readTimeout + normal + slack; took > limit {
					t.Errorf("launch took %v; want at most %v (read timeout %v + normal %v + slack)", took, limit, readTimeout, normal)
				}
			}
		})
	}
}

// TestForeignItemOverwritten: the account's item is another program's;
// the launch plays as for a new listener, and the play overwrites it.
func TestForeignItemOverwritten(t *testing.T) {
	t.Parallel()
	s := newStack(t, true, time.Second)
	id := skill.ListenerID(account)
	_, err := s.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
		listeners.AttrListener: &types.AttributeValueMemberS{Value: id},
		"attributes":           &types.AttributeValueMemberS{Value: `{"playbackInfo":{"index":3,"offsetInMilliseconds":0}}`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := &device{id: "amzn1.ask.device.KITCHEN"}
	key, launch, started := s.launch(t, d)
	if launch["GetItem"] != 1 || started["PutItem"] != 1 {
		t.Fatalf("calls %v then %v; want one GetItem, one PutItem", launch, started)
	}
	d.anotherSkillPlayed()
	next, _, _ := s.launch(t, d)
	if m := s.src.get(); !successor(m, key, next) {
		t.Errorf("after the foreign item was overwritten, %q followed %q; want its successor", next, key)
	}
}

// TestTwoDevicesAtOnce: two devices of the account start plays at the same
// moment, many times over; the item always holds the later play.
func TestTwoDevicesAtOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, true, time.Second)
	kitchen, bedroom := &device{id: "amzn1.ask.device.KITCHEN"}, &device{id: "amzn1.ask.device.BEDROOM"}
	m := s.src.get()
	lib := m.Library()
	for round := range 20 {
		// Two plays, one second apart, sent at once in either order.
		early, late := s.request(kitchen, alexa.PlaybackStarted, ""), s.request(bedroom, alexa.PlaybackStarted, "")
		for i, r := range []*alexa.Request{early, late} {
			pos := (2*round + i) % len(lib.Order)
			r.Request.Token = skill.Token{Version: m.Version, Pos: pos, Key: m.Entries[lib.Order[pos]].Key, Nonce: "conc01"}.String()
		}
		var wg sync.WaitGroup
		for _, r := range []*alexa.Request{late, early} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.invoke(t, r)
			}()
		}
		wg.Wait()
		bedroom.anotherSkillPlayed()
		tok, _ := skill.ParseToken(late.Request.Token)
		resp := s.invoke(t, s.request(bedroom, alexa.LaunchRequest, ""))
		got, _ := skill.ParseToken(playToken(resp))
		if want := m.Entries[lib.Order[(tok.Pos+1)%len(lib.Order)]].Key; got.Key != want {
			t.Fatalf("round %d: launch played %q; want %q, after the later play %q", round, got.Key, want, tok.Key)
		}
	}
}
