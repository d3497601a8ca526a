package skill

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		tok  Token
		want string // encoded form, when it matters
	}{
		{"library", Token{Version: 7, Pos: 3, Key: "chistes/el-semaforo.mp3", Nonce: "abc123"}, "jb1|7||3|nabc123|chistes%2Fel-semaforo.mp3"},
		{"folder", Token{Version: 7, Playlist: "Animales", Pos: 0, Key: "Animales/el pato y el ñandú.mp3", Nonce: "abc123"}, "jb1|7|Animales|0|nabc123|Animales%2Fel+pato+y+el+%C3%B1and%C3%BA.mp3"},
		{"retry", Token{Version: 1, Pos: 0, Key: "a.mp3", Retry: true, Nonce: "zzzzzz"}, "jb1|1||0|rzzzzzz|a.mp3"},
		{"pipes and plus", Token{Version: 2, Playlist: "a|b", Pos: 1, Key: "a|b/c+d|e.mp3", Nonce: "n0n0n0"}, "jb1|2|a%7Cb|1|nn0n0n0|a%7Cb%2Fc%2Bd%7Ce.mp3"},
		{"key beginning with #", Token{Version: 2, Playlist: "#humor", Pos: 1, Key: "#humor/uno.mp3", Nonce: "n0n0n0"}, "jb1|2|%23humor|1|nn0n0n0|%23humor%2Funo.mp3"},
		{"percent", Token{Version: 2, Pos: 1, Key: "100%/a%20b.mp3", Nonce: "n0n0n0"}, ""},
		{"big numbers", Token{Version: 1<<63 - 1, Pos: 1<<31 - 1, Key: "k", Nonce: "n0n0n0"}, ""},
		{"empty nonce", Token{Version: 0, Pos: 0, Key: "k"}, "jb1|0||0|n|k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.tok.String()
			if tc.want != "" && s != tc.want {
				t.Errorf("String() = %q; want %q", s, tc.want)
			}
			got, ok := ParseToken(s)
			if !ok {
				t.Fatalf("ParseToken(%q) failed", s)
			}
			if diff := cmp.Diff(tc.tok, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if !got.MatchesKey(tc.tok.Key) || !got.MatchesPlaylist(tc.tok.Playlist) {
				t.Errorf("%+v does not match its own key and playlist", got)
			}
		})
	}
}

func TestTokenLong(t *testing.T) {
	for _, tc := range []struct{ name, playlist, key string }{
		{"long key", "chistes", "chistes/" + strings.Repeat("ñ", 508)},
		{"long key and folder", strings.Repeat("á", 300), strings.Repeat("á", 300) + "/" + strings.Repeat("é", 211)},
		{"longest plain", "", strings.Repeat("a", 1024)},
		{"long folder, short key", strings.Repeat("%", 1000), strings.Repeat("%", 1000) + "/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := Token{Version: 1<<63 - 1, Playlist: tc.playlist, Pos: 1<<62 + 12345, Key: tc.key, Retry: true, Nonce: "abcdef"}
			s := tok.String()
			if len(s) > 1024 {
				t.Fatalf("token of %d characters", len(s))
			}
			got, ok := ParseToken(s)
			if !ok {
				t.Fatalf("ParseToken(%q) failed", s)
			}
			if !got.MatchesKey(tc.key) || !got.MatchesPlaylist(tc.playlist) || got.Version != tok.Version || got.Pos != tok.Pos || !got.Retry {
				t.Errorf("parsed %+v does not stand for %+v", got, tok)
			}
			if got.MatchesKey(tc.key+"x") || got.MatchesPlaylist(tc.playlist+"x") {
				t.Errorf("parsed %+v matches another key or playlist", got)
			}
		})
	}
}

func TestParseTokenRefuses(t *testing.T) {
	for _, s := range []string{
		"", "jb1|", "jb1|7||0|n", "jb1|7||0||a.mp3", "jb1|7||0|x|a.mp3", "jb1|7||0|nabc|", "jb1|-7||0|nabc|a", "jb1|7||-1|nabc|a",
		"jb1|x||0|nabc|a", "jb1|7||y|nabc|a", "jb1|7|%zz|0|nabc|a", "jb1|7||0|nabc|%zz", "jb2|7||0|nabc|a",
		"jb1|7||0|nabc|" + strings.Repeat("a", 1024), "JB1|7||0|nabc|a", "jb1|99999999999999999999||0|nabc|a",
	} {
		if tok, ok := ParseToken(s); ok {
			t.Errorf("ParseToken(%q) = %+v; want refused", s, tok)
		}
	}
}

