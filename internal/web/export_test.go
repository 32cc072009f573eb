package web

// RouteList returns every pattern of the router NewServer builds from c,
// in registration order (see server.routeList). The routes depend only on
// c (the app's sandbox mode, the callbacks), so a twin built from the
// Config of the server under test lists that server's routes.
func RouteList(c Config) ([]string, error) {
	s, err := newServer(c)
	if err != nil {
		return nil, err
	}
	return s.routeList(), nil
}
