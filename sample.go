// Package jokebox holds the sample library: the folders of short spoken
// jokes in media/, built into the jokebox binary so that `jokebox dev` has
// something to play anywhere. It lives at the module's root because an
// embedded file must be in the embedding package's folder or under it, and
// media/ must hold only audio (`jokebox dev` and `aws s3 cp` upload all of
// it).
package jokebox

import (
	"embed"
	"io/fs"
)

//go:embed media/animales media/chistes media/jokes
var media embed.FS

// Sample returns the sample library, rooted at media/: each top-level
// folder (animales, chistes, jokes) is a playlist of MP3 files made by
// scripts/make-audio.sh.
func Sample() (fs.FS, error) {
	return fs.Sub(media, "media")
}
