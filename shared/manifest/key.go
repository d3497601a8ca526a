package manifest

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The rules for object keys that jokebox plays, in one place: `jokebox add`
// and `jokebox dev` check names with them before they upload, and the
// indexer rejects keys that break them (uploaded some other way) with the
// same reason.

// KeyProblem says why key cannot be the key of a file jokebox plays, or ""
// when it can: it must be UTF-8, at most MaxKeyLen bytes, outside Prefix,
// free of control characters and of the invisible characters that make a
// name look like another on screen (bidirectional overrides and
// zero-width characters), with no empty, "." or ".." path element.
func KeyProblem(key string) string {
	switch {
	case key == "":
		return "empty name"
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case strings.HasPrefix(key, Prefix):
		return "under " + Prefix + ", which jokebox reserves"
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	if i := strings.IndexFunc(key, invisible); i >= 0 {
		r, _ := utf8.DecodeRuneInString(key[i:])
		return fmt.Sprintf("contains the invisible character U+%04X, which can make a name look like another", r)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return "empty, . or .. path element"
		}
	}
	return ""
}

// invisible reports the bidirectional controls (U+202A–U+202E,
// U+2066–U+2069, marks U+200E, U+200F, U+061C) and zero-width characters
// (U+200B–U+200D, U+2060, U+FEFF) that KeyProblem refuses.
func invisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
		r == 0x200E, r == 0x200F, r == 0x061C,
		r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return true
	}
	return false
}

// NormalKey is key in Unicode normalization form C, the form `jokebox add`
// and `jokebox dev` upload and compare names in: "Canción" typed on Linux
// and the same name from a macOS file system (form D) are one key.
func NormalKey(key string) string { return norm.NFC.String(key) }

// NameTitle is the title of a file without a title tag: its file name
// tidied ("el-pez_y-el-mar.mp3" → "El pez y el mar"). The skill shows it,
// and `jokebox add` writes it into the files it converts, so every source
// gets one rule: the tag, else this.
func NameTitle(key string) string {
	base := path.Base(key)
	base = strings.TrimSuffix(base, path.Ext(base))
	base = strings.Join(strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }), " ")
	if r, n := utf8.DecodeRuneInString(base); n > 0 {
		base = string(unicode.ToUpper(r)) + base[n:]
	}
	return base
}
