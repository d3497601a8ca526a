package listeners_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/skill"
)

// The skill with its listeners in moto's DynamoDB, through the fault proxy,
// which counts every call and injects the faults.

const (
	appID   = "amzn1.ask.skill.listeners-test"
	account = "amzn1.ask.account.FAMILYACCOUNT"
	entries = 40
)

// memSource is a ManifestSource in memory; set replaces the manifest, as a
// reshuffle does.
type memSource struct {
	mu sync.Mutex
	m  *manifest.Manifest
}

func (s *memSource) Pointer(context.Context) (manifest.Pointer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return manifest.Pointer{Version: s.m.Version, Key: manifest.ObjectKey(s.m.Version)}, nil
}

func (s *memSource) Fetch(_ context.Context, p manifest.Pointer) (*manifest.Manifest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Version != s.m.Version {
		return nil, fmt.Errorf("no version %d", p.Version)
	}
	return s.m, nil
}

func (s *memSource) set(m *manifest.Manifest) {
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}

func (s *memSource) get() *manifest.Manifest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m
}

type signFunc func(ctx context.Context, key string) (string, error)

func (f signFunc) Sign(ctx context.Context, key string) (string, error) { return f(ctx, key) }

func testManifest(v int64, seed uint64) *manifest.Manifest {
	m := manifest.New()
	var changes []manifest.Change
	for i := range entries {
		changes = append(changes, manifest.Upsert(manifest.Entry{Key: fmt.Sprintf("chistes/%02d.mp3", i), Size: 1000, ETag: fmt.Sprint(i), Duration: 5 * time.Second}))
	}
	m.Apply(changes, rand.New(rand.NewPCG(1, 2)))
	m.Shuffle(seed)
	m.Version = v
	return m
}

// stack is a skill whose listeners (when table is true) are in moto.
type stack struct {
	h     *skill.Handler
	src   *memSource
	proxy *faultproxy.Proxy
	db    *dynamodb.Client // straight to moto, not counted
	table string
	clock time.Time // request timestamps: one second per request
	seq   int
}

