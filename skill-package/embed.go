// Package skillpackage embeds the skill package directory into the
// binaries: skill.json, the interaction models and the owner's overrides
// file (playlists.json), so that the Lambda function, `jokebox serve` and
// `jokebox dev` know each folder's spoken names and language without
// reading files at run time. Edit the files, not this package.
package skillpackage

import (
	"embed"
	"io/fs"
)

//go:embed skill.json playlists.json interactionModels/custom/*.json
var files embed.FS

// FS is the skill package as it was when the binary was built.
func FS() fs.FS { return files }

// Overrides is the raw overrides file, playlists.json.
func Overrides() []byte {
	b, _ := files.ReadFile("playlists.json") // embedded: cannot fail
	return b
}
