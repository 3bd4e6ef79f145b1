// Package api serves Tahsil's REST API (/api/v1) and its health endpoints.
//
// A request never writes a read model: it validates its input, checks the
// invariants that span aggregates against the read models, builds a
// command and submits it to the bus. It then waits, bounded, for the
// decider's outcome and for the projections to apply the resulting events,
// and answers from the read model (read-your-writes). When either wait
// runs out it answers 202 with the command id.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// MaxBodyBytes bounds request bodies (413 above).
const MaxBodyBytes = 1 << 20

// Bus submits commands and returns their outcomes (events.Bus).
type Bus interface {
	Submit(ctx context.Context, cmd *events.CommandEnvelope) (*events.Outcome, error)
	Recent(commandID string) (*events.Outcome, bool)
}

// Progress tells when the read models reflect an event (projections.Progress).
type Progress interface {
	Wait(ctx context.Context, partition int32, offset int64) error
}

// Readiness reports what keeps the service from being ready: one entry per
// failing check, empty when ready. Details are shown on /readyz.
type Readiness func(ctx context.Context) map[string]any

// Config configures the API server.
type Config struct {
	Pool     *pgxpool.Pool
	Bus      Bus
	Progress Progress
	Registry *events.Registry
	Sealer   *events.Sealer
	Keys     *keyring.Keyring
	// ClaimKey keys the digests of unique values (NIN, NIF, references).
	ClaimKey []byte
	// Ready reports readiness problems (nil: always ready).
	Ready Readiness
	// Metrics serves /metrics when set.
	Metrics http.Handler
	// ProjectionWait bounds the read-your-writes wait (default 5 s).
	ProjectionWait time.Duration
	// AllowedHosts lists the Host header values served (host or
	// host:port, case-insensitive). A request naming another host gets 421:
	// it defeats DNS rebinding from a browser on the same machine. Empty
	// serves any host.
	AllowedHosts []string
	Logger       *slog.Logger
	Now          func() time.Time
}

func (c *Config) setDefaults() {
	if c.ProjectionWait == 0 {
		c.ProjectionWait = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every missing dependency at once.
func (c Config) Validate() error {
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("api: no database pool"))
	}
	if c.Bus == nil {
		errs = append(errs, errors.New("api: no bus"))
	}
	if c.Progress == nil {
		errs = append(errs, errors.New("api: no projection progress"))
	}
	if c.Registry == nil || c.Sealer == nil || c.Keys == nil {
		errs = append(errs, errors.New("api: registry, sealer and keyring are required"))
	}
	if len(c.ClaimKey) < 32 {
		errs = append(errs, errors.New("api: claim key must be at least 32 bytes"))
	}
	return errors.Join(errs...)
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg Config
	q   *store.Queries
	log *slog.Logger
	e   *echo.Echo
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, q: store.New(cfg.Pool), log: cfg.Logger}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	// The actor's address in the audit trail is the peer's, not what a
	// client writes in X-Forwarded-For or X-Real-IP.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(securityHeaders)
	if len(cfg.AllowedHosts) > 0 {
		e.Use(hostCheck(cfg.AllowedHosts))
	}
	// A bare number of bytes: echo reads "1M" as 10^6 bytes, not 1 MiB.
	e.Use(middleware.BodyLimit(strconv.Itoa(MaxBodyBytes)))
	s.e = e
	s.routes()
	return s, nil
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.e }

// Echo exposes the router, for route-table tests.
func (s *Server) Echo() *echo.Echo { return s.e }

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		return next(c)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func hostCheck(allowed []string) echo.MiddlewareFunc {
	set := map[string]bool{}
	for _, h := range allowed {
		set[strings.ToLower(h)] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			host := strings.ToLower(c.Request().Host)
			name := host
			if h, _, err := net.SplitHostPort(host); err == nil {
				name = h
			}
			if set[host] || set[name] {
				return next(c)
			}
			return problem(http.StatusMisdirectedRequest, "unknown-host", "Unknown host",
				"this server does not answer for the host named in the request")
		}
	}
}
