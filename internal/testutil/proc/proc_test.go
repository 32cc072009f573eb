package proc_test

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/testutil/proc"
)

// startShell starts sh -c script in a subtest and returns the process
// once that subtest (and so its cleanup) has ended. The script prints
// "ready" once its traps are set; the subtest waits for that before it
// ends, so the stop signal never arrives before the trap.
func startShell(t *testing.T, script string, grace time.Duration) *proc.Process {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	var p *proc.Process
	t.Run("run", func(t *testing.T) {
		p = proc.Start(t, exec.Command("sh", "-c", script), syscall.SIGTERM, grace)
		for !strings.Contains(p.Output(), "ready") {
			select {
			case <-p.Exited():
				t.Fatalf("exited early: %s", p.Output())
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	select {
	case <-p.Exited():
	default:
		t.Fatal("the process is still running after cleanup")
	}
	return p
}

// TestStopsWithSignal: a process that exits on the stop signal is stopped
// by it at cleanup, not killed.
func TestStopsWithSignal(t *testing.T) {
	t.Parallel()
	p := startShell(t, `trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done`, time.Minute)
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit = %v, want 0 from the TERM trap", p.Cmd.ProcessState)
	}
}

// TestKillsAfterGrace: a process that ignores the stop signal is killed
// once the grace period has passed.
func TestKillsAfterGrace(t *testing.T) {
	t.Parallel()
	p := startShell(t, `trap "" TERM; echo ready; while :; do sleep 0.1; done`, 100*time.Millisecond)
	ws, ok := p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("exit = %v, want killed", p.Cmd.ProcessState)
	}
}

// TestStopBeforeCleanup: Stop returns once the process has exited, and
// the cleanup's Stop after it does nothing more.
func TestStopBeforeCleanup(t *testing.T) {
	t.Parallel()
	t.Run("run", func(t *testing.T) {
		p := proc.Start(t, exec.Command("sleep", "60"), syscall.SIGTERM, time.Minute)
		p.Stop()
		select {
		case <-p.Exited():
		default:
			t.Fatal("the process is still running after Stop")
		}
	})
}
