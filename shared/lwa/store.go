package lwa

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FileName is the login file's name in the jokebox directory of the user's
// configuration directory.
const FileName = "login.json"

// DefaultPath is where jokebox login keeps the login:
// os.UserConfigDir()/jokebox/login.json ($XDG_CONFIG_HOME or ~/.config on
// Linux, ~/Library/Application Support on macOS), as the ask CLI keeps
// ~/.ask/cli_config.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("lwa: no configuration directory for the login file: %w", err)
	}
	return filepath.Join(dir, "jokebox", FileName), nil
}

// Saved is the login file's content. Printing it never shows the secret
// or the refresh token.
type Saved struct {
	ClientID     string    `json:"clientId"`
	ClientSecret string    `json:"clientSecret"`
	RefreshToken string    `json:"refreshToken"`
	VendorID     string    `json:"vendorId,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
	SavedAt      time.Time `json:"savedAt"`
}

// String shows what is not secret.
func (s Saved) String() string {
	return fmt.Sprintf("{ClientID:%s ClientSecret:[redacted] RefreshToken:[redacted] VendorID:%s Scopes:%v SavedAt:%s}",
		s.ClientID, s.VendorID, s.Scopes, s.SavedAt.Format(time.RFC3339))
}

// GoString is String, for %#v.
func (s Saved) GoString() string { return "lwa.Saved" + s.String() }

// ErrInsecureFile reports a login file or directory that others may read.
var ErrInsecureFile = errors.New("the login file is readable by others")

// Load reads the login file at path. A missing file is an error that
// errors.Is(err, fs.ErrNotExist); a file that group or others may read or
// write is refused (ErrInsecureFile), as ssh refuses such a key.
func Load(path string) (Saved, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Saved{}, fmt.Errorf("lwa: login file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Saved{}, fmt.Errorf("lwa: login file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Saved{}, fmt.Errorf("%w: %s has mode %04o: run chmod 600 %s, or jokebox login again", ErrInsecureFile, path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Saved{}, fmt.Errorf("lwa: login file: %w", err)
	}
	s, err := decode(b)
	if err != nil {
		return Saved{}, fmt.Errorf("lwa: login file %s: %w: run jokebox login again", path, err)
	}
	return s, nil
}

// decode parses a login file: JSON with a client ID, a client secret and
// a refresh token. Its errors never quote the content.
func decode(b []byte) (Saved, error) {
	if len(b) > 1<<20 {
		return Saved{}, errors.New("over 1 MiB")
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return Saved{}, errors.New("malformed JSON")
	}
	var missing []string
	for _, f := range [][2]string{{"clientId", s.ClientID}, {"clientSecret", s.ClientSecret}, {"refreshToken", s.RefreshToken}} {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return Saved{}, fmt.Errorf("no %v", missing)
	}
	return s, nil
}

// Save writes s to path for the owner only: the directory is made (or
// narrowed) to 0700 and the file is 0600, written to a temporary file in
// the same directory and renamed over the old one, so that a crash leaves
// the old login or the new one, never half of one.
func Save(path string, s Saved) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("lwa: make %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("lwa: %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("lwa: encode the login: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+FileName+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("lwa: write the login file: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return nil
}

// missingFile reports whether err is a missing file.
func missingFile(err error) bool { return errors.Is(err, fs.ErrNotExist) }
