// Package proc runs an external program (nginx, wireguard-go, …) for the
// length of a test and stops it gracefully at cleanup.
package proc

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Process is a command started by Start.
type Process struct {
	// Cmd is the started command; its Process is set.
	Cmd *exec.Cmd

	exited   chan struct{}
	stopSig  os.Signal
	grace    time.Duration
	stopOnce sync.Once
	outPath  string // the captured output; "" when the caller set Stdout or Stderr
}

// Start starts cmd and registers a t.Cleanup that stops it (Stop). It
// calls t.Fatal when cmd does not start. When cmd.Stdout and cmd.Stderr
// are both nil, Start captures them together, in a file under
// t.TempDir() that the process writes directly, for Output; otherwise
// they are left as the caller set them. Start reaps the process as soon
// as it exits (see Exited), so nothing else may call cmd.Wait.
func Start(t testing.TB, cmd *exec.Cmd, stop os.Signal, grace time.Duration) *Process {
	t.Helper()
	p := &Process{Cmd: cmd, exited: make(chan struct{}), stopSig: stop, grace: grace}
	if cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.CreateTemp(t.TempDir(), "output")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close() // the process has its own descriptor
		p.outPath = f.Name()
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Stop)
	return p
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Stop sends the stop signal, waits up to the grace period for the
// process to exit, then kills it and waits for that. It returns once the
// process has exited; later calls (the cleanup's among them) do nothing
// more. Stopping a process that already exited is harmless.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		_ = p.Cmd.Process.Signal(p.stopSig)
		select {
		case <-p.exited:
		case <-time.After(p.grace):
			_ = p.Cmd.Process.Kill()
			<-p.exited
		}
	})
}

// Output returns what the process wrote to stdout and stderr so far, or
// "" when Start did not capture them. It may be called while the process
// runs.
func (p *Process) Output() string {
	if p.outPath == "" {
		return ""
	}
	b, _ := os.ReadFile(p.outPath)
	return string(b)
}
