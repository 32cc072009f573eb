package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// ConnCache reports the statement cache of one connection of pool: how
// many statements it holds and how many executions it served from them.
func ConnCache(ctx context.Context, pool *sql.DB) (size int, hits int64, err error) {
	c, err := pool.Conn(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		cc, ok := dc.(*cachedConn)
		if !ok {
			return fmt.Errorf("connection is a %T, not a cachedConn", dc)
		}
		size, hits = cc.lru.Len(), cc.hits
		return nil
	})
	return size, hits, err
}
