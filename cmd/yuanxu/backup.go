package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/backup"
	"yuanxu/internal/store"
	"yuanxu/internal/store/engine"
)

// secretFlags name the secrets an install runs with, as for serve (and
// from the same YUANXU_* variables).
type secretFlags struct {
	SessionKey    string `name:"session-key" help:"Base64 session key; as for serve."`
	PIIKeys       string `name:"pii-keys" help:"PII key ring; as for serve."`
	BlindIndexKey string `name:"blind-index-key" help:"Base64 blind-index key; as for serve."`
	Demo          bool   `help:"Use the secrets a --demo database keeps."`
}

// passphraseFlags say where the passphrase sealing the keys comes from.
type passphraseFlags struct {
	PassphraseFile string `name:"passphrase-file" help:"File whose first line is the passphrase sealing the keys. Default: YUANXU_BACKUP_PASSPHRASE, else a prompt (a terminal) or the first line of stdin." type:"path" placeholder:"FILE"`
}

// passphraseEnv is read by backup and restore only (never by serve).
const passphraseEnv = "YUANXU_BACKUP_PASSPHRASE"

func (f passphraseFlags) read(e *env) (string, error) {
	if f.PassphraseFile != "" {
		b, err := os.ReadFile(f.PassphraseFile)
		if err != nil {
			return "", usage("--passphrase-file: %v", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if p := e.getenv(passphraseEnv); p != "" {
		return p, nil
	}
	return readPassword(e)
}

// backupCmd writes a backup directory: the database snapshot, the secrets
// sealed under a passphrase, and a manifest (README "Backup and restore").
type backupCmd struct {
	dbFlags
	secretFlags
	passphraseFlags
	Out    string `help:"Directory to create for the backup; it must not exist." required:"" placeholder:"DIR"`
	PgDump string `name:"pg-dump" help:"The pg_dump program (PostgreSQL)." default:"pg_dump" placeholder:"PATH"`
}

func (c *backupCmd) Run(e *env) error {
	cfg := c.config()
	pg := engine.IsPostgres(c.DB)
	if !pg {
		if _, err := os.Stat(engine.SQLitePath(cfg)); err != nil {
			return usage("no database to back up: %v", err)
		}
	}
	db, err := engine.Open(e.ctx, cfg)
	if err != nil {
		return usageError{err}
	}
	defer db.Close()
	sec, source, err := app.ReadSecretStrings(e.ctx, db, app.SecretsConfig{SessionKey: c.SessionKey, PIIKeys: c.PIIKeys,
		BlindIndexKey: c.BlindIndexKey, Demo: c.Demo, Postgres: pg, DataDir: c.Data})
	if err != nil {
		return usageError{err}
	}
	pass, err := c.passphraseFlags.read(e)
	if err != nil {
		return err
	}
	sealed, err := app.SealSecrets(sec, pass, backup.DefaultKDF)
	if err != nil {
		return usageError{err}
	}
	schema, err := db.SchemaVersion(e.ctx)
	if err != nil {
		return err
	}
	if err := os.Mkdir(c.Out, 0o700); err != nil {
		return usage("--out: %v (a backup goes into a new directory)", err)
	}
	m := backup.Manifest{Format: backup.ManifestFormat, Engine: string(db.Engine()), CreatedAt: time.Now().UTC(), Version: Version,
		SchemaVersion: schema, SecretsSource: source, PIIKeyIDs: sec.KeyIDs()}
	if err := c.write(e.ctx, db, &m, sealed); err != nil {
		_ = os.RemoveAll(c.Out) // nothing half-written is left to be mistaken for a backup
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s: %s database %s (%d bytes, sha256 %s, schema %d); keys %s sealed in %s\n"+
		"keep the passphrase apart from the backup: without it the personal information in the database cannot be read\n",
		c.Out, m.Engine, m.Database, m.Size, m.SHA256, m.SchemaVersion, strings.Join(m.PIIKeyIDs, ","), backup.KeyFile)
	return nil
}

func (c *backupCmd) write(ctx context.Context, db *store.DB, m *backup.Manifest, sealed []byte) error {
	if db.Engine() == store.Postgres {
		m.Database = backup.PostgresFile
		if err := pgTool(ctx, c.PgDump, "--format=custom", "--no-owner", "--no-privileges",
			"--file="+filepath.Join(c.Out, m.Database), "--dbname="+c.DB); err != nil {
			return err
		}
	} else {
		m.Database = backup.SQLiteFile
		if err := db.SnapshotSQLite(ctx, filepath.Join(c.Out, m.Database)); err != nil {
			return err
		}
	}
	// The snapshot holds sealed personal information and password hashes.
	if err := os.Chmod(filepath.Join(c.Out, m.Database), 0o600); err != nil {
		return err
	}
	var err error
	if m.SHA256, m.Size, err = fileDigest(filepath.Join(c.Out, m.Database)); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Out, backup.KeyFile), sealed, 0o600); err != nil {
		return err
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(c.Out, backup.ManifestFile), mb, 0o600)
}

// restoreCmd restores a backup directory into a new place and verifies it.
type restoreCmd struct {
	dbFlags
	passphraseFlags
	From       string `help:"The backup directory (made by admin backup)." required:"" type:"existingdir" placeholder:"DIR"`
	SecretsOut string `name:"secrets-out" help:"Write the secrets as YUANXU_* lines to FILE (mode 0600) instead of DIR/secrets.json; required for PostgreSQL." placeholder:"FILE"`
	PgRestore  string `name:"pg-restore" help:"The pg_restore program (PostgreSQL)." default:"pg_restore" placeholder:"PATH"`
}

func (c *restoreCmd) Run(e *env) error {
	mb, err := os.ReadFile(filepath.Join(c.From, backup.ManifestFile))
	if err != nil {
		return usage("--from: %v", err)
	}
	m, err := backup.ParseManifest(mb)
	if err != nil {
		return usageError{err}
	}
	pg := engine.IsPostgres(c.DB)
	if (m.Engine == "postgres") != pg {
		return usage("the backup is of a %s database; restore it with %s", m.Engine, map[bool]string{true: "--db postgres://…", false: "--data DIR (SQLite)"}[m.Engine == "postgres"])
	}
	if pg && c.SecretsOut == "" {
		return usage("PostgreSQL installs take their secrets from configuration: name a file with --secrets-out")
	}
	// The keys first: a wrong passphrase restores nothing.
	kf, err := os.ReadFile(filepath.Join(c.From, backup.KeyFile))
	if err != nil {
		return usage("--from: %v", err)
	}
	pass, err := c.passphraseFlags.read(e)
	if err != nil {
		return err
	}
	sec, err := app.OpenSealedSecrets(kf, pass)
	if errors.Is(err, backup.ErrPassphrase) {
		return usage("wrong passphrase (or %s was altered): nothing was restored", backup.KeyFile)
	} else if err != nil {
		return usageError{err}
	}
	if ids := sec.KeyIDs(); !slices.Equal(ids, m.PIIKeyIDs) {
		return usage("%s holds keys %v but the manifest names %v: nothing was restored", backup.KeyFile, ids, m.PIIKeyIDs)
	}
	src := filepath.Join(c.From, m.Database)
	if sum, _, err := fileDigest(src); err != nil {
		return usage("--from: %v", err)
	} else if sum != m.SHA256 {
		return usage("%s does not match the manifest's SHA-256 (damaged or altered): nothing was restored", m.Database)
	}
	cleanup, err := c.load(e.ctx, src)
	if err != nil {
		return err
	}
	if err := c.writeSecrets(sec); err != nil {
		cleanup()
		return usageError{err}
	}
	db, err := c.open(e.ctx) // migrates a backup made by an older binary
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "restored %s database from %s (made %s by yuanxu %s, schema %d); keys %s\n",
		m.Engine, c.From, m.CreatedAt.Format(time.RFC3339), m.Version, m.SchemaVersion, strings.Join(m.PIIKeyIDs, ","))
	return verifyDB(e.ctx, db, e.stdout)
}

