package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
)

// The engine's own ceiling, measured on the same machine in the same run.

// pgbenchCeiling initialises a scratch database with `pgbench -i -s 1`
// and runs `pgbench -N` (the simple-update script without the branch and
// teller hot rows) at clients for d. ok is false when pgbench is not
// installed. stats, when set, is the server's connection for the
// write-ahead log each run writes (wal.go).
func pgbenchCeiling(ctx context.Context, pgURL string, stats *sql.DB, clientCounts []int, d time.Duration) (map[int]measured, bool, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return nil, false, nil
	}
	u, drop, err := scratchDatabase(ctx, pgURL, "yuanxu_bench_pgbench")
	if err != nil {
		return nil, true, err
	}
	defer drop()
	if out, err := exec.CommandContext(ctx, bin, "-i", "-q", "-s", "1", u).CombinedOutput(); err != nil {
		return nil, true, fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	res := map[int]measured{}
	secs := max(1, int(d/time.Second))
	for _, c := range clientCounts {
		walBefore := sampleWAL(ctx, stats)
		out, err := exec.CommandContext(ctx, bin, "-N", "-n", "-c", strconv.Itoa(c), "-j", strconv.Itoa(min(c, 2)), "-T", strconv.Itoa(secs), u).CombinedOutput()
		if err != nil {
			return nil, true, fmt.Errorf("pgbench -N -c %d: %v: %s", c, err, out)
		}
		m, err := parsePgbench(string(out), time.Duration(secs)*time.Second)
		if err != nil {
			return nil, true, err
		}
		m.WAL, m.WALOK = sampleWAL(ctx, stats).since(walBefore)
		res[c] = m
	}
	return res, true, nil
}

var (
	pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	pgbenchLat = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// parsePgbench reads tps and the average latency from pgbench's report
// (pgbench prints no percentiles: p50 holds the average, p99 is 0).
func parsePgbench(out string, d time.Duration) (measured, error) {
	t := pgbenchTPS.FindStringSubmatch(out)
	if t == nil {
		return measured{}, fmt.Errorf("pgbench: no tps in its report: %.300s", out)
	}
	tps, _ := strconv.ParseFloat(t[1], 64)
	m := measured{Elapsed: d, Units: int64(tps * d.Seconds())}
	m.Ops = m.Units
	if l := pgbenchLat.FindStringSubmatch(out); l != nil {
		ms, _ := strconv.ParseFloat(l[1], 64)
		m.lat = []time.Duration{time.Duration(ms * float64(time.Millisecond))}
	}
	return m, nil
}

// The SQLite ceiling's schema and transaction, shared with groupCommit.
const (
	ceilingSchema = `CREATE TABLE acct (id INTEGER PRIMARY KEY, balance_fen INTEGER NOT NULL);
CREATE TABLE hist (id INTEGER PRIMARY KEY AUTOINCREMENT, acct INTEGER NOT NULL, amount_fen INTEGER NOT NULL, at_ms INTEGER NOT NULL);
INSERT INTO acct VALUES (1, 1000000000)`
	ceilingInsert = `INSERT INTO hist (acct, amount_fen, at_ms) VALUES (1, -100, $1)`
	ceilingUpdate = `UPDATE acct SET balance_fen = balance_fen - 100 WHERE id = 1`
)

// sqliteCeiling is a bare single-writer loop on a scratch SQLite file
// opened exactly as yuanxu opens its own (WAL, synchronous=FULL,
// BEGIN IMMEDIATE, one writer connection): each transaction inserts one
// row and updates one balance row, then commits (one fsync per commit).
func sqliteCeiling(ctx context.Context, dir string, d time.Duration) (measured, error) {
	db, err := sqlite.Open(tempPath(dir, "ceiling-tx.db"), sqlite.Options{})
	if err != nil {
		return measured{}, err
	}
	defer db.Close()
	w := db.Writer()
	if _, err := w.ExecContext(ctx, ceilingSchema); err != nil {
		return measured{}, err
	}
	return closedLoop(ctx, 1, d, func(ctx context.Context, _ int) (int, error) {
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, ceilingInsert, time.Now().UnixMilli()); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, ceilingUpdate); err != nil {
			return 0, err
		}
		return 1, tx.Commit()
	}), nil
}

