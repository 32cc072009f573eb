package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"yuanxu/internal/app"
)

func TestCreateStaffReadsPasswordFromStdinAndLogsIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantErr string
	}{
		{"creates", []string{"--email", "root@corp.example", "--name", "Root", "--roles", "admin,auditor"}, "a long admin passphrase\n", ""},
		{"duplicate", []string{"--email", "root@corp.example", "--name", "Root", "--roles", "admin"}, "a long admin passphrase\n", "account.email_taken"},
		{"unknown role", []string{"--email", "x@corp.example", "--name", "X", "--roles", "king"}, "a long admin passphrase\n", "--roles"},
		{"common password", []string{"--email", "y@corp.example", "--name", "Y", "--roles", "admin"}, "password123\n", "password"},
		{"no password", []string{"--email", "z@corp.example", "--name", "Z", "--roles", "admin"}, "", "no password"},
	}
	for _, tt := range tests { // sequential: one data directory
		var out, errb bytes.Buffer
		args := append([]string{"admin", "create-staff", "--data", dir}, tt.args...)
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(tt.stdin), &out, &errb)
		if tt.wantErr == "" {
			if err != nil || !strings.Contains(out.String(), "created staff account") {
				t.Fatalf("%s: %v\n%s%s", tt.name, err, out.String(), errb.String())
			}
			if strings.Contains(out.String(), "root@corp.example") {
				t.Fatalf("%s: unmasked email in output: %s", tt.name, out.String())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != 2 {
			t.Fatalf("%s: err = %v, want %q (exit 2)", tt.name, err, tt.wantErr)
		}
	}
	// The administrator can log in on the console with that password.
	db := openFor(t, []string{"--data", dir})
	defer db.Close()
	sec, err := app.LoadSecrets(context.Background(), db, app.SecretsConfig{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Config{DB: db, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Login(context.Background(), app.LoginInput{Login: "root@corp.example", Password: "a long admin passphrase", Staff: true})
	if err != nil || res.SessionToken == "" {
		t.Fatalf("login: %v", err)
	}
	p, _, err := a.Authenticate(context.Background(), res.SessionToken)
	if err != nil || len(p.Roles) != 2 {
		t.Fatalf("principal %+v, %v", p, err)
	}
}
