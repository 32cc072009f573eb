package web

import "yuanxu/internal/web/pages"

// registerPages mounts the portal and the console on the root mux. pages
// owns the catch-all "/" (its 404 page); /api/ and the other routes here
// are more specific and win.
func (s *server) registerPages() error {
	return pages.Register(s.root, pages.Config{App: s.app, Version: s.version, Logger: s.log, Routes: &s.pageRoutes})
}
