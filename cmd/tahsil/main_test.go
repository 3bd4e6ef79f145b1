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
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryEmbeddedDefault runs the real binary on its embedded default,
// as `make run` does: it starts with the demo data, keeps what it was told
// across a clean stop and a restart (kfake and PostgreSQL both persist under
// the data directory), and `tahsil projections rebuild` on the stopped
// system leaves the same answers.
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
		"TAHSIL_PARTITIONS=2", "TAHSIL_KAFKA_BROKERS=", "TAHSIL_DATABASE_URL=", "TAHSIL_MASTER_KEY=")
	base := "http://" + httpAddr

	srv := startServe(t, bin, env, "--demo")
	waitReady(t, base)
	waitFor(t, 30*time.Second, "the demo data", func() bool { return count(t, base+"/api/v1/debtors") == 8 })
	if n := count(t, base+"/api/v1/creditors"); n != 4 {
		t.Fatalf("%d demo creditors, want 4", n)
	}
	created := post(t, base+"/api/v1/debtors",
		`{"kind":"person","full_name":"Rachid Taha","nin":"109580123456789999","phones":["0771 23 45 67"],"wilaya":31}`)
	srv.stop(t)

	if fi, err := os.Stat(filepath.Join(dataDir, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, fi.Mode().Perm())
	}

	srv = startServe(t, bin, env, "--demo")
	waitReady(t, base)
	got := get(t, base+"/api/v1/debtors/"+created["id"].(string))
	if got["full_name"] != "Rachid Taha" || got["phones"].([]any)[0] != "+213771234567" {
		t.Fatalf("after a restart the debtor reads %v", got)
	}
	// The demo is loaded once: its Idempotency-Keys make a second run a no-op.
	time.Sleep(time.Second)
	if n := count(t, base+"/api/v1/debtors"); n != 9 {
		t.Fatalf("%d debtors after a restart with --demo, want 9", n)
	}
	before := get(t, base+"/api/v1/debtors?limit=200")
	srv.stop(t)

	rebuild := exec.Command(bin, "projections", "rebuild")
	rebuild.Env = env
	out, err := rebuild.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("rebuilt 3 projection(s)")) {
		t.Fatalf("projections rebuild: %v\n%s", err, out)
	}

	srv = startServe(t, bin, env)
	waitReady(t, base)
	after := get(t, base+"/api/v1/debtors?limit=200")
	if a, b := mustJSON(t, before), mustJSON(t, after); a != b {
		t.Fatalf("the debtors differ after a rebuild:\n%s\n%s", a, b)
	}
	history := get(t, base+"/api/v1/debtors/"+created["id"].(string)+"/history")
	if items := history["items"].([]any); len(items) != 1 {
		t.Fatalf("history after a rebuild: %v", history)
	}
	srv.stop(t)
}

type serveProc struct {
	cmd  *exec.Cmd
	done chan error
	log  *bytes.Buffer
}

func startServe(t *testing.T, bin string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan error, 1), log: &log}
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

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp, http.StatusOK)
}

func post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp, http.StatusCreated)
}

func decode(t *testing.T, resp *http.Response, want int) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, want, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

func count(t *testing.T, url string) int {
	t.Helper()
	return len(get(t, url+"?limit=200")["items"].([]any))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(string(b))
}
