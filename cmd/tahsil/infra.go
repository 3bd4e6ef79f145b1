package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/embedded"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/migrations"
	"github.com/adc-dz/tahsil/store"
)

// infra is what every subcommand that touches data needs: the Kafka
// brokers, a migrated database, and the keys. With no addresses
// configured it starts the embedded broker and PostgreSQL.
type infra struct {
	brokers  []string
	pool     *pgxpool.Pool
	master   keyring.Master
	keys     *keyring.Keyring
	sealer   *events.Sealer
	registry *events.Registry
	// keyLock is the connection that holds the master-key lock: shared
	// while the process uses the key, exclusive during a rotation.
	keyLock *pgx.Conn

	kafka    *embedded.Kafka
	postgres *embedded.Postgres
	log      *slog.Logger
}

// share says what openInfra does when a `tahsil serve` already runs the
// embedded broker or PostgreSQL of the data directory. Neither can be
// started twice on the same files, and with the embedded default they live
// inside that server's process.
type share int

const (
	// shareNever refuses, with a message saying to stop the server: for
	// serve itself, since two servers cannot share one data directory.
	shareNever share = iota
	// shareAllowed uses the running server's broker and PostgreSQL, or
	// starts them when no server runs (users, migrate, projections).
	shareAllowed
	// shareRequired refuses unless a server runs them: the demo talks to
	// that server's API.
	shareRequired
)

// infraNeeds says what a subcommand needs of openInfra.
type infraNeeds struct {
	kafka bool // the brokers and topics, not only the database
	share share
	// rotation leaves the master key to the caller, `keys rotate`, which
	// takes the master-key lock exclusively instead of shared.
	rotation bool
}

// openInfra starts or connects to Kafka and PostgreSQL.
func openInfra(ctx context.Context, cfg config, log *slog.Logger, needs infraNeeds) (*infra, error) {
	in := &infra{log: log, registry: events.NewRegistry()}
	ok := false
	defer func() {
		if !ok {
			in.close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		pgDir := filepath.Join(cfg.DataDir, "pg")
		running, err := runningPostgres(ctx, pgDir)
		if err != nil {
			return nil, err
		}
		switch {
		case running != "" && needs.share == shareNever:
			return nil, fmt.Errorf("another tahsil process (a server, or a tool such as users create) uses %s: its PostgreSQL answers; stop it first, or set another TAHSIL_DATA_DIR", cfg.DataDir)
		case running != "":
			log.Debug("using the PostgreSQL of the running server", "dir", pgDir)
			dbURL = running
		case needs.share == shareRequired:
			return nil, notServing(cfg)
		default:
			log.Info("starting embedded PostgreSQL", "dir", pgDir)
			pg, err := embedded.StartPostgres(ctx, embedded.PostgresConfig{DataDir: pgDir, Logger: log})
			if err != nil {
				return nil, err
			}
			in.postgres = pg
			dbURL = pg.URL()
		}
	}
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pcfg.MaxConns < 32 {
		pcfg.MaxConns = 32
	}
	pcfg.ConnConfig.RuntimeParams["application_name"] = sessionName(needs.rotation)
	if in.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := migrate(ctx, in.pool, log); err != nil {
		return nil, err
	}
	if !needs.rotation {
		if err := in.openKeys(ctx, cfg); err != nil {
			return nil, err
		}
	}

	if needs.kafka {
		in.brokers = cfg.KafkaBrokers
		if len(in.brokers) == 0 {
			kafkaDir := filepath.Join(cfg.DataDir, "kafka")
			held, err := kafkaDirHeld(kafkaDir)
			if err != nil {
				return nil, err
			}
			switch {
			case held && needs.share == shareNever:
				return nil, fmt.Errorf("another tahsil process (a server, or a tool such as users create) uses %s: it holds the embedded Kafka log; stop it first, or set another TAHSIL_DATA_DIR", cfg.DataDir)
			case held:
				if err := dialBroker(ctx, cfg.EmbeddedKafkaAddr); err != nil {
					return nil, fmt.Errorf("another tahsil process holds the embedded Kafka log in %s, but no broker answers at %s (TAHSIL_EMBEDDED_KAFKA_ADDR): "+
						"give this command the same TAHSIL_EMBEDDED_KAFKA_ADDR as the server: %w", kafkaDir, cfg.EmbeddedKafkaAddr, err)
				}
				log.Debug("using the Kafka broker of the running server", "addr", cfg.EmbeddedKafkaAddr)
				in.brokers = []string{cfg.EmbeddedKafkaAddr}
			case needs.share == shareRequired:
				return nil, notServing(cfg)
			default:
				log.Info("starting embedded Kafka broker", "addr", cfg.EmbeddedKafkaAddr, "dir", kafkaDir)
				k, err := embedded.StartKafka(ctx, embedded.KafkaConfig{
					Addr: cfg.EmbeddedKafkaAddr, DataDir: kafkaDir,
					Partitions: int(cfg.Partitions), Logger: log,
				})
				if err != nil {
					return nil, err
				}
				in.kafka = k
				in.brokers = []string{k.Addr()}
			}
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(in.brokers...))
		if err != nil {
			return nil, err
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = events.EnsureTopics(tctx, cl, events.TopicsConfig{Partitions: cfg.Partitions})
		cancel()
		cl.Close()
		if err != nil {
			return nil, fmt.Errorf("kafka topics: %w", err)
		}
	}
	ok = true
	return in, nil
}

func notServing(cfg config) error {
	return fmt.Errorf("no tahsil serve is running on %s: start it first (`tahsil serve`), or run `tahsil serve --demo`", cfg.DataDir)
}

// runningPostgres returns the connection string of the embedded PostgreSQL
// of pgDir when a server (another tahsil process) runs it, and "" when
// none does. The postmaster.pid file names the socket; a stale file (a
// crash) leads to no connection, and StartPostgres recovers from it.
func runningPostgres(ctx context.Context, pgDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(pgDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	// Lines: pid, data directory, start time, port, socket directory, ...
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		return "", nil
	}
	port, sock := strings.TrimSpace(lines[3]), strings.TrimSpace(lines[4])
	if _, err := strconv.Atoi(port); err != nil || sock == "" {
		return "", nil
	}
	q := url.Values{"host": {sock}, "port": {port}, "sslmode": {"disable"}, "connect_timeout": {"2"}}
	u := url.URL{Scheme: "postgres", User: url.User(embedded.PostgresUser), Path: "/" + embedded.PostgresDatabase, RawQuery: q.Encode()}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return "", nil
	}
	conn.Close(ctx)
	q.Del("connect_timeout")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// kafkaDirHeld reports whether another process holds the lock that the
// embedded broker takes on its log directory (embedded.StartKafka). The
// kernel drops the lock when that process ends, so a crash leaves none.
func kafkaDirHeld(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, "tahsil.lock"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("embedded Kafka: %w", err)
	}
	defer f.Close() // closing drops our probe lock before StartKafka takes its own
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("embedded Kafka: lock %s: %w", f.Name(), err)
	}
	return false, nil
}

