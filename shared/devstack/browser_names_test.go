package devstack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/jokebox/jokebox/shared/devstack"
)

// The hostile names: markup that would run script if the page ever put a
// name into HTML instead of text.
const (
	hostileFolder = `<img src=x onerror=window.__xss=1>`
	hostileTitle  = `"><img src=x onerror="window.__xss=2"><script>window.__xss=3</script>`
	hostileFile   = `<svg onload=window.__xss=4>.mp3`
)

// TestBrowserHostileNames: a folder, a title and a rejected file named with
// XSS payloads are shown as text, nothing they hold runs, and the page works
// under its Content-Security-Policy without a single violation.
func TestBrowserHostileNames(t *testing.T) {
	src := voice(t, "pato", "Un pato entra en una farmacia.")
	titled := filepath.Join(t.TempDir(), "titled.mp3")
	if out, err := exec.Command("lame", "--quiet", "--mp3input", "-b", "64", "--tt", hostileTitle, src, titled).CombinedOutput(); err != nil {
		t.Fatalf("lame: %v\n%s", err, out)
	}
	empty := filepath.Join(t.TempDir(), "empty.mp3")
	if out, err := exec.Command("touch", empty).CombinedOutput(); err != nil {
		t.Fatalf("touch: %v\n%s", err, out)
	}
	st := startStack(t, map[string]string{
		hostileFolder + "/joke.mp3":       titled,
		hostileFolder + "/" + hostileFile: empty,
	})
	ctx := browser(t)
	// Record every CSP violation from the first script on.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__violations = []; document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(st.URL), chromedp.WaitVisible(chromedp.ID("btn-open"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.jokebox.setSpeak(false)`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the hostile playlist", 10*time.Second, func(s playerState) bool { return s.Ready && len(s.Playlists) == 1 })
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("playlist"), hostileFolder), chromedp.Click(chromedp.ID("btn-playlist"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the hostile title to play", 10*time.Second, func(s playerState) bool { return s.Activity == "PLAYING" && s.CurrentTime > 0.2 })

	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{hostileTitle, hostileFolder, strings.TrimSuffix(hostileFile, ".mp3")} {
		if !strings.Contains(shown, name) {
			t.Errorf("the page does not show %q as text", name)
		}
	}
	type verdict struct {
		XSS        any      `json:"xss"`
		Violations []string `json:"violations"`
		Injected   int      `json:"injected"`
		CSP        string   `json:"csp"`
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[verdict](`(async () => ({
		xss: window.__xss ?? null,
		violations: window.__violations,
		injected: document.querySelectorAll("main img, main svg:not([aria-hidden]), main script, header img, header script").length,
		csp: (await fetch("/")).headers.get("content-security-policy"),
	}))()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if v.XSS != nil || v.Injected != 0 {
		t.Errorf("a hostile name ran or was parsed as markup: window.__xss = %v, %d injected elements", v.XSS, v.Injected)
	}
	if len(v.Violations) != 0 {
		t.Errorf("the page broke its Content-Security-Policy: %q", v.Violations)
	}
	if want := devstack.ContentSecurityPolicy(st.URL); v.CSP != want {
		t.Errorf("the page's Content-Security-Policy is %q; want %q", v.CSP, want)
	}
}

// TestBrowserPageWords: the page names real playlists in its input hint,
// sorts them as people do, and lists the files it does not play with their
// reasons in the locale's language (they were an English tooltip, the hint
// said "pon animales" with no such folder, and "Zorros" came before
// "animales").
func TestBrowserPageWords(t *testing.T) {
	src := voice(t, "pato", "Un pato entra en una farmacia.")
	empty := filepath.Join(t.TempDir(), "empty.mp3")
	if out, err := exec.Command("touch", empty).CombinedOutput(); err != nil {
		t.Fatalf("touch: %v\n%s", err, out)
	}
	leeme := filepath.Join(t.TempDir(), "LEEME.txt")
	if err := os.WriteFile(leeme, []byte("hola"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, s := openSimulator(t, map[string]string{"Zorros/a.mp3": src, "chistes/b.mp3": src, "Árboles/c.mp3": src, "roto.mp3": empty, "LEEME.txt": leeme}, 3)
	if want := []string{"Árboles", "chistes", "Zorros"}; strings.Join(s.Playlists, ",") != strings.Join(want, ",") {
		t.Errorf("playlists %q; want %q", s.Playlists, want)
	}
	read := func() (hint, rejected string) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("utterance").placeholder, document.getElementById("rejected").hidden ? "" : document.getElementById("rejected").textContent]`))
		if err != nil {
			t.Fatal(err)
		}
		return v[0], v[1]
	}
	waitForText(t, ctx, "the rejected list", `document.getElementById("rejected").innerText`, func(s string) bool { return strings.Contains(s, "roto.mp3") })
	hint, rejected := read()
	if !strings.Contains(hint, "“pon árboles”") {
		t.Errorf("es-ES hint %q; want it to suggest “pon árboles”, the first playlist", hint)
	}
	if !strings.Contains(rejected, "No se reproducen") || !strings.Contains(rejected, "roto.mp3 — archivo vacío") || !strings.Contains(rejected, "LEEME.txt — no es un archivo de audio (.txt)") {
		t.Errorf("es-ES rejected list %q; want roto.mp3 with its reason in Spanish", rejected)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("locale"), "en-US")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById("locale").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	hint, rejected = read()
	if !strings.Contains(hint, "“play árboles”") || !strings.Contains(rejected, "roto.mp3 — zero-byte file") {
		t.Errorf("en-US hint %q, rejected %q; want “play árboles” and the English reason", hint, rejected)
	}
}

// TestBrowserHintWithoutFolders: with no folder there is no playlist to
// suggest, and the hint suggests none.
func TestBrowserHintWithoutFolders(t *testing.T) {
	ctx, _ := openSimulator(t, map[string]string{"a.mp3": voice(t, "pato", "Un pato entra en una farmacia.")}, 0)
	hint := text(t, ctx, `document.getElementById("utterance").placeholder`)
	if strings.Contains(hint, "pon ") || !strings.Contains(hint, "“pausa”") {
		t.Errorf("hint %q; want no playlist suggested", hint)
	}
}
