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
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/blobseal"
	"github.com/adc-dz/tahsil/blobstore"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
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
	// Identity authenticates every request and keeps the secrets.
	Identity *identity.Service
	// LoginLimiter throttles the sign-in steps per client IP (429), checked
	// before any password hash is computed; KeyLimiter throttles each API
	// key. Both default to access.NewLimiter with the documented rates.
	LoginLimiter *access.Limiter
	KeyLimiter   *access.Limiter
	// TrustedProxies lists the networks (CIDR) of the reverse proxies whose
	// X-Forwarded-For names the client. Empty: the peer is the client.
	TrustedProxies []string
	// PublicURL is the address people reach Tahsil at (TAHSIL_URL), printed
	// on receipts for their verification; empty prints no link.
	PublicURL string
	// CORSOrigins lists the origins a browser may call the API from. Empty:
	// no cross-origin access.
	CORSOrigins []string
	// Blobs keeps the files of the documents attached to debts (required),
	// sealed under their debtor's data key (package blobseal): the event
	// log holds only their metadata.
	Blobs blobstore.Store
	// Plans configures payment plans (plans.go); the zero value is the
	// default.
	Plans  PlanConfig
	Logger *slog.Logger
	Now    func() time.Time
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
	if c.LoginLimiter == nil {
		c.LoginLimiter = mustLimiter(LoginRate, LoginBurst)
	}
	if c.KeyLimiter == nil {
		c.KeyLimiter = mustLimiter(APIKeyRate, APIKeyBurst)
	}
}

// mustLimiter builds a limiter from constants that are known to be valid.
func mustLimiter(r rate.Limit, burst int) *access.Limiter {
	l, err := access.NewLimiter(r, burst, 100_000)
	if err != nil {
		panic(err)
	}
	return l
}

// Default throttles: a person signing in needs a few attempts a minute; a
// password-guessing client from one address gets 429 long before the
// per-account locks matter. An integration may send steady traffic.
const (
	LoginRate   = rate.Limit(10.0 / 60) // ten sign-in steps a minute per IP...
	LoginBurst  = 10                    // ...after a first burst of ten
	APIKeyRate  = rate.Limit(20)        // requests per second per API key
	APIKeyBurst = 40
)

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
	if c.Identity == nil {
		errs = append(errs, errors.New("api: no identity service"))
	}
	if c.Blobs == nil {
		errs = append(errs, errors.New("api: no blob store for documents"))
	}
	for _, n := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(n); err != nil {
			errs = append(errs, fmt.Errorf("api: trusted proxy %q is not a CIDR network: %w", n, err))
		}
	}
	if err := c.Plans.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("api: plan policy: %w", err))
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
	// lists runs the list queries with a plan for each run's filters.
	lists *store.Queries
	log   *slog.Logger
	e     *echo.Echo
	// permissions maps "METHOD /path" to what the route needs.
	permissions map[string]access.Permission
	// background tracks security facts still being submitted.
	background sync.WaitGroup
	// importer runs the debt imports, imports those in the background.
	importer *Importer
	imports  *importRuns
	// docs seals the documents' files in cfg.Blobs under their debtor's
	// data key.
	docs *blobseal.Store
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, q: store.New(cfg.Pool), lists: store.New(customPlans{cfg.Pool}), log: cfg.Logger, permissions: map[string]access.Permission{}, imports: newImportRuns(),
		docs: blobseal.New(cfg.Blobs, cfg.Keys)}
	s.importer = newImporter(s)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	// The actor's address in the audit trail and the per-IP throttle is the
	// peer's, not what a client writes in X-Forwarded-For or X-Real-IP,
	// unless the peer is one of the configured proxies.
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(securityHeaders)
	if len(cfg.AllowedHosts) > 0 {
		e.Use(hostCheck(cfg.AllowedHosts))
	}
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", "If-Match", CSRFHeader},
			ExposeHeaders: []string{echo.HeaderLocation, "ETag", "Retry-After"},
			MaxAge:        600,
		}))
	}
	// A bare number of bytes: echo reads "1M" as 10^6 bytes, not 1 MiB.
	// A debt import and a document upload carry a file and bound their
	// bodies themselves.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.Itoa(MaxBodyBytes),
		Skipper: func(c echo.Context) bool {
			return c.Request().Method == http.MethodPost && (c.Path() == importDebtsPath || c.Path() == debtDocumentsPath)
		},
	}))
	s.e = e
	s.routes()
	return s, nil
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies.
func ipExtractor(proxies []string) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		_, ipnet, _ := net.ParseCIDR(n) // Validate checked it
		opts = append(opts, echo.TrustIPRange(ipnet))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Close interrupts the running imports, waits until they have recorded
// where they stopped, and waits for the security facts still being
// written.
func (s *Server) Close() {
	s.imports.stop()
	s.background.Wait()
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
