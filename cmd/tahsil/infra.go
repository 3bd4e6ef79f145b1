package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/embedded"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/migrations"
)

// infra is what every subcommand that touches data needs: the Kafka
// brokers, a migrated database, and the keys. With no addresses
// configured it starts the embedded broker and PostgreSQL.
type infra struct {
	brokers   []string
	pool      *pgxpool.Pool
	masterKey []byte
	keys      *keyring.Keyring
	sealer    *events.Sealer
	registry  *events.Registry

	kafka    *embedded.Kafka
	postgres *embedded.Postgres
	log      *slog.Logger
}

// openInfra starts or connects to Kafka and PostgreSQL. withKafka=false
// skips Kafka for subcommands that only need the database.
func openInfra(ctx context.Context, cfg config, log *slog.Logger, withKafka bool) (*infra, error) {
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
		log.Info("starting embedded PostgreSQL", "dir", filepath.Join(cfg.DataDir, "pg"))
		pg, err := embedded.StartPostgres(ctx, embedded.PostgresConfig{DataDir: filepath.Join(cfg.DataDir, "pg"), Logger: log})
		if err != nil {
			return nil, err
		}
		in.postgres = pg
		dbURL = pg.URL()
	}
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pcfg.MaxConns < 32 {
		pcfg.MaxConns = 32
	}
	if in.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := migrate(ctx, in.pool, log); err != nil {
		return nil, err
	}
	if in.masterKey, err = keyring.LoadMasterKey(cfg.MasterKey, cfg.DataDir); err != nil {
		return nil, err
	}
	if in.keys, err = keyring.New(in.pool, in.masterKey, 200_000); err != nil {
		return nil, err
	}
	in.sealer = events.NewSealer(in.keys)

	if withKafka {
		in.brokers = cfg.KafkaBrokers
		if len(in.brokers) == 0 {
			log.Info("starting embedded Kafka broker", "addr", cfg.EmbeddedKafkaAddr, "dir", filepath.Join(cfg.DataDir, "kafka"))
			k, err := embedded.StartKafka(ctx, embedded.KafkaConfig{
				Addr: cfg.EmbeddedKafkaAddr, DataDir: filepath.Join(cfg.DataDir, "kafka"),
				Partitions: int(cfg.Partitions), Logger: log,
			})
			if err != nil {
				return nil, err
			}
			in.kafka = k
			in.brokers = []string{k.Addr()}
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

// claimKey derives the key of unique-value digests from the master key, so
// the claims table never holds a NIN or NIF a dictionary could reverse.
func (in *infra) claimKey() ([]byte, error) {
	return hkdf.Key(sha256.New, in.masterKey, nil, "tahsil unique claims v1", 32)
}

// close stops what openInfra started, in reverse order.
func (in *infra) close() {
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