// groupCommit runs the ceiling's own transaction (sqliteCeiling: insert
// one row, update one balance row) through store.InTx, from clients
// concurrent writers, on a scratch file opened as yuanxu opens its own
// with group commit on (ADR 10): each InTx returns only after the commit
// that holds it is durable. It measures what issue 19's SQLite goal names
// — group commit against the one-fsync-per-commit ceiling — on the same
// work as that ceiling; the checkout cases measure the whole checkout
// against it. The note gives the mean InTx calls per physical commit.
func groupCommit(ctx context.Context, dir string, clients int, d time.Duration) (measured, string, error) {
	db, err := sqlite.Open(tempPath(dir, "group-commit.db"), sqlite.Options{})
	if err != nil {
		return measured{}, "", err
	}
	defer db.Close()
	if _, err := db.Writer().ExecContext(ctx, ceilingSchema); err != nil {
		return measured{}, "", err
	}
	m := closedLoop(ctx, clients, d, func(ctx context.Context, _ int) (int, error) {
		return 1, db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Exec(ctx, ceilingInsert, time.Now().UnixMilli()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, ceilingUpdate)
			return err
		})
	})
	groups, members := db.GroupCommitStats()
	note := "the ceiling's transaction through store.InTx, group commit on"
	if groups > 0 {
		note += fmt.Sprintf(": %.1f InTx per commit (fsync)", float64(members)/float64(groups))
	}
	return m, note, nil
}

// fsyncProbe times what one durable commit costs the disk under dir: a
// loop of a 4 KiB write and fsync on a scratch file, one at a time. When
// it is far faster than the bare SQLite loop, that ceiling is bound by the
// CPU rather than by the disk, and group commit (which saves fsyncs) has
// little to save on this machine.
func fsyncProbe(ctx context.Context, dir string, d time.Duration) (measured, error) {
	f, err := os.Create(tempPath(dir, "fsync-probe"))
	if err != nil {
		return measured{}, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	return closedLoop(ctx, 1, d, func(ctx context.Context, _ int) (int, error) {
		if _, err := f.WriteAt(buf, 0); err != nil {
			return 0, err
		}
		return 1, f.Sync()
	}), nil
}

// batchInsertCeiling inserts batches of size rows shaped like usage
// samples (service, interval start, seconds, rx, tx, class, billed bytes,
// node, received at; primary key service and start) into a scratch table
// of w, one multi-row INSERT and one commit per batch, from clients
// goroutines: the bare cost of storing what usage ingestion stores.
// Placeholders are the engine's positional ones: ? on SQLite, where $n
// are named parameters that the driver binds by a linear lookup each (a
// batch of 9,000 of them costs seconds), $n on PostgreSQL.
func batchInsertCeiling(ctx context.Context, w *sql.DB, eng, table string, clients, size int, d time.Duration) (measured, error) {
	if _, err := w.ExecContext(ctx, `CREATE TABLE `+table+` (service_id TEXT NOT NULL, start_ms BIGINT NOT NULL, seconds BIGINT NOT NULL,
 rx_bytes BIGINT NOT NULL, tx_bytes BIGINT NOT NULL, class TEXT NOT NULL, billed_bytes BIGINT NOT NULL, node_id TEXT NOT NULL,
 received_at_ms BIGINT NOT NULL, PRIMARY KEY (service_id, start_ms))`); err != nil {
		return measured{}, err
	}
	defer func() { _, _ = w.ExecContext(context.Background(), `DROP TABLE `+table) }()
	var q strings.Builder
	q.WriteString(`INSERT INTO ` + table + ` VALUES `)
	for i := range size {
		if i > 0 {
			q.WriteByte(',')
		}
		if eng == SQLite {
			q.WriteString("(?,?,?,?,?,?,?,?,?)")
			continue
		}
		b := i * 9
		fmt.Fprintf(&q, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9)
	}
	stmt := q.String()
	next := make([]int64, clients)
	return closedLoop(ctx, clients, d, func(ctx context.Context, c int) (int, error) {
		args := make([]any, 0, size*9)
		now := time.Now().UnixMilli()
		for i := range size {
			args = append(args, fmt.Sprintf("svc-%d", c), next[c]+int64(i), 1, 100+i%7, 1000+i%13, "customer", 1000+i%13, "sandbox", now)
		}
		next[c] += int64(size)
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return 0, err
		}
		return size, tx.Commit()
	}), nil
}
