package api

// routes lists every route of the API, so the whole surface reads at a glance.
func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.cfg.Metrics != nil {
		e.GET("/metrics", func(c echoContext) error { s.cfg.Metrics.ServeHTTP(c.Response(), c.Request()); return nil })
	}

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", s.openAPI)
	v1.POST("/creditors", s.creditorCreate)
	v1.GET("/creditors", s.creditorList)
	v1.GET("/creditors/:id", s.creditorGet)
	v1.PATCH("/creditors/:id", s.creditorUpdate)
	v1.DELETE("/creditors/:id", s.creditorArchive)
	v1.GET("/creditors/:id/history", s.creditorHistory)

	v1.POST("/debtors", s.debtorCreate)
	v1.GET("/debtors", s.debtorList)
	v1.GET("/debtors/:id", s.debtorGet)
	v1.PATCH("/debtors/:id", s.debtorUpdate)
	v1.DELETE("/debtors/:id", s.debtorArchive)
	v1.GET("/debtors/:id/history", s.debtorHistory)

	v1.GET("/commands/:id", s.commandGet)
}
