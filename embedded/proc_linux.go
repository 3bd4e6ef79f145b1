package embedded

import (
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr runs a server process as cred (nil: as ourselves), in a
// process group of its own so that a Ctrl-C at the terminal reaches only
// Tahsil, which then stops the server in order, after its clients. If
// Tahsil dies without stopping it, the kernel sends the server SIGINT, a
// fast shutdown, instead of leaving an orphan that holds the data
// directory.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
}

// startChild starts cmd and waits for it in the background. Linux sends
// Pdeathsig when the thread that forked the child exits, not the process
// (go.dev/issue/27505), so the fork and the wait happen on one goroutine
// locked to its thread for the child's whole life.
func startChild(cmd *exec.Cmd) (*child, error) {
	c := &child{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}
