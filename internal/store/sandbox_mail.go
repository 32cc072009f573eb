package store

import (
	"context"
	"time"
)

// SandboxMail is one message the sandbox SMTP sink received.
type SandboxMail struct {
	ID         string
	Rcpt       []byte // sealed
	RcptIndex  []byte
	RcptMasked string
	From       string
	Subject    string
	MessageID  string
	Text       string
	SizeBytes  int64
	ReceivedAt time.Time // wall time
}

// SandboxMailInsert stores a received message.
func (tx *Tx) SandboxMailInsert(ctx context.Context, m SandboxMail) error {
	_, err := tx.Exec(ctx, `INSERT INTO notify_sandbox_mail (id, rcpt, rcpt_index, rcpt_masked, mail_from, subject, message_id, text, size_bytes, received_at_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		m.ID, m.Rcpt, m.RcptIndex, m.RcptMasked, m.From, m.Subject, m.MessageID, m.Text, m.SizeBytes, Ms(m.ReceivedAt))
	return err
}

// SandboxMailList lists received messages newest first; a non-nil
// rcptIndex selects one recipient's.
func (db *DB) SandboxMailList(ctx context.Context, rcptIndex []byte, limit int) ([]SandboxMail, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT id, rcpt, rcpt_index, rcpt_masked, mail_from, subject, message_id, text, size_bytes, received_at_ms FROM notify_sandbox_mail`
	args := []any{limit}
	if rcptIndex != nil {
		q += ` WHERE rcpt_index = $2`
		args = append(args, rcptIndex)
	}
	rows, err := db.Query(ctx, q+` ORDER BY received_at_ms DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SandboxMail
	for rows.Next() {
		var m SandboxMail
		var at int64
		if err := rows.Scan(&m.ID, &m.Rcpt, &m.RcptIndex, &m.RcptMasked, &m.From, &m.Subject, &m.MessageID, &m.Text, &m.SizeBytes, &at); err != nil {
			return nil, err
		}
		m.ReceivedAt = FromMs(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
