package embedded_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/embedded"
)

// tempDir is t.TempDir made reachable by the postgres user, which runs the
// server when the tests run as root; t.TempDir and its parent are 0700.
func tempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func startPostgres(t testing.TB, dataDir string, noSync bool) *embedded.Postgres {
	t.Helper()
	pg, err := embedded.StartPostgres(t.Context(), embedded.PostgresConfig{DataDir: dataDir, NoSync: noSync, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(context.Background()); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	})
	return pg
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t testing.TB, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func countRows(t testing.TB, url string) int {
	t.Helper()
	conn := connect(t, url)
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM debt").Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	conn.Close(t.Context())
	return n
}

func TestPostgresConfigValidate(t *testing.T) {
	t.Parallel()
	cfg := embedded.PostgresConfig{Port: 70000}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "data dir is required") || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("Validate() = %v, want both problems", err)
	}
}

// TestPostgresSurvivesStopAndKill runs the production settings (initdb's
// sync alone takes 15 s on a slow disk), so it does all its restarts on one
// cluster.
func TestPostgresSurvivesStopAndKill(t *testing.T) {
	t.Parallel()
	top := t // owns the servers the subtests start
	dir := filepath.Join(tempDir(t), "pg")
	pg := startPostgres(t, dir, false)

	url := pg.URL()
	if !strings.HasPrefix(url, "postgres://tahsil@/tahsil?") || !strings.Contains(url, "host=%2F") {
		t.Errorf("URL() = %q, want a unix-socket URL for tahsil@/tahsil", url)
	}
	conn := connect(t, url)
	settings := map[string]string{
		"listen_addresses":   "",
		"server_encoding":    "UTF8",
		"lc_collate":         "C",
		"lc_ctype":           "C.UTF-8",
		"fsync":              "on",
		"synchronous_commit": "on",
		"shared_buffers":     "128MB",
		"max_connections":    "200",
		"TimeZone":           "UTC",
		"is_superuser":       "on",
	}
	for name, want := range settings {
		var got string
		if err := conn.QueryRow(t.Context(), "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatalf("show %s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var upper string
	if err := conn.QueryRow(t.Context(), "SELECT upper('é')").Scan(&upper); err != nil || upper != "É" {
		t.Errorf("upper('é') = %q, %v; want É (lc_ctype must know UTF-8)", upper, err)
	}
	mustExec(t, conn, "CREATE TABLE debt (id int PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO debt SELECT generate_series(1, 1000)")
	conn.Close(t.Context())

	t.Run("stop and start", func(t *testing.T) {
		if err := pg.Stop(t.Context()); err != nil {
			t.Fatalf("stop: %v", err)
		}
		select {
		case <-pg.Done():
		default:
			t.Fatal("Done not closed after Stop")
		}
		pg = startPostgres(top, dir, false)
		if n := countRows(t, pg.URL()); n != 1000 {
			t.Errorf("after restart: %d rows, want 1000", n)
		}
	})

	t.Run("kill and start", func(t *testing.T) {
		conn := connect(t, pg.URL())
		mustExec(t, conn, "INSERT INTO debt VALUES (1001)")
		// Leave a transaction open, as a crash would.
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "INSERT INTO debt VALUES (5000)")

		pid := postmasterPID(t, dir)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill postmaster %d: %v", pid, err)
		}
		select {
		case <-pg.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed after the postmaster was killed")
		}
		if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
			t.Fatalf("want a stale postmaster.pid after SIGKILL: %v", err)
		}

		pg = startPostgres(top, dir, false)
		if n := countRows(t, pg.URL()); n != 1001 {
			t.Errorf("after crash recovery: %d rows, want the 1001 committed", n)
		}
	})
}

func TestPostgresLongDataDirAndSecondServer(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	for len(dir) < 120 {
		dir = filepath.Join(dir, "a-rather-long-directory-name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := startPostgres(t, filepath.Join(dir, "pg"), true)
	cfg, err := pgx.ParseConfig(pg.URL())
	if err != nil {
		t.Fatalf("parse URL: %v", err)
	}
	sock := cfg.Host
	if !strings.HasPrefix(sock, os.TempDir()) || len(sock) > 90 {
		t.Errorf("socket dir %q, want a short one under %s", sock, os.TempDir())
	}
	if n := countRowsOrCreate(t, pg.URL()); n != 0 {
		t.Errorf("rows = %d", n)
	}

	// A second server on the same directory must fail, and say why.
	_, err = embedded.StartPostgres(t.Context(), embedded.PostgresConfig{DataDir: filepath.Join(dir, "pg"), NoSync: true, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "postmaster.pid") {
		t.Errorf("second server on the same data dir: err = %v, want the server's lock file complaint", err)
	}

	if err := pg.Stop(t.Context()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary socket dir %s not removed: %v", sock, err)
	}
}

func countRowsOrCreate(t testing.TB, url string) int {
	t.Helper()
	conn := connect(t, url)
	mustExec(t, conn, "CREATE TABLE IF NOT EXISTS debt (id int)")
	conn.Close(t.Context())
	return countRows(t, url)
}

func TestPostgresNotInstalled(t *testing.T) {
	t.Parallel()
	_, err := embedded.StartPostgres(t.Context(), embedded.PostgresConfig{
		DataDir: filepath.Join(tempDir(t), "pg"),
		BinDir:  t.TempDir(),
		Logger:  quietLogger(),
	})
	if !errors.Is(err, embedded.ErrPostgresNotInstalled) || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("err = %v, want ErrPostgresNotInstalled naming the package", err)
	}
}

func TestPostgresUnreachableDataDirAsRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		// Only root hands the server to another user, whose access
		// this checks.
		return
	}
	private := t.TempDir() // 0700, owned by root
	_, err := embedded.StartPostgres(t.Context(), embedded.PostgresConfig{
		DataDir: filepath.Join(private, "pg"),
		Logger:  quietLogger(),
	})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "chmod o+x") {
		t.Fatalf("err = %v, want an explanation of the missing permission", err)
	}
}

func postmasterPID(t testing.TB, dataDir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}
