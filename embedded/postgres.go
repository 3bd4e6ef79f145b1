package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresPort only names the socket file (.s.PGSQL.5432): the
// server listens on no TCP port, and its socket sits in a directory of its
// own, so the standard number clashes with nothing.
const DefaultPostgresPort = 5432

// The role and database the embedded server is created with. The role is a
// superuser: the server is private to this Tahsil, which also runs the
// migrations.
const (
	PostgresUser     = "tahsil"
	PostgresDatabase = "tahsil"
)

// ErrPostgresNotInstalled reports that no PostgreSQL server binaries were
// found. The error message says what to install.
var ErrPostgresNotInstalled = errors.New("PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin: " +
	"install them (Debian or Ubuntu: apt-get install postgresql), or set TAHSIL_DATABASE_URL to use an existing server")

// maxSocketPath is the longest unix socket path Linux accepts (sun_path
// holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// PostgresConfig configures the embedded PostgreSQL server.
type PostgresConfig struct {
	// DataDir is the cluster's data directory, typically
	// $TAHSIL_DATA_DIR/pg. Required. It is created and initialised with
	// initdb on first start. Its parent must exist or be creatable.
	DataDir string
	// BinDir holds initdb and postgres. Default: the version that created
	// DataDir when /usr/lib/postgresql/<version>/bin has it, else the
	// directory of initdb found in PATH, else the newest
	// /usr/lib/postgresql/*/bin.
	BinDir string
	// Port names the unix socket file; see DefaultPostgresPort. Default
	// 5432.
	Port int
	// NoSync turns off fsync, synchronous commits and full-page writes and
	// makes initdb skip its final sync, which alone takes seconds on slow
	// disks (15 s on our CI VM). For throwaway test servers only: a server
	// crash can lose the last transactions committed, and an OS crash can
	// corrupt the cluster.
	NoSync bool
	// Logger receives the server's log, one record per line. Failed
	// statements and their details are logged at debug because they may
	// quote personal data (a duplicate key shows its value). Default
	// slog.Default().
	Logger *slog.Logger
}

func (c *PostgresConfig) setDefaults() {
	if c.Port == 0 {
		c.Port = DefaultPostgresPort
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem of the configuration at once.
func (c *PostgresConfig) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("postgres data dir is required"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("postgres port %d out of range 1-65535", c.Port))
	}
	return errors.Join(errs...)
}

// Postgres is a running embedded PostgreSQL server.
type Postgres struct {
	dataDir    string
	sockDir    string
	ownSockDir bool // sockDir is a temporary directory we remove on Stop
	port       int
	log        *slog.Logger

	proc *child
	out  *pgOutput

	stopOnce sync.Once
	stopErr  error
}

// StartPostgres starts a private PostgreSQL server on cfg.DataDir,
// creating the cluster with initdb on first use, and returns once it
// accepts connections and the database "tahsil" exists.
//
// When the process runs as root, the server runs as the "postgres" system
// user, because PostgreSQL refuses to run as root. That user must then be
// able to reach DataDir: every parent directory must be searchable by it.
//
// A server that crashed (or was killed) leaves its postmaster.pid behind;
// PostgreSQL recognises a stale one and recovers from its WAL, so starting
// again is all it takes.
func StartPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded postgres: data dir: %w", err)
	}
	binDir, err := findBinDir(cfg.BinDir, dataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	owner, err := serverOwner()
	if err != nil {
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return nil, fmt.Errorf("embedded postgres: create parent of data dir: %w", err)
	}
	if err := owner.checkCanReach(filepath.Dir(dataDir)); err != nil {
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	if err := initCluster(ctx, binDir, dataDir, owner, cfg); err != nil {
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}

	p := &Postgres{dataDir: dataDir, sockDir: dataDir, port: cfg.Port, log: cfg.Logger}
	if len(filepath.Join(dataDir, ".s.PGSQL."+strconv.Itoa(cfg.Port))) > maxSocketPath {
		// The data dir is too deep for a socket path. A fresh private
		// directory under the temp dir keeps the socket unreachable to
		// others (0700) and is removed on Stop.
		dir, err := os.MkdirTemp("", "tahsil-pg-")
		if err != nil {
			return nil, fmt.Errorf("embedded postgres: socket dir: %w", err)
		}
		if err := owner.chown(dir); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("embedded postgres: socket dir: %w", err)
		}
		p.sockDir, p.ownSockDir = dir, true
	}

	if err := p.start(ctx, binDir, owner, cfg.NoSync); err != nil {
		if p.ownSockDir {
			os.RemoveAll(p.sockDir)
		}
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	if err := p.createDatabase(ctx); err != nil {
		p.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // the first error is the one to report
		return nil, fmt.Errorf("embedded postgres: %w", err)
	}
	cfg.Logger.Info("embedded postgres started", "data_dir", dataDir, "socket_dir", p.sockDir, "bin_dir", binDir)
	return p, nil
}

// URL returns a pgx (and libpq) connection string for the database
// "tahsil" as the superuser "tahsil", through the unix socket.
func (p *Postgres) URL() string { return p.url(PostgresDatabase) }

func (p *Postgres) url(database string) string {
	q := url.Values{"host": {p.sockDir}, "port": {strconv.Itoa(p.port)}, "sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(PostgresUser), Path: "/" + database, RawQuery: q.Encode()}
	return u.String()
}

// DataDir returns the absolute path of the cluster's data directory.
func (p *Postgres) DataDir() string { return p.dataDir }

// Done is closed when the server process has exited, whether by Stop or
// by a crash; a caller supervising the server can select on it.
func (p *Postgres) Done() <-chan struct{} { return p.proc.done }

// Stop shuts the server down with a fast shutdown (open transactions are
// rolled back, sessions are closed, a checkpoint is written) and waits for
// it to exit. If ctx ends first, or after 30 seconds, it escalates to an
// immediate shutdown (recovery on next start) and then to SIGKILL. Stop is
// safe to call more than once; later calls return the first result.
func (p *Postgres) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		p.stopErr = p.proc.stop(ctx, p.log)
		if p.ownSockDir {
			os.RemoveAll(p.sockDir)
		}
		if p.stopErr != nil {
			p.stopErr = fmt.Errorf("embedded postgres: stop: %w", p.stopErr)
			return
		}
		p.log.Info("embedded postgres stopped", "data_dir", p.dataDir)
	})
	return p.stopErr
}

