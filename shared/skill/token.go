package skill

import (
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
)

// Token is what a stream token carries: where a device is in a playlist.
// Alexa hands it back in context.AudioPlayer and in playback events, so the
// skill needs no database to continue a device's playlist without repeats.
// It never carries the URL.
//
//	jb1|<version>|<playlist>|<position>|<retry><nonce>|<key>
//
// with playlist and key query-escaped. A key (then a playlist name) that would
// make the token longer than Alexa's 1,024 characters is replaced by "#" and
// a hash of it.
type Token struct {
	Version  int64  // manifest version the position refers to
	Playlist string // playlist name; "" is the library
	Pos      int    // position in the playlist's order
	Key      string // object key, or "#" + hash for very long keys
	Retry    bool   // this play replaces a failed one
	Nonce    string // makes every token unique, as Alexa requires
}

const (
	tokenPrefix  = "jb1|"
	maxTokenLen  = 1024
	nonceLen     = 6
	nonceLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// String encodes the token.
func (t Token) String() string {
	pl, key := url.QueryEscape(t.Playlist), url.QueryEscape(t.Key)
	// prefix, two numbers of at most 20 characters, four separators, the
	// retry flag and the nonce.
	fixed := len(tokenPrefix) + 20 + 20 + 4 + 1 + len(t.Nonce)
	if fixed+len(pl)+len(key) > maxTokenLen {
		key = hashKey(t.Key)
	}
	if fixed+len(pl)+len(key) > maxTokenLen {
		pl = hashKey(t.Playlist)
	}
	var b strings.Builder
	b.Grow(fixed + len(pl) + len(key))
	b.WriteString(tokenPrefix)
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], t.Version, 10))
	b.WriteByte('|')
	b.WriteString(pl)
	b.WriteByte('|')
	b.Write(strconv.AppendInt(num[:0], int64(t.Pos), 10))
	b.WriteByte('|')
	if t.Retry {
		b.WriteByte('r')
	} else {
		b.WriteByte('n')
	}
	b.WriteString(t.Nonce)
	b.WriteByte('|')
	b.WriteString(key)
	return b.String()
}

// hashKey stands for a key too long to fit in a token: "#" and keyHash in
// unpadded URL-safe base64.
func hashKey(key string) string {
	h := keyHash(key)
	return "#" + base64.RawURLEncoding.EncodeToString(h[:])
}

// keyHash is the first 16 bytes of the SHA-256 of key.
func keyHash(key string) (h [16]byte) {
	sum := sha256.Sum256([]byte(key))
	copy(h[:], sum[:16])
	return h
}

// ParseToken decodes a token. ok is false for anything that is not one of
// ours; such tokens are ignored, never trusted.
func ParseToken(s string) (t Token, ok bool) {
	if len(s) > maxTokenLen || !strings.HasPrefix(s, tokenPrefix) {
		return Token{}, false
	}
	f := strings.SplitN(s[len(tokenPrefix):], "|", 5)
	if len(f) != 5 || len(f[3]) < 1 {
		return Token{}, false
	}
	v, err1 := strconv.ParseInt(f[0], 10, 64)
	pos, err2 := strconv.Atoi(f[2])
	pl, err3 := unescapeField(f[1])
	key, err4 := unescapeField(f[4])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || v < 0 || pos < 0 || key == "" || (f[3][0] != 'r' && f[3][0] != 'n') {
		return Token{}, false
	}
	return Token{Version: v, Playlist: pl, Pos: pos, Key: key, Retry: f[3][0] == 'r', Nonce: f[3][1:]}, true
}

// unescapeField decodes a field, leaving a hashed one ("#…") as it is.
func unescapeField(s string) (string, error) {
	if strings.HasPrefix(s, "#") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// MatchesKey reports whether the token names key.
func (t Token) MatchesKey(key string) bool { return matches(t.Key, key) }

// MatchesPlaylist reports whether the token names playlist.
func (t Token) MatchesPlaylist(name string) bool { return matches(t.Playlist, name) }

// matches compares a token field with a name. A field that begins with "#"
// is a hash or a name that itself begins with "#" ("#humor/chiste.mp3"),
// so both are tried.
func matches(field, value string) bool {
	if field == value {
		return true
	}
	h, ok := hashOf(field)
	return ok && keyHash(value) == h
}

func newNonce() string {
	var b [nonceLen]byte
	r := rand.Uint64()
	for i := range b {
		b[i] = nonceLetters[r%uint64(len(nonceLetters))]
		r /= uint64(len(nonceLetters))
	}
	return string(b[:])
}
