// Command pgtest-server runs one private, throwaway PostgreSQL for a whole
// test run (`make test`), so every test binary shares one server instead of
// each starting its own. It writes the server's URL to -url-file once the
// server accepts connections, and stops it and removes its files on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/adc-dz/tahsil/embedded"
)

func main() {
	urlFile := flag.String("url-file", "", "where to write the server's URL once it is ready")
	flag.Parse()
	if *urlFile == "" {
		fmt.Fprintln(os.Stderr, "pgtest-server: -url-file is required")
		os.Exit(2)
	}
	if err := run(*urlFile); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest-server:", err)
		os.Exit(1)
	}
}

func run(urlFile string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "tahsil-testpg-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The server runs as the postgres user when we are root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	pg, err := embedded.StartPostgres(startCtx, embedded.PostgresConfig{
		DataDir: filepath.Join(dir, "pg"), NoSync: true, Logger: slog.New(slog.DiscardHandler),
	})
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pg.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest-server: stop:", err)
		}
	}()
	// Written then renamed, so a reader never sees half a URL.
	tmp := urlFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(pg.URL()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, urlFile); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-pg.Done():
		return fmt.Errorf("PostgreSQL exited")
	}
	return nil
}
