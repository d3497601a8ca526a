//go:build unix && !linux

package transcode

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts ffmpeg in its own process group, killed whole when the
// context ends. (Only Linux can have the kernel kill it when jokebox dies.)
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
