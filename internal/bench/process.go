package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process measures a real `yuanxu serve` process on a fresh database:
// how long from exec to /readyz answering 200, and its resident memory
// after it has idled.
type Process struct {
	// Exe is the yuanxu binary; Env is added to its environment (tests
	// re-execute their own binary as yuanxu this way).
	Exe string
	Env []string
}

// processResult is start-to-ready and idle RSS of one serve process.
type processResult struct {
	Ready   time.Duration
	RSSByte int64
}

// measure starts `serve` with args plus --addr on a free loopback port,
// waits for /readyz, idles for idle, reads VmRSS from /proc and stops the
// process with SIGTERM.
func (p Process) measure(ctx context.Context, args []string, idle time.Duration) (processResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return processResult{}, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, p.Exe, append([]string{"serve", "--addr", addr, "--log-level", "error"}, args...)...)
	cmd.Env = append(os.Environ(), p.Env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return processResult{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	if err := waitReady(ctx, &http.Client{Timeout: time.Second}, "http://"+addr, 60*time.Second); err != nil {
		return processResult{}, fmt.Errorf("%w: %.500s", err, stderr.String())
	}
	r := processResult{Ready: time.Since(start)}
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(idle):
	}
	r.RSSByte, err = rss(cmd.Process.Pid)
	return r, err
}

// rss reads a process's resident set size from /proc/<pid>/status.
func rss(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("bench: resident memory needs /proc: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("bench: no VmRSS for process %d", pid)
}
