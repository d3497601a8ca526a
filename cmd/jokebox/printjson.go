package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// printJSON prints v as indented JSON with &, < and > as themselves, also
// inside a json.RawMessage that another encoder escaped, so a URL copied
// from the terminal works as it is.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(unescapeHTML(buf.Bytes()))
	return err
}

// unescapeHTML replaces the escapes \u0026, \u003c and \u003e in valid
// JSON by the characters they stand for; other escapes are kept.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if i+5 < len(b) && b[i+1] == 'u' {
			switch strings.ToLower(string(b[i+2 : i+6])) {
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			case "003c":
				out, i = append(out, '<'), i+5
				continue
			case "003e":
				out, i = append(out, '>'), i+5
				continue
			}
		}
		out, i = append(out, b[i], b[i+1]), i+1 // any other escape, \\ included
	}
	return out
}
