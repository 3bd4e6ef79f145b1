package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/embedded"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/migrations"
)

// Env is the machinery one benchmark run shares: a temporary directory and
// one PostgreSQL server, with its production settings (fsync on), holding a
// database per scenario. Brokers are started per scenario, so that each
// scenario's log holds only its own records.
type Env struct {
	Dir        string
	Log        *slog.Logger
	Partitions int32
	// KafkaNoSync starts the brokers without their fsync per batch, for
	// investigation only: it is not how Tahsil runs.
	KafkaNoSync bool
	// Progress receives the run's progress messages (default Log).
	Progress *slog.Logger

	autoExplain time.Duration

	pg       *embedded.Postgres
	admin    *pgxpool.Pool
	keep     bool
	pgVer    string
	brokerID int
}

// EnvConfig configures an Env.
type EnvConfig struct {
	// Dir is where the data goes (default: a new temporary directory,
	// removed by Close unless Keep).
	Dir         string
	Keep        bool
	Partitions  int32
	KafkaNoSync bool
	Log         *slog.Logger
	Progress    *slog.Logger
	// AutoExplain, when positive, makes PostgreSQL log the plan of every
	// statement slower than it (auto_explain), for investigation; the plans
	// reach Log at info level.
	AutoExplain time.Duration
}

// StartEnv initialises and starts the PostgreSQL server.
func StartEnv(ctx context.Context, cfg EnvConfig) (*Env, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 6
	}
	dir := cfg.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "tahsil-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// When run as root, PostgreSQL runs as the postgres user, which must
	// reach the data directory's parent.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, Log: cfg.Log, Partitions: cfg.Partitions, KafkaNoSync: cfg.KafkaNoSync, keep: cfg.Keep || cfg.Dir != "", Progress: cfg.Progress, autoExplain: cfg.AutoExplain}
	start := time.Now()
	pg, err := embedded.StartPostgres(ctx, embedded.PostgresConfig{DataDir: filepath.Join(dir, "pg"), Logger: cfg.Log})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.pg = pg
	if e.admin, err = pgxpool.New(ctx, pg.URL()); err != nil {
		e.Close()
		return nil, err
	}
	if err := e.admin.QueryRow(ctx, "SHOW server_version").Scan(&e.pgVer); err != nil {
		e.Close()
		return nil, err
	}
	var fsync, syncCommit string
	if err := e.admin.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit); err != nil {
		e.Close()
		return nil, err
	}
	if fsync != "on" || syncCommit != "on" {
		e.Close()
		return nil, fmt.Errorf("bench: PostgreSQL runs with fsync=%s synchronous_commit=%s; the benchmark needs production settings", fsync, syncCommit)
	}
	e.Say("PostgreSQL ready", "version", e.pgVer, "took", time.Since(start))
	return e, nil
}

// Say reports progress on stderr.
func (e *Env) Say(msg string, args ...any) {
	l := e.Progress
	if l == nil {
		l = e.Log
	}
	l.Info("bench: "+msg, args...)
}

// PostgresVersion returns the server's version.
func (e *Env) PostgresVersion() string { return e.pgVer }

// CreateDatabase creates a fresh database and migrates it.
func (e *Env) CreateDatabase(ctx context.Context, name string) error {
	if _, err := e.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := e.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if e.autoExplain > 0 {
		for _, set := range []string{"session_preload_libraries = 'auto_explain'",
			fmt.Sprintf("auto_explain.log_min_duration = %d", e.autoExplain.Milliseconds())} {
			if _, err := e.admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET "+set); err != nil {
				return err
			}
		}
	}
	pool, err := e.Pool(ctx, name, 2, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := migrations.Apply(ctx, conn.Conn()); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	return nil
}

// Pool opens another pool on an existing database of the server.
func (e *Env) Pool(ctx context.Context, name string, maxConns int32, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	u, err := url.Parse(e.pg.URL())
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	pcfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	pcfg.MaxConns = maxConns
	pcfg.ConnConfig.Tracer = tracer
	return pgxpool.NewWithConfig(ctx, pcfg)
}

// Broker starts a fresh embedded broker on 127.0.0.1 (a free port) with
// the durable defaults, and creates Tahsil's topics on it.
func (e *Env) Broker(ctx context.Context, name string) (*embedded.Kafka, error) {
	e.brokerID++
	k, err := embedded.StartKafka(ctx, embedded.KafkaConfig{
		Addr: "127.0.0.1:0", DataDir: filepath.Join(e.Dir, fmt.Sprintf("kafka-%d-%s", e.brokerID, name)),
		Partitions: int(e.Partitions), NoSync: e.KafkaNoSync, Logger: slog.New(minLevel{e.Log.Handler(), slog.LevelError}),
	})
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addr()))
	if err != nil {
		k.Close()
		return nil, err
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = events.EnsureTopics(tctx, cl, events.TopicsConfig{Partitions: e.Partitions})
	cancel()
	cl.Close()
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("topics: %w", err)
	}
	return k, nil
}

// DropDatabase removes a scenario's database to free the disk early.
func (e *Env) DropDatabase(ctx context.Context, name string) error {
	_, err := e.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Close stops PostgreSQL and removes the directory unless asked to keep it.
func (e *Env) Close() error {
	var errs []error
	if e.admin != nil {
		e.admin.Close()
	}
	if e.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		errs = append(errs, e.pg.Stop(ctx))
		cancel()
	}
	if !e.keep {
		errs = append(errs, os.RemoveAll(e.Dir))
	}
	return errors.Join(errs...)
}

// minLevel drops records below a level: kfake warns of every EndTxn slower
// than a few milliseconds, which an fsync per batch makes the rule.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
