package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/store/engine"
)

// createStaffCmd creates a staff account — the first administrator of a
// production install. The password is read from the terminal (twice,
// without echo) or, when stdin is not a terminal, from its first line.
type createStaffCmd struct {
	dbFlags
	Email string   `help:"The staff member's email (their console login)." required:""`
	Name  string   `help:"Display name." required:""`
	Roles []string `help:"Roles, comma-separated (admin, support, support_lead, compliance_officer, compliance_lead, appeal_reviewer, finance, finance_approver, legal, operations, auditor)." required:"" sep:","`
	secretFlags
}

func (c *createStaffCmd) Run(e *env) error {
	roles, err := account.ParseRoles(c.Roles)
	if err != nil {
		return usageError{fmt.Errorf("--roles: %v", err)}
	}
	db, err := c.open(e.ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	secrets, err := app.LoadSecrets(e.ctx, db, app.SecretsConfig{SessionKey: c.SessionKey, PIIKeys: c.PIIKeys, BlindIndexKey: c.BlindIndexKey,
		Demo: c.Demo, Postgres: engine.IsPostgres(c.DB), DataDir: c.Data}, log)
	if err != nil {
		return usageError{err}
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	a, err := app.New(e.ctx, app.Config{DB: db, Logger: log, Secrets: secrets})
	if err != nil {
		return err
	}
	ctx := app.WithActor(e.ctx, app.Actor{ID: "system:create-staff"})
	v, err := a.CreateStaff(ctx, nil, app.CreateStaffInput{Email: c.Email, DisplayName: c.Name, Password: pw, Roles: roles})
	if err != nil {
		var ue *errs.Error
		if errors.As(err, &ue) {
			return usageError{fmt.Errorf("%s: %v", ue.Code, fieldList(ue))}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "created staff account %s (%s) with roles %s\n", v.ID, v.EmailMasked, strings.Join(rolesOf(v.Roles), ","))
	return nil
}

func fieldList(e *errs.Error) string {
	if len(e.Fields) == 0 {
		return e.Msg
	}
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, strings.TrimPrefix(f.Field, "body.")+": "+f.Rule)
	}
	return strings.Join(parts, "; ")
}

func rolesOf(rs []account.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// readPassword reads the password: from a terminal, prompted twice with
// echo off (stty); otherwise the first line of stdin.
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return promptPassword(f, e.stderr)
		}
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usage("no password on stdin")
	}
	return pw, nil
}

func promptPassword(tty *os.File, w io.Writer) (string, error) {
	stty := func(arg string) {
		cmd := exec.Command("stty", arg)
		cmd.Stdin = tty
		_ = cmd.Run()
	}
	stty("-echo")
	defer stty("echo")
	r := bufio.NewReader(tty)
	read := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		s, err := r.ReadString('\n')
		fmt.Fprintln(w)
		return strings.TrimRight(s, "\r\n"), err
	}
	p1, err := read("Password: ")
	if err != nil {
		return "", err
	}
	p2, err := read("Repeat password: ")
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", usage("the passwords differ")
	}
	return p1, nil
}
