package skill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

// Place is where a listener was: what a stream token carries, and when the
// play started. It lets a device that lost jokebox's token (another skill
// played since, or it is another device of the account) continue where the
// listener left off.
type Place struct {
	Version  int64     // manifest version Pos refers to
	Playlist string    // playlist name; "" is the library
	Pos      int       // position in the playlist's order
	Key      string    // the entry's object key (or "#" + hash, as in a token)
	At       time.Time // when the play started: the PlaybackStarted timestamp
}

// Listeners remembers each listener's place. *listeners.Table (DynamoDB)
// and *listeners.Memory are two. IDs are ListenerID's hashes, never the raw
// Alexa IDs.
//
// Put keeps the later play: it does not replace a place whose At is after
// p.At. Get reports ok false when nothing (or nothing readable) is kept.
type Listeners interface {
	Get(ctx context.Context, id string) (Place, bool, error)
	Put(ctx context.Context, id string, p Place) error
	Delete(ctx context.Context, id string) error
}

// Timeouts of the listener calls: a read is on the user's path and must be
// short; a write or delete answers an event no one waits on.
const (
	DefaultListenerReadTimeout  = 150 * time.Millisecond
	DefaultListenerWriteTimeout = 2 * time.Second
)

// ListenerID is the key a listener is kept under: the hex SHA-256 of the
// Alexa ID (alexa.Request.Listener), so the raw ID is never stored.
// "" stays "" (a request without a user).
func ListenerID(alexaID string) string {
	if alexaID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(alexaID))
	return hex.EncodeToString(sum[:])
}

// startsPlayback reports whether a request is a customer's that may read
// the listener's place: a launch or an intent. Playback events and
// PlaybackController commands go to the skill that played last, with its
// token.
func startsPlayback(t alexa.RequestType) bool {
	return t == alexa.LaunchRequest || t == alexa.IntentRequest
}

// recall reads the listener's place, once per request, when the device
// holds no token of ours. Any failure is logged and is "nothing kept": the
// request then plays as it would without listeners.
func (r *request) recall() (Token, bool) {
	if r.recalled {
		return r.place, r.placeOK
	}
	r.recalled = true
	ls, id := r.h.cfg.Listeners, ListenerID(r.Listener())
	if ls == nil || id == "" || !startsPlayback(r.Request.Request.Type) {
		return Token{}, false
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.h.cfg.ListenerReadTimeout)
	defer cancel()
	start := time.Now()
	p, ok, err := ls.Get(ctx, id)
	if err != nil {
		r.h.log.WarnContext(r.ctx, "listener read failed: playing without it", "err", err, "ms", time.Since(start).Milliseconds())
		return Token{}, false
	}
	if !ok {
		return Token{}, false
	}
	r.place, r.placeOK = Token{Version: p.Version, Playlist: p.Playlist, Pos: p.Pos, Key: p.Key}, true
	return r.place, true
}

// remember keeps the place of a play that started (PlaybackStarted), off
// the speech path. A failure is logged; the event is answered anyway.
func (r *request) remember() {
	ls, id := r.h.cfg.Listeners, ListenerID(r.Listener())
	t, ok := ParseToken(r.Request.Request.Token)
	if ls == nil || id == "" || !ok {
		return
	}
	at, err := r.Time()
	if err != nil {
		at = r.h.lib.now()
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.h.cfg.ListenerWriteTimeout)
	defer cancel()
	if err := ls.Put(ctx, id, Place{Version: t.Version, Playlist: t.Playlist, Pos: t.Pos, Key: t.Key, At: at}); err != nil {
		r.h.log.WarnContext(r.ctx, "listener write failed", "err", err)
	}
}

// forget deletes the listener's place: the user disabled the skill. The
// answer is empty, as for every skill event.
func (r *request) forget() *alexa.Response {
	ls, id := r.h.cfg.Listeners, ListenerID(r.Listener())
	if ls == nil || id == "" {
		return empty()
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.h.cfg.ListenerWriteTimeout)
	defer cancel()
	if err := ls.Delete(ctx, id); err != nil {
		r.h.log.ErrorContext(r.ctx, "listener delete failed (the TTL removes it)", "err", err)
		return empty()
	}
	r.note(slog.Bool("listenerForgotten", true))
	return empty()
}
