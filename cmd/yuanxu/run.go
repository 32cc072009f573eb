package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/alecthomas/kong"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

// cli is the command tree. Every serve flag can also be set by a YUANXU_*
// environment variable (flag name upper-cased, dashes to underscores) and by
// a JSON config file (--config or YUANXU_CONFIG; keys are flag names with
// underscores). Precedence: command line, then environment, then file.
type cli struct {
	Config  string     `help:"JSON configuration file." type:"path" placeholder:"FILE"`
	Serve   serveCmd   `cmd:"" help:"Run the server."`
	Migrate migrateCmd `cmd:"" help:"Apply database migrations and exit."`
	Admin   adminCmd   `cmd:"" help:"Operator tools."`
	Version versionCmd `cmd:"" help:"Print the version."`

	Calendar calendarCmd `cmd:"" help:"PRC working-day calendar: deadlines and holiday data (no database needed)."`

	Agreement agreementCmd `cmd:"" help:"Agreement tools: lint an agreement file."`

	Agent agentCmd `cmd:"" help:"Run on a VPN node or CDN edge: pull the node's own configuration with its token and apply it (wg syncconf, nginx reload)."`

	Bench benchCmd `cmd:"" help:"Measure checkout, usage ingestion, refund decisions and portal pages over HTTP against the database engine's own ceiling (docs/BENCHMARKS.md)."`
}

type adminCmd struct {
	Verify      verifyCmd      `cmd:"" help:"Verify the audit chain (and ledger invariants as they are added); exit non-zero at the first break."`
	GenSecrets  genSecretsCmd  `cmd:"" name:"gen-secrets" help:"Print a fresh set of secrets as environment variables."`
	Outbox      outboxCmd      `cmd:"" help:"Print the notification delivery log and, in sandbox mode, the sandbox SMS outbox."`
	CreateStaff createStaffCmd `cmd:"" name:"create-staff" help:"Create a staff account (the first administrator); password from a prompt or stdin."`
	Usage       usageCmd       `cmd:"" help:"Record traffic samples without a node (sandbox, demo): record, demo."`
	Backup      backupCmd      `cmd:"" help:"Write a consistent backup (SQLite snapshot or pg_dump) with the keys sealed under a passphrase; safe while serve runs."`
	Restore     restoreCmd     `cmd:"" help:"Restore a backup into a new place, write its keys, and verify it."`
}

// env is what subcommands get from run.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError marks mistakes in how yuanxu was invoked or configured: bad
// flags, a corrupt config file, an unreachable database, a data directory
// that is not writable. They exit with status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// run is the whole program: it parses args (without os.Args, os.Getenv or
// os.Exit), runs the chosen command and returns its error.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	var c cli
	resolvers := []kong.Resolver{}
	cfgPath := configPath(args, getenv)
	if cfgPath != "" {
		r, err := fileResolver(cfgPath)
		if err != nil {
			return usageError{err}
		}
		resolvers = append(resolvers, r)
	}
	resolvers = append(resolvers, envResolver(getenv))
	exited := false
	parser, err := kong.New(&c,
		kong.Name("yuanxu"),
		kong.Description("yuanxu: self-service, billing and compliance platform for IDC companies."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { exited = true }),
		kong.Resolvers(resolvers...),
		kong.UsageOnError(),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if exited {
		return nil // --help
	}
	if err != nil {
		return usageError{err}
	}
	return kctx.Run(&env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// configPath finds --config before parsing, so the file can feed resolvers.
func configPath(args []string, getenv func(string) string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v
		}
		if a == "--config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return getenv("YUANXU_CONFIG")
}

// envResolver reads YUANXU_<FLAG> through the injected getenv, for the
// flags of serve only (which include --data and --db, shared with migrate
// and admin): a command's own options, such as agreement lint --lang, are
// never picked up from the environment by accident.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(kctx *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
		if f.Name == "help" || f.Name == "config" || !serveFlag(kctx.Model.Node, f.Name) {
			return nil, nil
		}
		name := "YUANXU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			return v, nil
		}
		return nil, nil
	})
}

// fileResolver loads a JSON config file strictly: a syntax error names the
// line and column, and an unknown key is an error.
func fileResolver(path string) (kong.Resolver, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	values := map[string]any{}
	if err := json.Unmarshal(b, &values); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(b, se.Offset)
			return nil, fmt.Errorf("config file %s: line %d, column %d: %v", path, line, col, se)
		}
		return nil, fmt.Errorf("config file %s: %w (want a JSON object of flag names)", path, err)
	}
	return &jsonResolver{path: path, values: values}, nil
}

type jsonResolver struct {
	path   string
	values map[string]any
}

func (j *jsonResolver) Validate(app *kong.Application) error {
	for k := range j.values {
		if !serveFlag(app.Node, strings.ReplaceAll(k, "_", "-")) {
			return fmt.Errorf("config file %s: unknown key %q (keys are serve's flags)", j.path, k)
		}
	}
	return nil
}

func (j *jsonResolver) Resolve(kctx *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	if !serveFlag(kctx.Model.Node, f.Name) {
		return nil, nil
	}
	v, ok := j.values[strings.ReplaceAll(f.Name, "-", "_")]
	if !ok {
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool, float64:
		return fmt.Sprint(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ","), nil
	}
	return nil, fmt.Errorf("config file %s: key %q must be a string, number, boolean or list", j.path, f.Name)
}

// serveFlag reports whether name is a flag of the serve command.
func serveFlag(root *kong.Node, name string) bool {
	for _, c := range root.Children {
		if c.Name != "serve" {
			continue
		}
		for _, f := range c.Flags {
			if f.Name == name {
				return true
			}
		}
	}
	return false
}

func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off-1 && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// lockedWriter serialises writes from the logger, River and the command.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	fmt.Fprintf(e.stdout, "yuanxu %s\n", Version)
	return nil
}
