package lwa

import (
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/config"
)

func TestParsePasted(t *testing.T) {
	const state = "the-state-0123456789"
	tests := []struct {
		in       string
		code     string
		wantErr  error
		contains string
	}{
		{in: "http://127.0.0.1:9090/cb?code=ANabc123&scope=x&state=" + state, code: "ANabc123"},
		{in: "  http://127.0.0.1:9090/cb?state=" + state + "&code=AN-x_y.z~  ", code: "AN-x_y.z~"},
		{in: "/cb?code=ANabc&state=" + state, code: "ANabc"},
		{in: "ANbarecode", code: "ANbarecode"},
		{in: "http://127.0.0.1:9090/cb?code=ANabc&state=other", wantErr: ErrState},
		{in: "http://127.0.0.1:9090/cb?code=ANabc", wantErr: ErrState},
		{in: "http://127.0.0.1:9090/cb?error=access_denied&state=" + state, wantErr: ErrDenied},
		{in: "http://127.0.0.1:9090/cb?error=invalid_scope&error_description=bad%0Ascope&state=" + state, contains: "invalid_scope: bad scope"},
		{in: "http://127.0.0.1:9090/cb?state=" + state, contains: "no usable code"},
		{in: "http://127.0.0.1:9090/cb?code=%3Cscript%3E&state=" + state, contains: "no usable code"},
		{in: "", contains: "nothing was pasted"},
		{in: "two words", contains: "neither"},
		{in: "%zz?", contains: "not a URL"},
	}
	for _, tt := range tests {
		a := parsePasted(tt.in, state)
		switch {
		case tt.code != "":
			if a.err != nil || a.code != tt.code {
				t.Errorf("parsePasted(%q) = %q, %v; want code %q", tt.in, a.code, a.err, tt.code)
			}
		case tt.wantErr != nil:
			if !errors.Is(a.err, tt.wantErr) || a.code != "" {
				t.Errorf("parsePasted(%q) = %q, %v; want %v", tt.in, a.code, a.err, tt.wantErr)
			}
		default:
			if a.err == nil || !strings.Contains(a.err.Error(), tt.contains) || a.code != "" {
				t.Errorf("parsePasted(%q) = %q, %v; want an error with %q", tt.in, a.code, a.err, tt.contains)
			}
		}
	}
}

// FuzzParsePasted: whatever is pasted, parsePasted gives a code or an
// error, never both, never a code without the state when a query is
// there, and never a code outside the code alphabet.
func FuzzParsePasted(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9090/cb?code=AN1&state=s", "AN1", "/cb?error=access_denied&state=s", "?", "://", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a := parsePasted(in, "s")
		if (a.err == nil) == (a.code == "") {
			t.Fatalf("parsePasted(%q) = %q, %v: want exactly one of a code and an error", in, a.code, a.err)
		}
		if a.code != "" && !validCode(a.code) {
			t.Fatalf("parsePasted(%q) = code %q outside the alphabet", in, a.code)
		}
		if a.code != "" && strings.Contains(in, "?") {
			u, err := url.Parse(strings.TrimSpace(in))
			if err != nil || u.Query().Get("state") != "s" {
				t.Fatalf("parsePasted(%q) took a code without the state", in)
			}
		}
	})
}

