// Command yuanxu is the whole platform in one binary: the server (serve),
// schema migrations (migrate), operator tools (admin …) and its version.
// main only wires the process to run; everything else is testable in run.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yuanxu:", err)
		os.Exit(exitCode(err))
	}
}
