package manifest

import (
	"strings"
	"testing"
)

func TestKeyProblem(t *testing.T) {
	tests := []struct {
		key, want string // want: a part of the reason; "" for none
	}{
		{"chistes/Canción año.mp3", ""},
		{"a.mp3", ""},
		{"", "empty"},
		{"bad\xff.mp3", "UTF-8"},
		{strings.Repeat("a", MaxKeyLen+1), "longer than 1024 bytes"},
		{strings.Repeat("a", MaxKeyLen), ""},
		{Prefix + "x.mp3", "reserves"},
		{"tab\there.mp3", "control"},
		{"gpj.\u202emp3", "U+202E"},    // right-to-left override
		{"a\u2066b.mp3", "U+2066"},     // left-to-right isolate
		{"cha\u200bste.mp3", "U+200B"}, // zero-width space
		{"\ufeffbom.mp3", "U+FEFF"},    // zero-width no-break space
		{"a//b.mp3", "path element"},
		{"../b.mp3", "path element"},
		{"a/./b.mp3", "path element"},
	}
	for _, tt := range tests {
		got := KeyProblem(tt.key)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("KeyProblem(%.40q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}

func TestNormalKey(t *testing.T) {
	nfd, nfc := "Cancio\u0301n.mp3", "Canci\u00f3n.mp3"
	if NormalKey(nfd) != nfc || NormalKey(nfc) != nfc {
		t.Errorf("NormalKey(%q) = %q, NormalKey(%q) = %q; want both %q", nfd, NormalKey(nfd), nfc, NormalKey(nfc), nfc)
	}
}