// start runs postgres and waits until it accepts connections. A server
// killed a moment ago may still have children attached to its shared
// memory; the new postmaster refuses to start until they are gone, so that
// failure is retried for a while.
func (p *Postgres) start(ctx context.Context, binDir string, owner *osUser, noSync bool) error {
	args := []string{
		"-D", p.dataDir,
		"-p", strconv.Itoa(p.port),
		"-k", p.sockDir,
		// No TCP at all: the socket in a private directory is the only
		// way in, which is what makes trust authentication safe.
		"-c", "listen_addresses=",
	}
	if noSync {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		p.out = newPGOutput(p.log)
		cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
		cmd.Env = childEnv()
		cmd.Stdout, cmd.Stderr = p.out, p.out
		cmd.SysProcAttr = sysProcAttr(owner.credential())
		// Backends inherit the log pipe; do not let one that lingers
		// after the postmaster died hold Wait forever.
		cmd.WaitDelay = 5 * time.Second
		proc, err := startChild(cmd)
		if err != nil {
			return fmt.Errorf("run %s: %w", cmd.Path, err)
		}
		p.proc = proc
		err = p.waitReady(ctx)
		if err == nil {
			return nil
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		p.proc.stop(stopCtx, p.log) //nolint:errcheck // err says why
		cancel()
		tail := p.out.tail()
		if strings.Contains(tail, "pre-existing shared memory block") && time.Now().Before(deadline) && ctx.Err() == nil {
			p.log.Info("embedded postgres: waiting for the processes of a killed server to exit")
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if tail != "" {
			return fmt.Errorf("%w; server log:\n%s", err, tail)
		}
		return err
	}
}

// waitReady waits until the server accepts a connection, the process
// exits, or ctx ends. Like pg_ctl, it first watches postmaster.pid for our
// process to report "ready", so that it does not fill the log with
// "the database system is starting up"; a connection then confirms it.
// Crash recovery can take a while after a kill, so without a deadline on
// ctx it allows two minutes.
func (p *Postgres) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cfg, err := pgx.ParseConfig(p.url("postgres"))
	if err != nil {
		return fmt.Errorf("parse own connection string: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	pidFile := filepath.Join(p.dataDir, "postmaster.pid")
	pid := strconv.Itoa(p.proc.cmd.Process.Pid)
	for {
		err = errors.New("postmaster.pid does not say ready yet")
		if postmasterReady(pidFile, pid) {
			var conn *pgx.Conn
			if conn, err = pgx.ConnectConfig(ctx, cfg); err == nil {
				err = conn.Ping(ctx)
				conn.Close(context.WithoutCancel(ctx))
				if err == nil {
					return nil
				}
			}
		}
		select {
		case <-p.proc.done:
			return fmt.Errorf("postgres exited during start: %w", p.proc.exitErr())
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// postmasterReady reports whether the pid file names the process pid and
// its status line (the eighth) says ready.
func postmasterReady(pidFile, pid string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	return len(lines) >= 8 && strings.TrimSpace(lines[0]) == pid && strings.TrimSpace(lines[7]) == "ready"
}

func (p *Postgres) createDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.url("postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", PostgresDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", PostgresDatabase, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{PostgresDatabase}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", PostgresDatabase, err)
	}
	return nil
}

// initCluster runs initdb unless dataDir already holds a cluster. initdb
// writes into a sibling directory renamed into place at the end, so a run
// interrupted halfway never leaves a directory that looks initialised.
func initCluster(ctx context.Context, binDir, dataDir string, owner *osUser, cfg PostgresConfig) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("data dir %s is not empty but holds no PostgreSQL cluster (no PG_VERSION): move it away or point to another directory", dataDir)
	}
	tmp := dataDir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := owner.chown(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	cfg.Logger.Info("embedded postgres: creating cluster with initdb; syncing it to disk may take a while", "data_dir", dataDir)

	// Collation C sorts by code point, identically on every machine, and
	// its indexes never go stale when the C library is upgraded. Character
	// classes come from C.UTF-8 when the system has it, so that upper(),
	// lower() and ILIKE work on Arabic and accented French names.
	var lastErr error
	for _, locale := range []string{"C.UTF-8", "C"} {
		args := []string{
			"-D", tmp,
			"-U", PostgresUser,
			"--encoding=UTF8",
			"--locale=" + locale, "--lc-collate=C",
			"--auth-local=trust", "--auth-host=reject",
			"--no-instructions",
		}
		if cfg.NoSync {
			args = append(args, "--no-sync")
		}
		out := newPGOutput(cfg.Logger.With("step", "initdb"))
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
		cmd.Env = childEnv()
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = sysProcAttr(owner.credential())
		proc, err := startChild(cmd)
		if err != nil {
			lastErr = fmt.Errorf("run %s: %w", cmd.Path, err)
			break
		}
		<-proc.done
		if err := proc.exitErr(); err != nil {
			lastErr = fmt.Errorf("initdb with locale %s: %w; output:\n%s", locale, err, out.tail())
			if ctx.Err() != nil {
				break
			}
			continue
		}
		lastErr = nil
		break
	}
	if lastErr != nil {
		os.RemoveAll(tmp)
		return lastErr
	}

	conf, err := os.OpenFile(filepath.Join(tmp, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	_, err = conf.WriteString(`
# Added by Tahsil when it created this embedded cluster. Edit freely: this
# file is read at every start. Listening (unix socket only, no TCP) is set
# on the command line and cannot be changed here.
shared_buffers = 128MB
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '[%p] '
`)
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	// Renaming onto an empty directory is allowed; onto anything else it
	// fails, which is what we want.
	if err := os.Rename(tmp, dataDir); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	return nil
}

// findBinDir picks the directory holding initdb and postgres.
func findBinDir(configured, dataDir string) (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if configured != "" {
		if !has(configured) {
			return "", fmt.Errorf("bin dir %s lacks initdb or postgres: %w", configured, ErrPostgresNotInstalled)
		}
		return configured, nil
	}
	// A cluster only opens with the major version that created it, and
	// Debian installs several side by side.
	if v, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		if dir := filepath.Join("/usr/lib/postgresql", strings.TrimSpace(string(v)), "bin"); has(dir) {
			return dir, nil
		}
	}
	if path, err := exec.LookPath("initdb"); err == nil {
		// Debian's /usr/bin and our /usr/local/bin hold symlinks (or
		// pg_wrapper); postgres lives next to the real initdb.
		if real, err := filepath.EvalSymlinks(path); err == nil {
			if dir := filepath.Dir(real); has(dir) {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Sort by major version number, not as strings ("9.6" < "15").
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		vb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return 0
	})
	for _, dir := range slices.Backward(dirs) {
		if has(dir) {
			return dir, nil
		}
	}
	return "", ErrPostgresNotInstalled
}

// childEnv is our environment without the PG* variables, which would
// otherwise change what initdb and postgres do behind our back.
func childEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}

// osUser is the system account the server runs as. A nil *osUser means
// the current user.
type osUser struct {
	name string
	uid  int
	gids []int // primary group first
}

// serverOwner returns the "postgres" account when we are root, since
// PostgreSQL refuses to run as root, and nil otherwise.
func serverOwner() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres system user, which was not found (apt-get install postgresql creates it): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres user: %w", err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres user: %w", err)
	}
	owner := &osUser{name: u.Username, uid: uid, gids: []int{gid}}
	groups, _ := u.GroupIds()
	for _, g := range groups {
		if n, err := strconv.Atoi(g); err == nil && n != gid {
			owner.gids = append(owner.gids, n)
		}
	}
	return owner, nil
}

func (u *osUser) credential() *syscall.Credential {
	if u == nil {
		return nil
	}
	groups := make([]uint32, 0, len(u.gids)-1)
	for _, g := range u.gids[1:] {
		groups = append(groups, uint32(g))
	}
	return &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gids[0]), Groups: groups}
}

