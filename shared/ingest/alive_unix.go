//go:build unix

package ingest

import (
	"errors"
	"syscall"
)

// alive reports whether a process with that ID exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
