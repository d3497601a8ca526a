package skill

import (
	"context"
	"log/slog"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
	"github.com/jokebox/jokebox/shared/manifest"
)

// request is one request being answered.
type request struct {
	*alexa.Request
	ctx context.Context
	h   *Handler
	say *Phrases

	// The listener's remembered place, read at most once (recall), and
	// whether the current cursor came from it rather than a token.
	recalled, placeOK, fromPlace bool
	place                        Token

	// notes are what the answer's log line says besides the request's ID
	// and type (see note); buf holds them without an allocation.
	notes []slog.Attr
	buf   [10]slog.Attr
}

// note adds attributes to the request's one log line.
func (r *request) note(a ...slog.Attr) {
	if r.notes == nil {
		r.notes = r.buf[:0]
	}
	r.notes = append(r.notes, a...)
}

// noteEvent notes an AudioPlayer event's token and offset.
func (r *request) noteEvent() {
	r.note(slog.String("token", r.Request.Request.Token), slog.Int64("offsetMs", r.Request.Request.OffsetInMilliseconds))
}

// attrs is the request's log line: its ID, type and intent, then the notes.
func (r *request) attrs() []slog.Attr {
	body := r.Request.Request
	head := []slog.Attr{slog.String("requestId", body.RequestID), slog.String("type", string(body.Type))}
	if body.Intent != nil {
		head = append(head, slog.String("intent", body.Intent.Name))
	}
	return append(head, r.notes...)
}

// cursor is a place in a playlist of a manifest. pos -1 is "before the
// first entry".
type cursor struct {
	m   *manifest.Manifest
	pl  *manifest.Playlist
	pos int
}

func (c cursor) entry() *manifest.Entry { return &c.m.Entries[c.pl.Order[c.pos]] }

// moved returns the cursor step entries further, wrapping around.
func (c cursor) moved(step int) cursor {
	n := len(c.pl.Order)
	c.pos = ((c.pos+step)%n + n) % n
	return c
}

// manifest returns the current manifest, or a spoken answer when there is
// nothing to play.
func (r *request) manifest() (*manifest.Manifest, *alexa.Response) {
	m, err := r.h.lib.get(r.ctx)
	switch {
	case nothingPublished(err) || (err == nil && len(m.Entries) == 0):
		return nil, r.spoken(r.say.Empty)
	case err != nil:
		r.h.log.ErrorContext(r.ctx, "no manifest to serve", "err", err)
		return nil, r.spoken(r.say.Trouble)
	}
	if !r.hasPlayer() {
		return nil, r.spoken(r.say.NoPlayer)
	}
	return m, nil
}

// hasPlayer reports whether the device declares the AudioPlayer interface.
// A device without it gets no AudioPlayer directive on any path: playing
// paths say so (manifest), stop, cancel and pause end quietly (directives).
func (r *request) hasPlayer() bool {
	return r.Context.System.Device.SupportedInterfaces.AudioPlayer != nil
}

// spoken is a final spoken answer, or nothing for playback requests, which
// must not speak.
func (r *request) spoken(text string) *alexa.Response {
	if r.Request.Request.Type.IsPlayback() {
		return empty()
	}
	return speak(text)
}

// locate finds where a token points in m. ok is false when the token is not
// ours or its playlist is gone. When the manifest changed since the token
// was made, the token's key is looked up again; if it is gone the cursor is
// before the first entry. Every lookup is O(1) or O(log n), whatever the
// token holds (tokenIndex).
func (r *request) locate(m *manifest.Manifest, raw string) (c cursor, ok bool) {
	t, ok := ParseToken(raw)
	if !ok {
		return cursor{}, false
	}
	return r.locateToken(m, t)
}

