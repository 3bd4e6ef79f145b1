package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/adc-dz/tahsil/projections"
)

// TestBinaryEmbeddedDefault runs the real binary on its embedded default,
// as `make run` does. `tahsil users create` makes the first admin of a
// fresh installation with no server running; `serve --demo` creates the
// demo accounts and loads the demo data through the API as the demo admin,
// whose TOTP secret it prints. The system keeps what it was told across a
// clean stop and a restart (kfake and PostgreSQL both persist under the
// data directory), a second --demo creates nothing, `users create` also
// works beside a running server, and `tahsil keys rotate` then `tahsil
// projections rebuild` on the stopped system leave the same answers.
func TestBinaryEmbeddedDefault(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tahsil")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir, err := os.MkdirTemp("", "tahsil-binary-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	// The embedded PostgreSQL runs as the postgres user when we are root.
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	env := append(os.Environ(),
		"TAHSIL_DATA_DIR="+dataDir, "TAHSIL_HTTP_ADDR="+httpAddr, "TAHSIL_EMBEDDED_KAFKA_ADDR="+kafkaAddr,
		"TAHSIL_PARTITIONS=2", "TAHSIL_KAFKA_BROKERS=", "TAHSIL_DATABASE_URL=", "TAHSIL_MASTER_KEY=",
		"TAHSIL_TRUSTED_PROXIES=", "TAHSIL_CORS_ORIGINS=")
	base := "http://" + httpAddr

	// Input is checked before anything starts, every problem at once.
	out, err := tahsil(t, bin, env, "short", "users", "create", "--email", "not-an-email", "--role", "boss")
	if err == nil || !strings.Contains(out, "--email") || !strings.Contains(out, "--name") || !strings.Contains(out, "--role") {
		t.Fatalf("users create with bad input: %v\n%s", err, out)
	}
	// The first admin of a fresh installation, with no server running:
	// the command starts the embedded broker and PostgreSQL and decides
	// its command itself.
	out, err = tahsil(t, bin, env, password+"\n", "users", "create", "--email", "Amina.Saidi@adc.test", "--name", "Amina Saïdi", "--role", "admin")
	if err != nil || !strings.Contains(out, "created admin account") {
		t.Fatalf("users create on a stopped system: %v\n%s", err, out)
	}

	srv := startServe(t, bin, env, "--demo")
	waitReady(t, base)
	secret := srv.demoSecret(t)
	if st := demoState(t, dataDir); st["admin_totp_secret"] != secret {
		t.Fatalf("demo state %v does not keep the printed secret %s", st, secret)
	}
	admin := &session{email: "admin@demo.test", password: "tahsil-demo-2026", secret: secret}
	admin.signIn(t, base)
	waitFor(t, 30*time.Second, "the demo data", func() bool { return admin.count(t, base+"/api/v1/debtors") == 8 })
	if n := admin.count(t, base+"/api/v1/creditors"); n != 4 {
		t.Fatalf("%d demo creditors, want 4", n)
	}
	created := admin.post(t, base+"/api/v1/debtors",
		`{"kind":"person","full_name":"Rachid Taha","nin":"109580123456789999","phones":["0771 23 45 67"],"wilaya":31}`)
	// Beside a running server, users create uses its broker and database.
	out, err = tahsil(t, bin, env, password+"\n", "users", "create", "--email", "karim@adc.test", "--name", "Karim Ziani", "--role", "agent")
	if err != nil || !strings.Contains(out, "created agent account") {
		t.Fatalf("users create beside a running server: %v\n%s", err, out)
	}
	agent := &session{email: "karim@adc.test", password: password}
	agent.signIn(t, base)
	if me := agent.get(t, base+"/api/v1/me"); me["role"] != "agent" {
		t.Fatalf("the new agent is %v", me)
	}
	out, err = tahsil(t, bin, env, password+"\n", "users", "create", "--email", "karim@adc.test", "--name", "Karim Ziani", "--role", "agent")
	if err == nil || !strings.Contains(out, "already an account's login") {
		t.Fatalf("users create with a taken e-mail: %v\n%s", err, out)
	}
	srv.stop(t)

	if fi, err := os.Stat(filepath.Join(dataDir, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, fi.Mode().Perm())
	}
	if fi, err := os.Stat(filepath.Join(dataDir, "demo.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo state file: %v, mode %v", err, fi.Mode().Perm())
	}

	srv = startServe(t, bin, env, "--demo")
	waitReady(t, base)
	// The demo is loaded once: a second run creates nothing, signs in no
	// more, and prints the same logins.
	if again := srv.demoSecret(t); again != secret {
		t.Fatalf("the second run printed the secret %s, the first %s", again, secret)
	}
	// The session outlives the restart: it is kept in PostgreSQL.
	got := admin.get(t, base+"/api/v1/debtors/"+created["id"].(string))
	if got["full_name"] != "Rachid Taha" || got["phones"].([]any)[0] != "+213771234567" {
		t.Fatalf("after a restart the debtor reads %v", got)
	}
	if n := admin.count(t, base+"/api/v1/debtors"); n != 9 {
		t.Fatalf("%d debtors after a restart with --demo, want 9", n)
	}
	if n := admin.count(t, base+"/api/v1/users"); n != 7 {
		t.Fatalf("%d accounts after a restart with --demo, want 7 (5 demo, 2 created)", n)
	}
	out, err = tahsil(t, bin, env, "", "users", "list", "--role", "agent")
	if err != nil || !strings.Contains(out, "karim@adc.test") || !strings.Contains(out, "agent@demo.test") || strings.Contains(out, "admin@demo.test") {
		t.Fatalf("users list beside a running server: %v\n%s", err, out)
	}
	before := admin.get(t, base+"/api/v1/debtors?limit=200")
	// The master key is rotated on a stopped system only.
	if out, err := tahsil(t, bin, env, "", "keys", "rotate"); err == nil || !strings.Contains(out, "stop it first") {
		t.Fatalf("keys rotate beside a running server: %v\n%s", err, out)
	}
	srv.stop(t)

	// Rotation: the rebuild and the restart below open every sealed part
	// and TOTP secret through the rewrapped data keys, and the NIN claims
	// still refuse a duplicate (the claim key survives the rotation).
	oldKey, _ := os.ReadFile(filepath.Join(dataDir, "master.key"))
	oldFP := fingerprint(t, bin, env)
	out, err = tahsil(t, bin, env, "", "keys", "rotate")
	if err != nil || !strings.Contains(out, "Master key rotated") || !strings.Contains(out, "old fingerprint  "+oldFP) {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	newKey, _ := os.ReadFile(filepath.Join(dataDir, "master.key"))
	if newFP := fingerprint(t, bin, env); bytes.Equal(newKey, oldKey) || newFP == oldFP || !strings.Contains(out, "new fingerprint  "+newFP) {
		t.Fatalf("after keys rotate the key file holds %s (was %s):\n%s", newFP, oldFP, out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "master.key.new")); err == nil {
		t.Fatal("master.key.new is left after a rotation")
	}

	out, err = tahsil(t, bin, env, "", "projections", "rebuild")
	// Every projection of tahsil.events, however many there are.
	if err != nil || !strings.Contains(out, fmt.Sprintf("rebuilt %d projection(s)", len(projections.EventProjectionNames()))) {
		t.Fatalf("projections rebuild: %v\n%s", err, out)
	}

	srv = startServe(t, bin, env)
	waitReady(t, base)
	waitFor(t, 10*time.Second, "the banner", func() bool { return strings.Contains(srv.output(), "tahsil users create --role admin") })
	after := admin.get(t, base+"/api/v1/debtors?limit=200")
	if a, b := mustJSON(t, before), mustJSON(t, after); a != b {
		t.Fatalf("the debtors differ after a rebuild:\n%s\n%s", a, b)
	}
	history := admin.get(t, base+"/api/v1/debtors/"+created["id"].(string)+"/history")
	if items := history["items"].([]any); len(items) != 1 {
		t.Fatalf("history after a rebuild: %v", history)
	}
	admin.do(t, http.MethodPost, base+"/api/v1/debtors",
		`{"kind":"person","full_name":"Rachid Taha","nin":"109580123456789999","wilaya":31}`, http.StatusConflict, nil)
	// The admin made on the stopped system enrols at their first sign-in,
	// and the demo admin signs in again with its next code.
	first := &session{email: "amina.saidi@adc.test", password: password}
	first.signIn(t, base)
	if me := first.get(t, base+"/api/v1/me"); me["role"] != "admin" {
		t.Fatalf("the first admin is %v", me)
	}
	admin.signIn(t, base)
	if n := admin.count(t, base+"/api/v1/creditors"); n != 4 {
		t.Fatalf("%d creditors after a rebuild, want 4", n)
	}
	srv.stop(t)
}

var fingerprintLine = regexp.MustCompile(`(?m)^([0-9a-f]{32})  `)

// fingerprint returns the master key's fingerprint, `tahsil keys fingerprint`.
func fingerprint(t *testing.T, bin string, env []string) string {
	t.Helper()
	out, err := tahsil(t, bin, env, "", "keys", "fingerprint")
	m := fingerprintLine.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("keys fingerprint: %v\n%s", err, out)
	}
	return m[1]
}

