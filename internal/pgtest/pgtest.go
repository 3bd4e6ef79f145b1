// Package pgtest gives each test a PostgreSQL database of its own, already
// migrated to the current schema, so tests run against the real database,
// in parallel, without seeing each other's rows.
//
// The server is the one named by TAHSIL_TEST_DATABASE_URL (a superuser URL:
// pgtest creates and drops databases on it), or else a private PostgreSQL
// started from the machine's binaries once per test binary and shared by
// all its tests. A package using pgtest declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// so that the private server is stopped and its files removed when its
// tests are done.
//
// Migrations run once per test binary, into a template database; each test
// database is a copy of it (CREATE DATABASE ... TEMPLATE), which takes
// milliseconds where migrating would take much longer.
//
// The state below is process-wide on purpose: one server and one template
// serve every test of the binary.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/embedded"
	"github.com/adc-dz/tahsil/migrations"
)

// EnvURL names the environment variable holding a superuser connection
// string to an existing PostgreSQL server to use instead of a private one.
const EnvURL = "TAHSIL_TEST_DATABASE_URL"

var (
	mainCalled atomic.Bool
	startOnce  sync.Once
	shared     *server
	startErr   error
)

// server is the PostgreSQL server shared by the tests of this process.
type server struct {
	adminURL string
	admin    *pgxpool.Pool
	template string
	pg       *embedded.Postgres // nil when the server is external
	tmpDir   string

	// PostgreSQL refuses to copy a template that another session is
	// copying at the same moment, so copies are made one at a time.
	cloneMu sync.Mutex
}

// Main runs the tests of a package, then stops the private server (if one
// was started) and removes its files, and exits with the tests' status.
// Call it from TestMain.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Server returns a superuser connection string to the shared server, for
// tests that manage databases themselves. Prefer [New] or [URL].
func Server(t testing.TB) string {
	t.Helper()
	return get(t).adminURL
}

// URL creates a database for t from the migrated template and returns a
// connection string to it. The database is dropped when t ends, even if
// connections to it are still open.
func URL(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.clone(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quote(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(s.adminURL, name)
}

// New creates a database for t like [URL] and returns a pool connected to
// it, closed when t ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := URL(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: connect to test database: %v", err)
	}
	// Registered after URL's cleanup, so it runs before the drop.
	t.Cleanup(pool.Close)
	return pool
}

func get(t testing.TB) *server {
	t.Helper()
	startOnce.Do(func() { shared, startErr = start() })
	if startErr != nil {
		t.Fatalf("pgtest: %v", startErr)
	}
	return shared
}

func start() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Several test binaries may share an external server at once; the pid
	// keeps their templates apart.
	s := &server{template: fmt.Sprintf("tahsil_tmpl_%d", os.Getpid())}
	s.adminURL = os.Getenv(EnvURL)
	if s.adminURL == "" {
		if !mainCalled.Load() {
			return nil, fmt.Errorf("with no %s, pgtest starts a private PostgreSQL that only pgtest.Main stops: add func TestMain(m *testing.M) { pgtest.Main(m) } to the package", EnvURL)
		}
		if err := s.startPrivate(ctx); err != nil {
			return nil, err
		}
	}
	var err error
	if s.admin, err = pgxpool.New(ctx, s.adminURL); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to test server: %w", err), s.stopPrivate())
	}
	if err := s.migrateTemplate(ctx); err != nil {
		s.admin.Close()
		return nil, errors.Join(err, s.stopPrivate())
	}
	return s, nil
}

func (s *server) startPrivate(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "tahsil-pgtest-")
	if err != nil {
		return fmt.Errorf("temp dir for private server: %w", err)
	}
	// When we run as root the server runs as the postgres user, which
	// must be able to enter this directory; what it holds is disposable.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("temp dir for private server: %w", err)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("TAHSIL_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	pg, err := embedded.StartPostgres(ctx, embedded.PostgresConfig{
		DataDir: filepath.Join(dir, "pg"),
		NoSync:  true, // the data dies with the test binary
		Logger:  logger,
	})
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("start private server (or set %s): %w", EnvURL, err)
	}
	s.pg, s.tmpDir, s.adminURL = pg, dir, pg.URL()
	return nil
}

func (s *server) stopPrivate() error {
	if s.pg == nil {
		return nil
	}
	err := s.pg.Stop(context.Background())
	if rerr := os.RemoveAll(s.tmpDir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("remove %s: %w", s.tmpDir, rerr))
	}
	return err
}

func (s *server) migrateTemplate(ctx context.Context) error {
	tmpl := quote(s.template)
	// A template of the same name can only be a leftover of a dead
	// process whose pid we now have.
	if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+tmpl+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop leftover template %s: %w", s.template, err)
	}
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+tmpl); err != nil {
		return fmt.Errorf("create template %s: %w", s.template, err)
	}
	conn, err := pgx.Connect(ctx, withDatabase(s.adminURL, s.template))
	if err != nil {
		return fmt.Errorf("connect to template: %w", err)
	}
	_, err = migrations.Apply(ctx, conn)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	// Nobody may connect to the template from now on, as a copy needs it
	// idle.
	if _, err := s.admin.Exec(ctx, "ALTER DATABASE "+tmpl+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("close template to connections: %w", err)
	}
	return nil
}

// clone creates database name as a copy of the template. A copy fails
// while any session is attached to the template; ours are serialised, but
// autovacuum or a lingering session of the migration can still be there,
// so that failure is retried.
func (s *server) clone(ctx context.Context, name string) error {
	s.cloneMu.Lock()
	defer s.cloneMu.Unlock()
	sql := "CREATE DATABASE " + quote(name) + " TEMPLATE " + quote(s.template)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		_, err := s.admin.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			if err != nil {
				return fmt.Errorf("create database %s from %s: %w", name, s.template, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create database %s from %s: %w", name, s.template, err)
		case <-time.After(delay):
		}
	}
}

func shutdown() error {
	if shared == nil {
		return nil
	}
	s := shared
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if s.pg == nil {
		// On an external server, leave nothing behind.
		if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quote(s.template)+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop template %s: %w", s.template, err))
		}
	}
	s.admin.Close()
	if err := s.stopPrivate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// databaseName makes a unique database name that still tells which test
// created it, for whoever finds it left on a shared server.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString("test_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 5+40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var random [8]byte
	rand.Read(random[:])
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(random[:]))
	return b.String()
}

// withDatabase returns connString pointing at database db, for both
// connection string forms PostgreSQL accepts.
func withDatabase(connString, db string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		if u, err := url.Parse(connString); err == nil {
			u.Path, u.RawPath = "/"+db, ""
			q := u.Query()
			if q.Has("dbname") {
				q.Set("dbname", db)
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
	}
	// Keyword/value form: a later keyword overrides an earlier one.
	return connString + " dbname=" + db
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }
