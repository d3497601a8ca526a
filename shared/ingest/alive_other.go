//go:build !unix

package ingest

// alive reports whether a process exists; without a way to ask, every
// process is taken as alive, so no folder is removed.
func alive(int) bool { return true }