// password is the password of the accounts the test creates.
const password = "binary-test-Qe4#wZ9p"

// tahsil runs a one-shot subcommand with stdin and returns its output.
func tahsil(t *testing.T, bin string, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Kill()
		case <-done:
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	return string(out), err
}

func demoState(t *testing.T, dataDir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

var secretLine = regexp.MustCompile(`oathtool --totp -b ([A-Z2-7]+)`)

// demoSecret waits for the banner of a --demo start and returns the demo
// admin's TOTP secret it prints.
func (p *serveProc) demoSecret(t *testing.T) string {
	t.Helper()
	var m []string
	waitFor(t, 2*time.Minute, "the demo logins in the banner", func() bool {
		if strings.Contains(p.output(), "Demo data NOT loaded") {
			t.Fatalf("the demo did not load:\n%s", tail(p.output(), 4000))
		}
		m = secretLine.FindStringSubmatch(p.output())
		return m != nil
	})
	for _, login := range []string{"admin@demo.test", "agent@demo.test", "auditor@demo.test", "creditor@demo.test", "debtor@demo.test", "tahsil-demo-2026"} {
		if !strings.Contains(p.output(), login) {
			t.Fatalf("the banner does not show %s:\n%s", login, tail(p.output(), 4000))
		}
	}
	return m[1]
}

// session is an account signed in through the API like any client:
// password, then TOTP enrolment and activation the first time, a code
// afterwards.
type session struct {
	email, password, secret, token string
	lastStep                       int64
}

func (s *session) signIn(t *testing.T, base string) {
	t.Helper()
	var login struct {
		MFAToken           string `json:"mfa_token"`
		EnrollmentRequired bool   `json:"enrollment_required"`
	}
	s.do(t, http.MethodPost, base+"/api/v1/auth/login", map[string]string{"email": s.email, "password": s.password}, http.StatusOK, &login)
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	if login.EnrollmentRequired {
		var en struct {
			Secret string `json:"secret"`
		}
		s.do(t, http.MethodPost, base+"/api/v1/auth/mfa/enroll", map[string]string{"mfa_token": login.MFAToken}, http.StatusOK, &en)
		s.secret = en.Secret
		s.do(t, http.MethodPost, base+"/api/v1/auth/mfa/activate", map[string]string{"mfa_token": login.MFAToken, "code": s.code(t)}, http.StatusOK, &sess)
	} else {
		s.do(t, http.MethodPost, base+"/api/v1/auth/mfa", map[string]string{"mfa_token": login.MFAToken, "code": s.code(t)}, http.StatusOK, &sess)
	}
	s.token = sess.AccessToken
}

// code returns the code of the current time step, or of the next one
// when this test used the current one already: a code is accepted once,
// and the server accepts the next step's too. The demo loader signed in
// with the step before the one it saw, so the current one is free.
func (s *session) code(t *testing.T) string {
	t.Helper()
	step := time.Now().Unix() / 30
	if step <= s.lastStep {
		step = s.lastStep + 1
	}
	for step > time.Now().Unix()/30+1 {
		time.Sleep(time.Second)
	}
	s.lastStep = step
	code, err := totp.GenerateCodeCustom(s.secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (s *session) do(t *testing.T, method, url string, body any, want int, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		var b []byte
		if raw, ok := body.(string); ok {
			b = []byte(raw)
		} else {
			b, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, url, s.email, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
}

func (s *session) get(t *testing.T, url string) map[string]any {
	t.Helper()
	var v map[string]any
	s.do(t, http.MethodGet, url, nil, http.StatusOK, &v)
	return v
}

func (s *session) post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	var v map[string]any
	s.do(t, http.MethodPost, url, body, http.StatusCreated, &v)
	return v
}

func (s *session) count(t *testing.T, url string) int {
	t.Helper()
	return len(s.get(t, url+"?limit=200")["items"].([]any))
}

type serveProc struct {
	cmd  *exec.Cmd
	done chan error
	log  *syncBuffer
}

// syncBuffer is the output of a running process, read while it writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (p *serveProc) output() string { return p.log.String() }

func startServe(t *testing.T, bin string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = env
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan error, 1), log: log}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("serve output:\n%s", tail(log.String(), 4000))
		}
	})
	return p
}

// stop sends SIGTERM, as Ctrl-C or an orchestrator would, and expects a
// clean exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, tail(p.log.String(), 4000))
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop within 60 s\n%s", tail(p.log.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	waitFor(t, 2*time.Minute, "/readyz", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(string(b))
}
