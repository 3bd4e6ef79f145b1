package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz is liveness: the process answers.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is readiness: the database answers and no projection is stopped.
// Problems are listed by name so an operator sees what to fix.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	problems := map[string]any{}
	if err := s.cfg.Pool.Ping(ctx); err != nil {
		problems["postgres"] = "unreachable"
	}
	if s.cfg.Ready != nil {
		for k, v := range s.cfg.Ready(ctx) {
			problems[k] = v
		}
	}
	if len(problems) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "not_ready", "problems": problems})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready"})
}