func dialBroker(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	applied, err := migrations.Apply(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "applied", applied)
	}
	return nil
}

// openKeys opens the master key under the master-key lock, held shared
// for as long as the process runs: a rotation waits for the process to
// end, and a process started during a rotation waits for its end, then
// checks its key against the new fingerprint.
func (in *infra) openKeys(ctx context.Context, cfg config) error {
	var err error
	if in.keyLock, err = pgxConnect(ctx, in); err != nil {
		return err
	}
	q := store.New(in.keyLock)
	ok, err := q.MasterKeyUseTryShared(ctx)
	if err != nil {
		return fmt.Errorf("master key lock: %w", err)
	}
	if !ok {
		in.log.Info("waiting for a master key rotation to finish")
		if err := q.MasterKeyUseShared(ctx); err != nil {
			return fmt.Errorf("master key lock: %w", err)
		}
	}
	if in.master, err = keyring.OpenMaster(ctx, in.pool, masterSource(cfg), time.Now(), in.log); err != nil {
		return err
	}
	if in.keys, err = keyring.New(in.pool, in.master.Key, 200_000); err != nil {
		return err
	}
	in.sealer = events.NewSealer(in.keys)
	return nil
}

// pgxConnect opens a connection of its own, outside the pool, whose
// session (and session locks) lasts until it is closed.
func pgxConnect(ctx context.Context, in *infra) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, in.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return conn, nil
}

func masterSource(cfg config) keyring.MasterSource {
	return keyring.MasterSource{Encoded: cfg.MasterKey, Name: cfg.MasterKeyFrom, DataDir: cfg.DataDir}
}

// sessionName names this process's PostgreSQL sessions, so that `keys
// rotate` can say which processes still use the master key, and where.
// PostgreSQL keeps 63 bytes of it.
func sessionName(rotation bool) string {
	host, _ := os.Hostname()
	what := "tahsil"
	if rotation {
		what = "tahsil keys rotate"
	}
	name := fmt.Sprintf("%s pid %d on %s", what, os.Getpid(), host)
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// closeKeyLock ends the session that holds the master-key lock. The server
// ends it a moment after the client has gone, and an embedded PostgreSQL
// stopped within that moment logs a FATAL for it: the end is awaited,
// briefly.
func (in *infra) closeKeyLock() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pid := int32(in.keyLock.PgConn().PID())
	in.keyLock.Close(ctx) //nolint:errcheck // the session ends with the connection either way
	if in.postgres == nil || in.pool == nil {
		return
	}
	q := store.New(in.pool)
	for range 100 {
		if ended, err := q.MasterKeyLockSessionEnded(ctx, pid); err != nil || ended {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// close stops what openInfra started, in reverse order.
func (in *infra) close() {
	if in.keyLock != nil {
		in.closeKeyLock()
	}
	if in.pool != nil {
		in.pool.Close()
	}
	if in.kafka != nil {
		in.kafka.Close()
	}
	if in.postgres != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := in.postgres.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			in.log.Warn("stop embedded PostgreSQL", "err", err)
		}
	}
}
