package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"yuanxu/internal/backup"
	"yuanxu/internal/store"
)

// ReadSecretStrings returns the secrets an install runs with, in
// configuration syntax, for `admin backup`: the configured ones, else the
// data directory's secrets.json, else (--demo) those kept in the database.
// Unlike LoadSecrets it never generates: a missing secrets.json means the
// wrong data directory, and a backup without its keys is unreadable.
func ReadSecretStrings(ctx context.Context, db *store.DB, c SecretsConfig) (SecretStrings, string, error) {
	f := SecretStrings{SessionKey: c.SessionKey, PIIKeys: c.PIIKeys, BlindIndexKey: c.BlindIndexKey}
	source := "config"
	configured, err := c.configured()
	switch {
	case err != nil:
		return f, "", err
	case configured:
	case c.Demo:
		if f, err = demoSecretStrings(ctx, db); err != nil {
			return f, "", err
		}
		source = "demo-db"
	case c.Postgres:
		return f, "", ErrSecretsRequired
	default:
		path := filepath.Join(c.DataDir, "secrets.json")
		b, err := os.ReadFile(path)
		if err != nil {
			return f, "", fmt.Errorf("secrets: %w (is --data the directory serve runs with?)", err)
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return f, "", fmt.Errorf("secrets: %s is not valid JSON: %w", path, err)
		}
		source = "data-dir"
	}
	if _, err := parseSecrets(f.SessionKey, f.PIIKeys, f.BlindIndexKey); err != nil {
		return f, "", err
	}
	return f, source, nil
}

// KeyIDs lists the PII key ids of s, primary first.
func (s SecretStrings) KeyIDs() []string {
	sec, err := parseSecrets(s.SessionKey, s.PIIKeys, s.BlindIndexKey)
	if err != nil {
		return nil
	}
	return sec.PII.KeyIDs()
}

// SealSecrets seals s under passphrase into a backup key file.
func SealSecrets(s SecretStrings, passphrase string, kdf backup.KDFParams) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return backup.Seal(b, passphrase, kdf, nil)
}

// OpenSealedSecrets opens a backup key file and checks that what it holds
// is a usable set of secrets. Errors wrap backup.ErrPassphrase or
// backup.ErrFormat.
func OpenSealedSecrets(file []byte, passphrase string) (SecretStrings, error) {
	var s SecretStrings
	b, err := backup.Open(file, passphrase)
	if err != nil {
		return s, err
	}
	defer clear(b)
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%w: %v", backup.ErrFormat, err)
	}
	if _, err := parseSecrets(s.SessionKey, s.PIIKeys, s.BlindIndexKey); err != nil {
		return s, fmt.Errorf("%w: %v", backup.ErrFormat, err)
	}
	return s, nil
}

// WriteSecretsFile writes s as dir/secrets.json (mode 0600, atomically), the
// file a single-instance SQLite install reads. It refuses to replace an
// existing file that holds other secrets: those would make the data they
// sealed unreadable.
func WriteSecretsFile(dir string, s SecretStrings) error {
	path := filepath.Join(dir, "secrets.json")
	if b, err := os.ReadFile(path); err == nil {
		var old SecretStrings
		if json.Unmarshal(b, &old) == nil && old == s {
			return nil
		}
		return fmt.Errorf("secrets: %s already holds other secrets; move it away first", path)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	return nil
}
