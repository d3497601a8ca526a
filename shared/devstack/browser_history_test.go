package devstack_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jokebox/jokebox/shared/alexa"
)

// sampleLibrary is the repository's media/ folder: what a user of
// `jokebox dev` sees first.
func sampleLibrary(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..", "media")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".mp3") {
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = p
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("sample library: %d files (%v)", len(files), err)
	}
	return files
}

// historyEntry is one of window.jokebox.history().
type historyEntry struct {
	ID     int    `json:"id"`
	Auto   bool   `json:"auto"`
	Type   string `json:"type"`
	Status int    `json:"status"`
}

// panes reads the Request and Response panes as the user sees them.
type panes struct {
	Request  alexa.Request
	Response alexa.Response
	Status   string
}

func readPanes(t *testing.T, ctx context.Context) panes {
	t.Helper()
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("reqJSON").textContent, document.getElementById("respJSON").textContent, document.getElementById("respStatus").textContent]`))
	if err != nil {
		t.Fatal(err)
	}
	var p panes
	if err := json.Unmarshal([]byte(texts[0]), &p.Request); err != nil {
		t.Fatalf("request pane is not a request: %v\n%s", err, texts[0])
	}
	if err := json.Unmarshal([]byte(texts[1]), &p.Response); err != nil {
		t.Fatalf("response pane is not a response: %v\n%s", err, texts[1])
	}
	p.Status = texts[2]
	return p
}

func history(t *testing.T, ctx context.Context) []historyEntry {
	t.Helper()
	h, err := chromedp.Run(ctx, chromedp.Evaluate[[]historyEntry](`window.jokebox.history()`))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func text(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return s
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// TestBrowserHistory plays the sample library: after Next, the panes keep
// the IntentRequest and its answer although the player's automatic events
// follow; any request of the events log can be shown; the screen says
// paused after pause; the speech bubble holds only the latest answer; the
// locale switch changes the page's own labels. With -update it writes
// docs/simulator.png.
func TestBrowserHistory(t *testing.T) {
	ctx, _ := openSimulator(t, sampleLibrary(t), 3)
	if lib := text(t, ctx, `document.getElementById("library").textContent`); !strings.HasPrefix(lib, "13 archivos · 3 listas") {
		t.Errorf("library summary %q; want 13 files and 3 playlists, in Spanish", lib)
	}

	click(t, ctx, "#btn-open")
	first := waitFor(t, ctx, "audio after open", 10*time.Second, func(s playerState) bool { return s.Activity == "PLAYING" && s.CurrentTime > 0.3 })
	waitFor(t, ctx, "an enqueued item", 5*time.Second, func(s playerState) bool { return len(s.Queue) == 1 })

	// Next: the panes show the IntentRequest and its answer, and keep them
	// while the player reports PlaybackStopped, Started and NearlyFinished.
	click(t, ctx, "#btn-next")
	waitFor(t, ctx, "another file after next", 10*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && s.Title != first.Title && s.CurrentTime > 0.3
	})
	var nextID int
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := history(t, ctx)
		nextID = 0
		autoAfter := 0
		for _, e := range h {
			if !e.Auto && e.Type == "IntentRequest" {
				nextID = e.ID
			}
			if nextID > 0 && e.ID > nextID && e.Auto && e.Type == "AudioPlayer.PlaybackNearlyFinished" && e.Status == 200 {
				autoAfter = e.ID
			}
		}
		if autoAfter > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no automatic event answered after Next: %+v", h)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p := readPanes(t, ctx)
	if p.Request.Request.Type != "IntentRequest" || p.Request.Request.Intent == nil || p.Request.Request.Intent.Name != "AMAZON.NextIntent" {
		t.Errorf("request pane after Next shows %s %+v; want the IntentRequest AMAZON.NextIntent", p.Request.Request.Type, p.Request.Request.Intent)
	}
	if len(p.Response.Response.Directives) == 0 || p.Response.Response.Directives[0].Type != "AudioPlayer.Play" || p.Status != "200 OK" {
		t.Errorf("response pane after Next: %s %+v; want 200 and the Play directive", p.Status, p.Response.Response.Directives)
	}
	if sel := text(t, ctx, `String(window.jokebox.selected())`); sel != itoa(nextID) {
		t.Errorf("selected entry %s; want the Next request #%d", sel, nextID)
	}

	if *update || os.Getenv("JOKEBOX_UPDATE_SCREENSHOT") != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 gives a PNG
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "simulator.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", out, len(png))
	}

	// Any line of the events log shows its request and response.
	click(t, ctx, `#log li.auto[data-entry]`)
	if p := readPanes(t, ctx); !strings.HasPrefix(string(p.Request.Request.Type), "AudioPlayer.") {
		t.Errorf("after clicking an automatic event the request pane shows %s", p.Request.Request.Type)
	}
	if auto := text(t, ctx, `document.getElementById("reqAuto").textContent`); auto != "automática" {
		t.Errorf("automatic request tagged %q; want \"automática\"", auto)
	}

	// Pause: the screen says paused, not stopped. The sample jokes last
	// 3 to 6 s and play on one after another: pause early in one, not
	// between two.
	waitFor(t, ctx, "the start of a joke", 15*time.Second, func(s playerState) bool {
		return s.Activity == "PLAYING" && s.CurrentTime > 0.1 && s.CurrentTime < 1.5
	})
	click(t, ctx, "#btn-pause")
	waitFor(t, ctx, "a stop after pause", 5*time.Second, func(s playerState) bool { return s.Activity == "STOPPED" && s.Paused })
	if l := text(t, ctx, `document.getElementById("npLabel").textContent`); l != "En pausa" {
		t.Errorf("screen after pause says %q; want \"En pausa\"", l)
	}

	// The speech bubble holds the latest answer only.
	click(t, ctx, "#btn-help")
	help := waitForText(t, ctx, "Help's speech", `document.getElementById("speech").hidden ? "" : document.getElementById("speechText").textContent`, func(s string) bool { return s != "" })
	click(t, ctx, "#btn-stop")
	waitForText(t, ctx, "the bubble to empty after Stop", `document.getElementById("speech").hidden ? "" : document.getElementById("speechText").textContent`, func(s string) bool { return s == "" })
	t.Logf("help said %q; after stop the bubble is empty", help)

	// The locale switch changes the page's own labels.
	labels := `["btn-next", "btn-open", "btn-pause", "npLabel"].map((id) => document.getElementById(id).textContent).concat([document.querySelector(".json h2 span").textContent, document.getElementById("utterance").placeholder])`
	es, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](labels))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#locale"), "en-US")); err != nil {
		t.Fatal(err)
	}
	text(t, ctx, `document.getElementById("locale").dispatchEvent(new Event("change")) && ""`)
	en, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](labels))
	if err != nil {
		t.Fatal(err)
	}
	wantEs := []string{"Siguiente", "Abrir jokebox", "Pausa", "Detenido", "Petición"}
	wantEn := []string{"Next", "Open jokebox", "Pause", "Stopped", "Request"}
	for i := range wantEs {
		if es[i] != wantEs[i] || en[i] != wantEn[i] {
			t.Errorf("label %d: es-ES %q, en-US %q; want %q and %q", i, es[i], en[i], wantEs[i], wantEn[i])
		}
	}
	if es[5] == en[5] || !strings.HasPrefix(en[5], "Say something") {
		t.Errorf("placeholder es-ES %q, en-US %q", es[5], en[5])
	}
	if lib := text(t, ctx, `document.getElementById("library").textContent`); !strings.HasPrefix(lib, "13 files · 3 playlists") {
		t.Errorf("library summary in en-US %q", lib)
	}
	if s := state(t, ctx); s.Errors != 0 {
		t.Errorf("the page logged %d errors", s.Errors)
	}
}

func waitForText(t *testing.T, ctx context.Context, what, js string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := text(t, ctx, js)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s; last %q", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
