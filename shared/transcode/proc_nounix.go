//go:build !unix

package transcode

import "os/exec"

// setProcAttr leaves ffmpeg as exec starts it: killed when the context ends.
func setProcAttr(*exec.Cmd) {}
