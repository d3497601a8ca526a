package transcode

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill ffmpeg when jokebox dies, even by
// SIGKILL, and puts it in its own process group.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
