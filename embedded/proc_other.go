//go:build !linux

package embedded

import (
	"os/exec"
	"syscall"
)

// sysProcAttr runs a server process as cred (nil: as ourselves), in a
// process group of its own so that a Ctrl-C at the terminal reaches only
// Tahsil, which then stops the server in order, after its clients. Unlike
// on Linux, nothing stops the server if Tahsil dies without stopping it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}

// startChild starts cmd and waits for it in the background.
func startChild(cmd *exec.Cmd) (*child, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}
