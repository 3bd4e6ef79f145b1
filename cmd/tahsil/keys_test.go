package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
)

var printedKey = regexp.MustCompile(`\n\n  ([A-Za-z0-9+/]{43}=)\n\n`)

// TestKeysRotateWithTheKeyInTheEnvironment runs `keys rotate` in process
// on a database it shares with another Tahsil process, as with an
// external PostgreSQL: refused while that process runs, then done once it
// has stopped; the old key is refused at the next start with both
// fingerprints, and the new one opens the data keys.
func TestKeysRotateWithTheKeyInTheEnvironment(t *testing.T) {
	t.Parallel()
	ctx, log := t.Context(), apptest.Logger()
	old, err := keyring.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{
		DataDir: t.TempDir(), DatabaseURL: pgtest.URL(t), Components: map[string]bool{},
		MasterKey: base64.StdEncoding.EncodeToString(old), MasterKeyFrom: "TAHSIL_MASTER_KEY",
	}
	running, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		t.Fatal(err)
	}
	subject := uuid.Must(uuid.NewV7()).String()
	if err := running.keys.Create(ctx, subject); err != nil {
		t.Fatal(err)
	}
	dataKey, err := running.keys.Key(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	// A key from the environment is the operator's to replace: a
	// generated one is only ever printed on request.
	if err := keysRotate(ctx, cfg, log, nil, &out); err == nil || !strings.Contains(err.Error(), "--print-new-key") || !strings.Contains(err.Error(), "TAHSIL_MASTER_KEY") {
		t.Errorf("keys rotate with TAHSIL_MASTER_KEY and no new key: %v", err)
	}
	err = keysRotate(ctx, cfg, log, []string{"--print-new-key"}, &out)
	if err == nil || !strings.Contains(err.Error(), "stop every tahsil serve") || !strings.Contains(err.Error(), sessionName(false)) {
		t.Errorf("keys rotate beside a running process: %v; want a refusal naming %q", err, sessionName(false))
	}
	if out.Len() > 0 {
		t.Errorf("a refused rotation printed %q", out.String())
	}
	running.close()

	if err := keysRotate(ctx, cfg, log, []string{"--print-new-key"}, &out); err != nil {
		t.Fatalf("keys rotate on a stopped system: %v\n%s", err, out.String())
	}
	m := printedKey.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "Set TAHSIL_MASTER_KEY to the new key printed above") {
		t.Fatalf("keys rotate printed:\n%s", out.String())
	}
	next, _ := base64.StdEncoding.DecodeString(m[1])
	oldFP, nextFP := keyring.Fingerprint(old), keyring.Fingerprint(next)
	if !strings.Contains(out.String(), "old fingerprint  "+oldFP) || !strings.Contains(out.String(), "new fingerprint  "+nextFP) {
		t.Errorf("keys rotate printed:\n%s", out.String())
	}

	want := "the data keys are wrapped by master key " + nextFP + "; TAHSIL_MASTER_KEY holds " + oldFP
	if in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed}); err == nil || !strings.Contains(err.Error(), want) {
		if err == nil {
			in.close()
		}
		t.Fatalf("start with the old key: %v; want %q", err, want)
	}
	cfg.MasterKey = m[1]
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		t.Fatalf("start with the new key: %v", err)
	}
	if got, err := in.keys.Key(ctx, subject); err != nil || !bytes.Equal(got, dataKey) {
		t.Errorf("data key after the rotation: %x, %v; want %x", got, err, dataKey)
	}
	in.close()
	out.Reset()
	if err := keysFingerprint(ctx, cfg, log, &out); err != nil || out.String() != nextFP+"  TAHSIL_MASTER_KEY\n" {
		t.Errorf("keys fingerprint: %q, %v", out.String(), err)
	}

	// A new key from a file is not printed: the operator has it.
	third, _ := keyring.NewKey()
	file := filepath.Join(t.TempDir(), "next.key")
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(third)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := keysRotate(ctx, cfg, log, []string{"--new-key-file", file}, &out); err != nil {
		t.Fatalf("keys rotate --new-key-file: %v", err)
	}
	if strings.Contains(out.String(), base64.StdEncoding.EncodeToString(third)) || !strings.Contains(out.String(), "to the new key from "+file) {
		t.Errorf("keys rotate --new-key-file printed:\n%s", out.String())
	}
	cfg.NewMasterKey, cfg.NewMasterKeyFrom = base64.StdEncoding.EncodeToString(old), "TAHSIL_NEW_MASTER_KEY"
	if err := keysRotate(ctx, cfg, log, []string{"--new-key-file", file}, &out); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("keys rotate with two new keys: %v", err)
	}
}
