package store

// GroupWaiting reports how many InTx callers are queued for a group (0 when
// group commit is off), so tests can form groups deterministically.
func GroupWaiting(db *DB) int {
	gc := db.gc.Load()
	if gc == nil {
		return 0
	}
	return gc.waitingLen()
}