// load puts the database in place: a new SQLite file, or pg_restore into an
// empty PostgreSQL database. cleanup undoes it (SQLite only: a dropped
// PostgreSQL database is the operator's to recreate).
func (c *restoreCmd) load(ctx context.Context, src string) (cleanup func(), err error) {
	if engine.IsPostgres(c.DB) {
		db, err := engine.Open(ctx, c.config())
		if err != nil {
			return nil, usageError{err}
		}
		empty, err := db.SchemaEmpty(ctx)
		db.Close()
		if err != nil {
			return nil, err
		}
		if !empty {
			return nil, usage("the target database is not empty: restore into a new database (createdb)")
		}
		if err := pgTool(ctx, c.PgRestore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+c.DB, src); err != nil {
			return nil, err
		}
		return func() {}, nil
	}
	dest := engine.SQLitePath(c.config())
	if _, err := os.Stat(dest); err == nil {
		return nil, usage("%s already exists: restore into a new place", dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return nil, usageError{err}
	}
	if err := copyFile(src, dest); err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(dest) }, nil
}

func (c *restoreCmd) writeSecrets(s app.SecretStrings) error {
	if c.SecretsOut == "" {
		return app.WriteSecretsFile(c.Data, s)
	}
	lines := fmt.Sprintf("YUANXU_SESSION_KEY=%s\nYUANXU_PII_KEYS=%s\nYUANXU_BLIND_INDEX_KEY=%s\n", s.SessionKey, s.PIIKeys, s.BlindIndexKey)
	f, err := os.OpenFile(c.SecretsOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--secrets-out: %w", err)
	}
	if _, err := f.WriteString(lines); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pgTool runs pg_dump or pg_restore; a missing program is a usage error
// naming it.
func pgTool(ctx context.Context, prog string, args ...string) error {
	path, err := exec.LookPath(prog)
	if err != nil {
		return usage("%s is needed for PostgreSQL backups (install the PostgreSQL client, or name it with --pg-dump/--pg-restore): %v", prog, err)
	}
	var errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		return fmt.Errorf("%s: %v: %s", filepath.Base(prog), err, engine.Redact(firstLine(msg)))
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, bufio.NewReader(f))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// copyFile copies src to a new file dst (mode 0600) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