func TestReadLine(t *testing.T) {
	r := strings.NewReader("first\r\nsecond\nlast")
	for _, want := range []string{"first", "second", "last"} {
		if got, err := ReadLine(r); err != nil || got != want {
			t.Errorf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadLine(r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadLine at the end: %v; want io.ErrUnexpectedEOF", err)
	}
	if _, err := ReadLine(strings.NewReader(strings.Repeat("x", 9000))); err == nil {
		t.Error("ReadLine of a 9000-byte line: no error")
	}
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf", "jokebox")
	path := filepath.Join(dir, FileName)
	s := Saved{ClientID: "amzn1.application-oa2-client.x", ClientSecret: "SECRET", RefreshToken: "Atzr|R", VendorID: "M1"}
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || got.ClientSecret != "SECRET" || got.RefreshToken != "Atzr|R" || got.VendorID != "M1" {
		t.Fatalf("Load = %v, %v", got, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", p, fi.Mode().Perm(), err, want)
		}
	}
	// A second save replaces the file whole and leaves no temporary file;
	// a directory others could read is narrowed.
	os.Chmod(dir, 0o755)
	s.RefreshToken = "Atzr|NEW"
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(path); got.RefreshToken != "Atzr|NEW" {
		t.Errorf("after a second Save: %v", got)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v after Save; want 0700", fi.Mode().Perm())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("directory holds %d entries; want only %s", len(es), FileName)
	}
	for _, f := range []string{s.String(), s.GoString()} {
		if strings.Contains(f, "SECRET") || strings.Contains(f, "Atzr") {
			t.Errorf("Saved formats as %q, with a secret", f)
		}
	}
	// Refused: readable by others, missing fields, malformed, missing.
	os.Chmod(path, 0o644)
	if _, err := Load(path); !errors.Is(err, ErrInsecureFile) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Load of a 0644 file: %v; want ErrInsecureFile", err)
	}
	for content, want := range map[string]string{`{"clientId":"x"}`: "no [clientSecret refreshToken]", `{"clientId":`: "malformed JSON"} {
		os.WriteFile(path, []byte(content), 0o600)
		os.Chmod(path, 0o600)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "jokebox login again") {
			t.Errorf("Load of %s: %v; want %q", content, err, want)
		}
	}
	if _, err := Load(filepath.Join(dir, "none.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v; want fs.ErrNotExist", err)
	}
}

// FuzzDecode: a login file's content gives a complete login or an error
// that never quotes it.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"clientId":"a","clientSecret":"b","refreshToken":"c","vendorId":"d"}`))
	f.Add([]byte(`{"clientId":"a"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decode(b)
		if err != nil {
			if len(b) >= 8 && strings.Contains(err.Error(), string(b)) {
				t.Fatalf("decode error %q quotes the content", err)
			}
			return
		}
		if s.ClientID == "" || s.ClientSecret == "" || s.RefreshToken == "" {
			t.Fatalf("decode(%q) = %v without an error", b, s)
		}
	})
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := Save(path, Saved{ClientID: "file-id", ClientSecret: "file-secret", RefreshToken: "file-refresh", VendorID: "M1FILE"}); err != nil {
		t.Fatal(err)
	}
	env := config.ASK{ClientID: "env-id", ClientSecret: "env-secret", RefreshToken: "env-refresh"}
	tests := []struct {
		name       string
		ask        config.ASK
		path       string
		wantID     string
		wantVendor string
		wantErr    string
	}{
		{"environment wins", env, path, "env-id", "", ""},
		{"environment with a vendor", config.ASK{ClientID: "env-id", ClientSecret: "s", RefreshToken: "r", VendorID: "M2ENV"}, path, "env-id", "M2ENV", ""},
		{"the file", config.ASK{}, path, "file-id", "M1FILE", ""},
		{"the file, vendor from the environment", config.ASK{VendorID: "M3"}, path, "file-id", "M3", ""},
		{"partial environment", config.ASK{ClientID: "env-id"}, path, "", "", "missing ASK_LWA_CLIENT_SECRET (or ASK_LWA_CLIENT_CONFIRMATION), ASK_REFRESH_TOKEN: the environment sets some"},
		{"neither", config.ASK{}, filepath.Join(dir, "none.json"), "", "", "no SMAPI credentials: run jokebox login, which stores them in " + filepath.Join(dir, "none.json") + ", or set ASK_LWA_CLIENT_ID, ASK_LWA_CLIENT_SECRET (or ASK_LWA_CLIENT_CONFIRMATION), ASK_REFRESH_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Resolve(tt.ask, tt.path)
			if tt.wantErr != "" {
				var nc *NoCredentialsError
				if err == nil || !errors.As(err, &nc) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Resolve = %v, %v; want a *NoCredentialsError %q", r, err, tt.wantErr)
				}
				return
			}
			if err != nil || r.Credentials.ClientID != tt.wantID || r.VendorID != tt.wantVendor {
				t.Errorf("Resolve = %+v, %v; want client %s vendor %q", r, err, tt.wantID, tt.wantVendor)
			}
		})
	}
}