// FuzzParseToken checks that ParseToken never panics, and that a token it
// accepts encodes to a token of at most 1,024 characters that parses back to
// the same place (the key or playlist possibly hashed when re-escaping made
// them longer).
func FuzzParseToken(f *testing.F) {
	m := testManifest()
	for _, p := range m.Playlists {
		for pos, idx := range p.Order {
			f.Add(Token{Version: m.Version, Playlist: p.Name, Pos: pos, Key: m.Entries[idx].Key, Nonce: newNonce()}.String())
		}
	}
	f.Add(Token{Version: 1, Playlist: strings.Repeat("ñ", 400), Pos: 2, Key: strings.Repeat("é", 512), Retry: true, Nonce: newNonce()}.String())
	f.Add("jb1|7||0|n|#humor")
	f.Add("jb1|+7||00|nabc|a b")
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := ParseToken(s)
		if !ok {
			return
		}
		enc := tok.String()
		if len(enc) > 1024 {
			t.Fatalf("%+v encodes to %d characters", tok, len(enc))
		}
		back, ok := ParseToken(enc)
		if !ok {
			t.Fatalf("ParseToken(%q) failed; it is the encoding of %+v", enc, tok)
		}
		if back.Version != tok.Version || back.Pos != tok.Pos || back.Retry != tok.Retry || back.Nonce != tok.Nonce ||
			!back.MatchesKey(tok.Key) || !back.MatchesPlaylist(tok.Playlist) {
			t.Fatalf("round trip of %q: %+v became %+v", s, tok, back)
		}
		if enc2 := back.String(); enc2 != enc && back == tok {
			t.Fatalf("unstable encoding: %q then %q", enc, enc2)
		}
	})
}

// TestLocateIndex checks the token index against the plain definition: for
// every entry of every playlist, a token from an older manifest that names
// the key, or its hash, or the playlist by its hash, finds the entry's
// position; a hash of nothing finds no position.
func TestLocateIndex(t *testing.T) {
	long := strings.Repeat("x", 1100)
	m := buildManifest(9, append([]string{long + "/a.mp3", long + "/b.mp3", "jokes/" + long + ".mp3", "#raw/c.mp3"}, testKeys...)...)
	h := newTestHandler(t, &memSource{m: m}, Config{})
	r := &request{Request: load(t, "intent.next.en-US.json", nil), h: h}
	for pi := range m.Playlists {
		pl := &m.Playlists[pi]
		for pos, idx := range pl.Order {
			key := m.Entries[idx].Key
			for _, raw := range []string{
				Token{Version: 1, Playlist: pl.Name, Pos: 0, Key: key}.String(),
				rawToken(1, pl.Name, 0, hashKey(key)),
				rawToken(1, hashKey(pl.Name), 0, hashKey(key)),
				rawToken(m.Version, hashKey(pl.Name), pos, hashKey(key)),
			} {
				if len(raw) > maxTokenLen {
					continue // no device holds it: the token would have hashed the field
				}
				c, ok := r.locate(m, raw)
				if !ok || c.pl != pl || c.pos != pos {
					t.Errorf("%.80q: playlist %v at %d, %v; want %.20q at %d", raw, c.pl != nil, c.pos, ok, pl.Name, pos)
				}
			}
		}
		c, ok := r.locate(m, rawToken(m.Version, hashKey(pl.Name), 0, hashKey("not/there.mp3")))
		if !ok || c.pl != pl || c.pos != -1 {
			t.Errorf("hash of no key in %q: %v at %d; want the playlist, before its first entry", pl.Name, ok, c.pos)
		}
	}
	if _, ok := r.locate(m, rawToken(m.Version, hashKey("no such folder"), 0, testKeys[0])); ok {
		t.Error("hash of no playlist located")
	}
}

// rawToken encodes a token field by field, leaving hashed fields ("#…") as
// they are: Token.String would hash a field again when the other is long.
func rawToken(v int64, playlist string, pos int, key string) string {
	esc := func(s string) string {
		if strings.HasPrefix(s, "#") {
			return s
		}
		return url.QueryEscape(s)
	}
	return fmt.Sprintf("jb1|%d|%s|%d|nraw000|%s", v, esc(playlist), pos, esc(key))
}