// locateToken is locate for a parsed token (or a remembered place).
func (r *request) locateToken(m *manifest.Manifest, t Token) (c cursor, ok bool) {
	x := r.h.index.of(m)
	pl, ok := x.playlist(t.Playlist)
	if !ok || len(pl.Order) == 0 {
		return cursor{}, false
	}
	c = cursor{m: m, pl: pl, pos: -1}
	if t.Version == m.Version && t.Pos < len(pl.Order) && t.MatchesKey(m.Entries[pl.Order[t.Pos]].Key) {
		c.pos = t.Pos
		return c, true
	}
	if idx, found := x.entry(t.Key); found {
		if pos, in := x.position(pl, idx); in {
			c.pos = pos
		}
	}
	return c, true
}

// current is where the device is, from context.AudioPlayer. When the
// device holds no token of ours (another skill played last, or it never
// played jokebox), it is where the listener was, if the skill remembers
// listeners (recall). A token of ours, even one whose playlist is gone,
// means no listener call.
func (r *request) current(m *manifest.Manifest) (cursor, bool) {
	if t, ours := ParseToken(r.Player().Token); ours {
		return r.locateToken(m, t)
	}
	t, ok := r.recall()
	if !ok {
		return cursor{}, false
	}
	c, ok := r.locateToken(m, t)
	r.fromPlace = ok
	return c, ok
}

// playNext plays the entry after the device's current one in playlist name
// ("" is the library), or a random one when the device was elsewhere.
func (r *request) playNext(name, speech string, quiet bool) (*alexa.Response, error) {
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	pl, ok := m.Playlist(name)
	if !ok || len(pl.Order) == 0 {
		pl = m.Library()
	}
	return r.playNextIn(m, pl, speech, quiet)
}

func (r *request) playNextIn(m *manifest.Manifest, pl *manifest.Playlist, speech string, quiet bool) (*alexa.Response, error) {
	c, ok := r.current(m)
	if ok && c.pl == pl {
		c = r.advance(c, 1)
	} else {
		c = r.start(m, pl)
	}
	if quiet {
		speech = ""
	}
	return r.play(c, alexa.ReplaceAll, "", 0, false, speech)
}

// playNamed plays from the folder playlist whose name sounds like spoken.
func (r *request) playNamed(spoken string) (*alexa.Response, error) {
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	slot := r.Request.Request.Intent.Slots[PlaylistSlot]
	locale := r.Request.Request.Locale
	pl, how := resolveWith(m, slot, locale, r.h.said.get(m, locale, r.h.cfg.Playlists))
	if pl != nil {
		r.note(slog.String("spoken", spoken), slog.String("resolvedBy", how))
		return r.playNextIn(m, pl, fill(r.say.Playlist, "playlist", r.h.cfg.Playlists.Name(pl.Name, r.Request.Request.Locale)), false)
	}
	r.note(slog.String("spoken", spoken), slog.String("resolvedBy", how), slog.Bool("unknownPlaylist", true))
	return r.playNextIn(m, m.Library(), r.unknownPlaylist(m, spoken), false)
}

// resume plays the device's current entry again at its offset, with a
// freshly signed URL.
func (r *request) resume() (*alexa.Response, error) {
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	c, ok := r.current(m)
	if !ok {
		return r.playNextIn(m, m.Library(), "", true)
	}
	offset := time.Duration(r.Player().OffsetInMilliseconds) * time.Millisecond
	// The entry is gone, or the place is a remembered one (the device's
	// offset is another skill's): go on with the next one.
	if c.pos < 0 || r.fromPlace {
		c, offset = r.advance(c, 1), 0
	}
	return r.play(c, alexa.ReplaceAll, "", offset, false, "")
}

// step moves the device step entries (0 replays the current one).
func (r *request) step(step int) (*alexa.Response, error) {
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	c, ok := r.current(m)
	if !ok {
		return r.playNextIn(m, m.Library(), "", true)
	}
	if c.pos < 0 && step <= 0 {
		step = 1
	}
	return r.play(r.advance(c, step), alexa.ReplaceAll, "", 0, false, "")
}

// enqueueNext answers PlaybackNearlyFinished: the next entry, when
// continuous play is on.
func (r *request) enqueueNext() (*alexa.Response, error) {
	if !r.h.cfg.Continuous {
		return empty(), nil
	}
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	c, ok := r.locate(m, r.Request.Request.Token)
	if !ok {
		return empty(), nil
	}
	return r.play(r.advance(c, 1), alexa.Enqueue, r.Request.Request.Token, 0, false, "")
}

