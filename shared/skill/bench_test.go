package skill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/store"
)

// benchHandler is a warm handler on a 10,000-entry manifest that signs with
// the real presigner and static credentials, as on Lambda after the first
// request. Logs are discarded unless log is set.
func benchHandler(b *testing.B, log *slog.Logger) (*Handler, *memSource) {
	b.Helper()
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("carpeta-%02d/chiste número %05d.mp3", i%40, i)
	}
	src := &memSource{m: buildManifest(12, keys...)}
	signer, err := store.NewPresigner(s3.NewFromConfig(aws.Config{Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")}), "jokebox-audio", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(src, signer, Config{ManifestTTL: time.Hour}, log)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.lib.get(context.Background()); err != nil { // warm
		b.Fatal(err)
	}
	return h, src
}

// benchRequest is a sample whose device token points into the bench
// manifest.
func benchRequest(b *testing.B, h *Handler, file string) *alexa.Request {
	b.Helper()
	m, _ := h.lib.get(context.Background())
	req := load(b, file, nil)
	req.Context.AudioPlayer = &alexa.AudioPlayerState{
		Token:                Token{Version: m.Version, Pos: 17, Key: m.Entries[m.Library().Order[17]].Key, Nonce: "bench0"}.String(),
		OffsetInMilliseconds: 4200, PlayerActivity: alexa.Paused,
	}
	return req
}

func benchHandle(b *testing.B, file string, log *slog.Logger) {
	h, src := benchHandler(b, log)
	req := benchRequest(b, h, file)
	ctx := context.Background()
	before := src.calls()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(resp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(src.calls()-before)/float64(b.N), "aws-calls/op")
}

// BenchmarkPlayNamed asks for one of the bench manifest's 40 folders by a
// near name, with no entity resolution: the slowest way to find a
// playlist (normalize, then a forgiving match against every folder).
func BenchmarkPlayNamed(b *testing.B) {
	h, _ := benchHandler(b, nil)
	req := benchRequest(b, h, "intent.play.animales.es-ES.json")
	req.Request.Intent.Slots[PlaylistSlot] = alexa.Slot{Name: PlaylistSlot, Value: "la carpeta 17s"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, tok := played(b, resp); tok.Playlist != "carpeta-17" {
			b.Fatalf("played from %q", tok.Playlist)
		}
	}
}

// BenchmarkLaunch is the warm LaunchRequest: Handle and JSON encoding.
func BenchmarkLaunch(b *testing.B) { benchHandle(b, "launch.es-ES.json", nil) }

// BenchmarkNext is the warm AMAZON.NextIntent.
func BenchmarkNext(b *testing.B) { benchHandle(b, "intent.next.en-US.json", nil) }

// BenchmarkResume is the warm PlaybackController.PlayCommandIssued.
func BenchmarkResume(b *testing.B) { benchHandle(b, "playbackcontroller.play.json", nil) }

// BenchmarkLaunchLogged is BenchmarkLaunch with Lambda's JSON logs at Info.
func BenchmarkLaunchLogged(b *testing.B) {
	benchHandle(b, "launch.es-ES.json", slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

func benchInvoke(b *testing.B, file string) {
	h, src := benchHandler(b, nil)
	raw, err := json.Marshal(benchRequest(b, h, file))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	before := src.calls()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Invoke(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(src.calls()-before)/float64(b.N), "aws-calls/op")
}

// BenchmarkInvokeLaunch is the raw path: bytes in, decode, Handle, bytes out.
func BenchmarkInvokeLaunch(b *testing.B) { benchInvoke(b, "launch.es-ES.json") }

// BenchmarkInvokeNext is the raw path of AMAZON.NextIntent.
func BenchmarkInvokeNext(b *testing.B) { benchInvoke(b, "intent.next.en-US.json") }

// BenchmarkInvokeResume is the raw path of PlaybackController.PlayCommandIssued.
func BenchmarkInvokeResume(b *testing.B) { benchInvoke(b, "playbackcontroller.play.json") }

var benchToken = Token{Version: 123456, Playlist: "Animales", Pos: 4321, Key: "Animales/el pato y el ñandú.mp3", Nonce: "abcdef"}

func BenchmarkTokenString(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = benchToken.String()
	}
}

func BenchmarkParseToken(b *testing.B) {
	s := benchToken.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ParseToken(s); !ok {
			b.Fatal("refused")
		}
	}
}

// bigManifest is a manifest of n entries in 1,000 folders, built directly
// (Apply would take longer than the benchmark), with shuffled orders.
func bigManifest(n int) *manifest.Manifest {
	m := manifest.New()
	m.Version = 5
	m.Entries = make([]manifest.Entry, n)
	const folders = 1000
	for i := range m.Entries {
		m.Entries[i] = manifest.Entry{Key: fmt.Sprintf("carpeta-%03d/chiste número %07d.mp3", i/((n+folders-1)/folders), i), Size: 1000, Duration: 9 * time.Second}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	lib := m.Library()
	lib.Order = make([]uint32, n)
	for i, p := range rng.Perm(n) {
		lib.Order[i] = uint32(p)
	}
	for i := 0; i < n; {
		name := manifest.Folder(m.Entries[i].Key)
		pl := manifest.Playlist{Name: name}
		for ; i < n && manifest.Folder(m.Entries[i].Key) == name; i++ {
			pl.Order = append(pl.Order, uint32(i))
		}
		rng.Shuffle(len(pl.Order), func(a, b int) { pl.Order[a], pl.Order[b] = pl.Order[b], pl.Order[a] })
		m.Playlists = append(m.Playlists, pl)
	}
	return m
}

// BenchmarkNextToken1M answers NextIntent on a 1,000,000-entry manifest for
// device tokens of each kind (issue 14: a forged "#" key used to hash every
// entry of the playlist). The signer is the cheap test one, so the figure is
// the token's cost. Compare each hashed case with the normal one above it:
//
//	go test -run '^$' -bench 'NextToken1M' -benchtime 2000x ./shared/skill/
func BenchmarkNextToken1M(b *testing.B) {
	m := bigManifest(1_000_000)
	h, err := New(&memSource{m: m}, signFunc(fakeSign), Config{ManifestTTL: time.Hour}, nil)
	if err != nil {
		b.Fatal(err)
	}
	h.nonce = func() string { return "bench0" }
	lib := m.Library()
	key := m.Entries[lib.Order[17]].Key
	for _, tc := range []struct{ name, token string }{
		// the usual request: same version, same position
		{"normal", Token{Version: m.Version, Pos: 17, Key: key}.String()},
		// a manifest later: the key is looked up again
		{"normal-stale", Token{Version: m.Version - 1, Pos: 3, Key: key}.String()},
		// a long key's hash, a manifest later
		{"hashed-stale", Token{Version: m.Version - 1, Pos: 3, Key: hashKey(key)}.String()},
		// a forged hash that matches no entry
		{"hashed-forged", Token{Version: m.Version, Pos: 17, Key: "#AAAAAAAAAAAAAAAAAAAAAA"}.String()},
		// a playlist that does not exist: the device starts afresh
		{"normal-playlist-unknown", Token{Version: m.Version, Playlist: "nope", Pos: 17, Key: key}.String()},
		// the same with a forged hashed playlist name
		{"hashed-playlist-unknown", Token{Version: m.Version, Playlist: "#AAAAAAAAAAAAAAAAAAAAAA", Pos: 17, Key: key}.String()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := load(b, "intent.next.en-US.json", withToken(tc.token, 0))
			ctx := context.Background()
			if _, err := h.Handle(ctx, req); err != nil { // warm: the manifest and its index
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := h.Handle(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
