package ingest

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// Shown is a file name fit for a terminal: quoted, with escapes, when it
// holds invalid UTF-8, control characters or invisible ones (a
// right-to-left override would show another name).
func Shown(p string) string {
	if utf8.ValidString(p) && strings.IndexFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return p
	}
	return strconv.Quote(p)
}

func shown(p string) string { return Shown(p) }