func newStack(t testing.TB, table bool, readTimeout time.Duration) *stack {
	t.Helper()
	endpoint := motoserver.Start(t)
	proxy, err := faultproxy.Start(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	s := &stack{src: &memSource{m: testManifest(1, 42)}, proxy: proxy, db: motoserver.DynamoDB(motoserver.Config(endpoint)),
		clock: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}
	// ManifestTTL 0: every request checks the (in-memory) pointer, so a
	// reshuffle is seen at once.
	cfg := skill.Config{SkillID: appID, ListenerReadTimeout: readTimeout}
	if table {
		s.table = motoserver.ListenersTable(t, s.db, "jokebox-test-listeners")
		cfg.Listeners = listeners.NewTable(motoserver.DynamoDB(motoserver.Config(proxy.URL)), s.table)
	}
	sign := signFunc(func(_ context.Context, key string) (string, error) { return "https://audio.invalid/" + key, nil })
	if s.h, err = skill.New(s.src, sign, cfg, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// device is one Echo of the account: what context.AudioPlayer says.
type device struct {
	id     string
	player *alexa.AudioPlayerState
}

// anotherSkillPlayed is what a device does after music from another skill:
// it no longer sends jokebox's token.
func (d *device) anotherSkillPlayed() { d.player = nil }

func (d *device) holdsOurToken() bool {
	if d.player == nil {
		return false
	}
	_, ok := skill.ParseToken(d.player.Token)
	return ok
}

func (s *stack) request(d *device, typ alexa.RequestType, token string) *alexa.Request {
	s.seq++
	s.clock = s.clock.Add(time.Second)
	req := &alexa.Request{Version: "1.0", Request: alexa.Body{
		Type: typ, RequestID: fmt.Sprintf("amzn1.echo-api.request.%d", s.seq), Timestamp: s.clock.Format(time.RFC3339), Locale: "es-ES", Token: token,
	}}
	req.Context.System = alexa.System{Application: alexa.Application{ApplicationID: appID}, User: &alexa.User{UserID: account},
		Device: alexa.Device{DeviceID: d.id, SupportedInterfaces: alexa.SupportedInterfaces{AudioPlayer: &struct{}{}}}}
	req.Context.AudioPlayer = d.player
	if !typ.IsPlayback() {
		req.Session = &alexa.Session{New: true, SessionID: fmt.Sprintf("amzn1.echo-api.session.%d", s.seq), Application: alexa.Application{ApplicationID: appID}}
	}
	return req
}

func (s *stack) invoke(t testing.TB, req *alexa.Request) *alexa.Response {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("%s: %v", req.Request.Type, err)
	}
	var resp alexa.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

// playToken is the token of the answer's Play directive, or "".
func playToken(resp *alexa.Response) string {
	for _, d := range resp.Response.Directives {
		if d.Type == alexa.PlayDirective && d.AudioItem != nil {
			return d.AudioItem.Stream.Token
		}
	}
	return ""
}

// launch opens the skill on d, and the device starts what it was given
// (PlaybackStarted). It returns the key played and the calls each step made.
func (s *stack) launch(t testing.TB, d *device) (key string, launch, started faultproxy.Counts) {
	t.Helper()
	before := s.proxy.Calls()
	resp := s.invoke(t, s.request(d, alexa.LaunchRequest, ""))
	launch = s.proxy.Calls().Sub(before)
	token := playToken(resp)
	tok, ok := skill.ParseToken(token)
	if !ok || resp.Response.OutputSpeech == nil || resp.Response.ShouldEndSession == nil || !*resp.Response.ShouldEndSession {
		t.Fatalf("launch answered %+v; want a spoken welcome and a play", resp.Response)
	}
	d.player = &alexa.AudioPlayerState{Token: token, PlayerActivity: alexa.Playing}
	before = s.proxy.Calls()
	if ev := s.invoke(t, s.request(d, alexa.PlaybackStarted, token)); len(ev.Response.Directives) != 0 || ev.Response.OutputSpeech != nil {
		t.Fatalf("PlaybackStarted answered %+v; want nothing", ev.Response)
	}
	started = s.proxy.Calls().Sub(before)
	d.player = &alexa.AudioPlayerState{Token: token, OffsetInMilliseconds: 5000, PlayerActivity: alexa.Finished}
	return tok.Key, launch, started
}

// familyRun is 1,000 launches on three devices of one account. Between
// most launches another skill played on the device; a device keeps
// jokebox's token only when it was the account's last device to play
// jokebox and nothing else played since. At launch 500 the manifest is
// reshuffled. It returns the keys heard, in order, with the manifest each
// was heard from, and the calls of each kind of step.
type familyRun struct {
	keys                      []string
	versions                  []*manifest.Manifest
	withToken, withoutToken   int
	tokenCalls, launchCalls   faultproxy.Counts
	startedCalls              faultproxy.Counts
	reshuffledAt, plays, maxW int
}

func runFamily(t *testing.T, s *stack) familyRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	devices := []*device{{id: "amzn1.ask.device.KITCHEN"}, {id: "amzn1.ask.device.LIVINGROOM"}, {id: "amzn1.ask.device.BEDROOM"}}
	var last *device
	r := familyRun{tokenCalls: faultproxy.Counts{}, launchCalls: faultproxy.Counts{}, startedCalls: faultproxy.Counts{}, reshuffledAt: 500}
	add := func(dst, c faultproxy.Counts) {
		for k, v := range c {
			dst[k] += v
		}
	}
	for i := range 1000 {
		if i == r.reshuffledAt {
			s.src.set(testManifest(2, 4242))
		}
		d := devices[rng.IntN(len(devices))]
		if d != last || rng.Float64() < 0.8 {
			d.anotherSkillPlayed()
		}
		ours := d.holdsOurToken()
		m := s.src.get()
		key, launch, started := s.launch(t, d)
		last = d
		r.keys, r.versions = append(r.keys, key), append(r.versions, m)
		if ours {
			r.withToken++
			add(r.tokenCalls, launch)
		} else {
			r.withoutToken++
			add(r.launchCalls, launch)
			want := int64(0)
			if s.table != "" {
				want = 1
			}
			if launch["GetItem"] != want || launch.Total() != want {
				t.Fatalf("launch %d without a token made %v; want exactly one GetItem (with the table)", i, launch)
			}
		}
		if ours && launch.Total() != 0 {
			t.Fatalf("launch %d with our token made %v; want no call", i, launch)
		}
		add(r.startedCalls, started)
		r.maxW = max(r.maxW, int(started["PutItem"]))
		r.plays++
	}
	return r
}

// successor reports whether key b follows key a in m's library order.
func successor(m *manifest.Manifest, a, b string) bool {
	lib := m.Library()
	ia, ok := m.Lookup(a)
	if !ok {
		return false
	}
	pa, _ := lib.Position(ia)
	return m.Entries[lib.Order[(pa+1)%len(lib.Order)]].Key == b
}

// TestFamilyNoRepeats: with the table, every entry is heard once before any
// repeats, across the three devices, and after the reshuffle the listener
// goes on from the last key's place in the new order; without it, the
// same run repeats. Calls: none for a launch with our token, exactly one
// GetItem for one without, at most one PutItem per play.
func TestFamilyNoRepeats(t *testing.T) {
	t.Parallel()
	for _, withTable := range []bool{true, false} {
		t.Run(fmt.Sprintf("table=%v", withTable), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, withTable, time.Second) // generous: the order is under test here, not the timeout
			r := runFamily(t, s)
			distinct := map[string]bool{}
			for _, k := range r.keys[:entries] {
				distinct[k] = true
			}
			broken := 0 // plays that do not follow the previous one in its manifest's order
			for i := 1; i < len(r.keys); i++ {
				if !successor(r.versions[i], r.keys[i-1], r.keys[i]) {
					if broken < 3 {
						t.Logf("play %d: %s after %s (v%d)", i, r.keys[i], r.keys[i-1], r.versions[i].Version)
					}
					broken++
				}
			}
			t.Logf("table=%v: %d launches (%d with our token, %d without); %d distinct of the first %d plays; %d plays out of order",
				withTable, r.plays, r.withToken, r.withoutToken, len(distinct), entries, broken)
			t.Logf("calls: with our token %v; without %v; PlaybackStarted %v (at most %d per play)", r.tokenCalls, r.launchCalls, r.startedCalls, r.maxW)
			if r.withToken == 0 || r.withoutToken < 500 {
				t.Fatalf("the run had %d launches with a token, %d without; want both, most without", r.withToken, r.withoutToken)
			}
			if !withTable {
				if len(distinct) == entries || broken == 0 {
					t.Errorf("without the table: %d distinct of the first %d and %d plays out of order; want repeats, as before listeners", len(distinct), entries, broken)
				}
				if r.launchCalls.Total()+r.startedCalls.Total()+r.tokenCalls.Total() != 0 {
					t.Errorf("without the table the skill called %v %v %v", r.tokenCalls, r.launchCalls, r.startedCalls)
				}
				return
			}
			if len(distinct) != entries || broken != 0 {
				t.Errorf("%d distinct of the first %d plays, %d plays out of order; want every entry once before a repeat, in order", len(distinct), entries, broken)
			}
			for c := 0; (c+1)*entries <= r.reshuffledAt; c++ {
				cycle := map[string]bool{}
				for _, k := range r.keys[c*entries : (c+1)*entries] {
					cycle[k] = true
				}
				if len(cycle) != entries {
					t.Errorf("cycle %d: %d distinct of %d", c, len(cycle), entries)
				}
			}
			if r.tokenCalls.Total() != 0 || r.launchCalls["GetItem"] != int64(r.withoutToken) || r.launchCalls.Total() != int64(r.withoutToken) {
				t.Errorf("launch calls with token %v, without %v; want none, and %d GetItem", r.tokenCalls, r.launchCalls, r.withoutToken)
			}
			if r.maxW > 1 || r.startedCalls.Total() != r.startedCalls["PutItem"] || r.startedCalls["PutItem"] > int64(r.plays) {
				t.Errorf("PlaybackStarted calls %v over %d plays; want at most one PutItem per play", r.startedCalls, r.plays)
			}

			// The user disables the skill: the item is gone.
			id := skill.ListenerID(account)
			if !s.item(t, id) {
				t.Fatal("no item for the account after the run")
			}
			resp := s.invoke(t, s.request(&device{id: ""}, alexa.SkillDisabled, ""))
			if resp.Response.OutputSpeech != nil || len(resp.Response.Directives) != 0 || resp.Response.ShouldEndSession != nil {
				t.Errorf("SkillDisabled answered %+v; want an empty response", resp.Response)
			}
			if s.item(t, id) {
				t.Error("the item is still in the table after SkillDisabled")
			}
		})
	}
}

// item reports whether the table holds an item for id, read from moto
// directly.
func (s *stack) item(t testing.TB, id string) bool {
	t.Helper()
	out, err := s.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table),
		Key: map[string]types.AttributeValue{listeners.AttrListener: &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		t.Fatal(err)
	}
	if raw := fmt.Sprint(out.Item); strings.Contains(raw, account) {
		t.Errorf("the item holds the raw userId: %s", raw)
	}
	return out.Item != nil
}
