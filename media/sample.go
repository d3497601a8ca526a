// Package media is the sample library: the folders of short spoken jokes in
// this directory, built into the jokebox binary so that `jokebox dev` has
// something to play anywhere. Each folder is a playlist.
package media

import "embed"

// Sample is the sample library: animales/, chistes/ and jokes/, MP3 files
// made by scripts/make-audio.sh.
//
//go:embed animales chistes jokes
var Sample embed.FS