func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	if err := os.Chown(path, u.uid, u.gids[0]); err != nil {
		return fmt.Errorf("hand %s to the %s user: %w", path, u.name, err)
	}
	return nil
}

// checkCanReach reports a directory on the way to dir that u cannot
// search. Left unchecked, the server would fail with a bare "permission
// denied" naming neither the directory nor the fix.
func (u *osUser) checkCanReach(dir string) error {
	if u == nil {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("check access to %s: %w", d, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		perm := fi.Mode().Perm()
		var can bool
		switch {
		case int(st.Uid) == u.uid:
			can = perm&0o100 != 0
		case slices.Contains(u.gids, int(st.Gid)):
			can = perm&0o010 != 0
		default:
			can = perm&0o001 != 0
		}
		if !can {
			return fmt.Errorf("the %s user, which runs the server because we run as root, cannot reach %s: %s is %v; use a data directory elsewhere (e.g. under /var/lib/tahsil) or allow it with chmod o+x %s",
				u.name, dir, d, fi.Mode().Perm(), d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// child is a started process, waited for in the background.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid once done is closed
}

func (c *child) exitErr() error {
	<-c.done
	return c.err
}

// stop asks the postmaster for a fast shutdown (SIGINT) and escalates to
// an immediate one (SIGQUIT) when ctx ends, then to SIGKILL.
func (c *child) stop(ctx context.Context, log *slog.Logger) error {
	select {
	case <-c.done:
		return c.crashErr()
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres: %w", err)
	}
	select {
	case <-c.done:
		return c.crashErr()
	case <-ctx.Done():
	}
	log.Warn("embedded postgres: fast shutdown too slow, forcing an immediate shutdown", "err", ctx.Err())
	c.cmd.Process.Signal(syscall.SIGQUIT) //nolint:errcheck // escalated below
	select {
	case <-c.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	c.cmd.Process.Kill() //nolint:errcheck // it is gone either way
	<-c.done
	return nil
}

// crashErr is the exit error of a process that was not killed by a signal
// we sent; postgres exits 0 after a fast shutdown.
func (c *child) crashErr() error {
	var exit *exec.ExitError
	if errors.As(c.err, &exit) && !exit.Exited() {
		// Killed by a signal: somebody meant it (an OOM killer, a test,
		// our own escalation). Not a failure to stop.
		return nil
	}
	return c.err
}

// pgOutput turns the server's output into log records and keeps the last
// lines for error messages.
type pgOutput struct {
	log   *slog.Logger
	mu    sync.Mutex
	buf   []byte
	last  []string
	level slog.Level
}

const pgOutputTail = 30

func newPGOutput(log *slog.Logger) *pgOutput {
	return &pgOutput{log: log.With("component", "postgres"), level: slog.LevelInfo}
}

func (o *pgOutput) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, b...)
	for {
		i := slices.Index(o.buf, '\n')
		if i < 0 {
			break
		}
		o.line(string(o.buf[:i]))
		o.buf = o.buf[i+1:]
	}
	return len(b), nil
}

func (o *pgOutput) line(s string) {
	if len(o.last) == pgOutputTail {
		o.last = slices.Delete(o.last, 0, 1)
	}
	o.last = append(o.last, s)
	msg := s
	if strings.HasPrefix(msg, "[") {
		if _, rest, ok := strings.Cut(msg, "] "); ok {
			msg = rest
		}
	}
	tag, _, _ := strings.Cut(msg, ":")
	switch tag {
	case "LOG", "INFO", "NOTICE":
		o.level = slog.LevelInfo
	case "WARNING":
		o.level = slog.LevelWarn
	case "FATAL":
		// Also what every session gets at a fast shutdown.
		o.level = slog.LevelWarn
	case "PANIC":
		o.level = slog.LevelError
	case "ERROR", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
		// A failed statement is the client's business, and its text
		// and DETAIL may quote personal data.
		o.level = slog.LevelDebug
	}
	// Other lines (DETAIL, HINT, STATEMENT, CONTEXT, continuations) take
	// the level of the message they belong to.
	o.log.Log(context.Background(), o.level, msg)
}

func (o *pgOutput) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.last, "\n")
}