// replaceFailed answers PlaybackFailed: the same entry with a fresh URL
// once, then the next entry.
//
// The failed stream is the request's token. When currentPlaybackState names
// another stream that is still playing (or paused), the failure was of a
// queued stream: only the queue is replaced (REPLACE_ENQUEUED), so the
// playing one is not cut off. The retry resumes at the state's offset only
// when the state is the failed stream's own.
func (r *request) replaceFailed() (*alexa.Response, error) {
	body := r.Request.Request
	var typ, msg string
	if body.Error != nil {
		typ, msg = body.Error.Type, body.Error.Message
	}
	r.h.log.ErrorContext(r.ctx, "playback failed", "type", typ, "message", msg, "token", body.Token)
	m, answer := r.manifest()
	if answer != nil {
		return answer, nil
	}
	c, ok := r.locate(m, body.Token)
	if !ok {
		return empty(), nil
	}
	behavior, offset := alexa.ReplaceAll, time.Duration(0)
	if s := body.CurrentPlaybackState; s != nil {
		switch {
		case s.Token == body.Token:
			offset = time.Duration(s.OffsetInMilliseconds) * time.Millisecond
		case s.Token != "" && s.PlayerActivity.Active():
			behavior = alexa.ReplaceEnqueued
		}
	}
	if t, _ := ParseToken(body.Token); !t.Retry && c.pos >= 0 {
		return r.play(c, behavior, "", offset, true, "")
	}
	return r.play(r.advance(c, 1), behavior, "", 0, false, "")
}

// play answers with a Play directive for the cursor's entry.
func (r *request) play(c cursor, behavior alexa.PlayBehavior, previous string, offset time.Duration, retry bool, speech string) (*alexa.Response, error) {
	e := c.entry()
	url, err := r.h.sign.Sign(r.ctx, e.Key)
	if err != nil {
		r.h.log.ErrorContext(r.ctx, "cannot sign", "key", e.Key, "err", err)
		return r.spoken(r.say.Trouble), nil
	}
	token := Token{Version: c.m.Version, Playlist: c.pl.Name, Pos: c.pos, Key: e.Key, Retry: retry, Nonce: r.h.nonce()}.String()
	subtitle := c.pl.Name
	if subtitle == "" {
		subtitle = manifest.Folder(e.Key)
	}
	meta := &alexa.Metadata{Title: Title(e), Subtitle: subtitle}
	r.note(slog.String("key", e.Key), slog.String("playlist", c.pl.Name), slog.Int("pos", c.pos), slog.Int64("version", c.m.Version), slog.String("behavior", string(behavior)))

	resp := &alexa.Response{Version: alexa.Version}
	resp.Response.Directives = []alexa.Directive{alexa.Play(behavior, url, token, previous, offset, meta)}
	if !r.Request.Request.Type.IsPlayback() {
		if speech != "" {
			resp.Response.OutputSpeech = alexa.Speech(speech)
		}
		resp.Response.ShouldEndSession = alexa.Bool(true)
	}
	return resp, nil
}

// directives answers with directives only (a playback request). A device
// without an audio player gets none.
func (r *request) directives(d ...alexa.Directive) *alexa.Response {
	if !r.hasPlayer() {
		d = nil
	}
	return &alexa.Response{Version: alexa.Version, Response: alexa.ResponseBody{Directives: d}}
}

// end answers with directives and ends the session.
func (r *request) end(d ...alexa.Directive) *alexa.Response {
	resp := r.directives(d...)
	if !r.Request.Request.Type.IsPlayback() {
		resp.Response.ShouldEndSession = alexa.Bool(true)
	}
	return resp
}

// Title is what a screen shows for an entry: its tag title, else a tidy
// form of its file name ("el-pez_y-el-mar.mp3" → "El pez y el mar").
func Title(e *manifest.Entry) string {
	if e.Title != "" {
		return e.Title
	}
	return manifest.NameTitle(e.Key)
}
