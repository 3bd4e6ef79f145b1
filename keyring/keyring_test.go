package keyring_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func masterKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, keyring.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newKeyring(t *testing.T, pool *pgxpool.Pool, master []byte) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(pool, master, 0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKey(t *testing.T, k *keyring.Keyring, subject string) []byte {
	t.Helper()
	key, err := k.Key(t.Context(), subject)
	if err != nil {
		t.Fatalf("Key(%s): %v", subject, err)
	}
	if len(key) != keyring.KeySize {
		t.Fatalf("Key(%s) has %d bytes, want %d", subject, len(key), keyring.KeySize)
	}
	return key
}

func TestLoadMasterKeyCreatesAndRereadsTheFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	first, err := keyring.LoadMasterKey("", dir)
	if err != nil {
		t.Fatalf("first load: %v", err)
	}
	if len(first) != keyring.KeySize || bytes.Equal(first, make([]byte, keyring.KeySize)) {
		t.Fatalf("generated key %x", first)
	}
	path := filepath.Join(dir, keyring.MasterKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm()&0o077 != 0 {
		t.Errorf("data directory mode %v (%v), want no access for group or others", di.Mode().Perm(), err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != base64.StdEncoding.EncodeToString(first)+"\n" {
		t.Errorf("key file holds %q, want the key in standard base64 and a newline", content)
	}

	again, err := keyring.LoadMasterKey("", dir)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("second load = %x, %v; want the key of the file %x", again, err, first)
	}

	// A value from the environment wins over the file.
	env := make([]byte, keyring.KeySize)
	rand.Read(env)
	got, err := keyring.LoadMasterKey(base64.StdEncoding.EncodeToString(env), dir)
	if err != nil || !bytes.Equal(got, env) {
		t.Errorf("LoadMasterKey(env) = %x, %v; want %x", got, err, env)
	}
	if again, _ := keyring.LoadMasterKey("", dir); !bytes.Equal(again, first) {
		t.Error("loading the key from the environment changed the key file")
	}
}

func TestLoadMasterKeyRejectsBadKeys(t *testing.T) {
	t.Parallel()
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	for name, encoded := range map[string]string{
		"not base64":      "this is not base64!",
		"url alphabet":    strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))),
		"raw without pad": base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)),
		"16 bytes":        b64(16),
		"31 bytes":        b64(31),
		"33 bytes":        b64(33),
		"64 bytes":        b64(64),
	} {
		if key, err := keyring.LoadMasterKey(encoded, t.TempDir()); err == nil || !strings.Contains(err.Error(), "TAHSIL_MASTER_KEY") {
			t.Errorf("%s: LoadMasterKey(%q) = %x, %v; want an error naming TAHSIL_MASTER_KEY", name, encoded, key, err)
		}
	}

	for name, content := range map[string]string{
		"garbage":  "garbage\n",
		"short":    b64(16) + "\n",
		"empty":    "",
		"two keys": b64(32) + "\n" + b64(32) + "\n",
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, keyring.MasterKeyFile)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if key, err := keyring.LoadMasterKey("", dir); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s key file: LoadMasterKey = %x, %v; want an error naming %s", name, key, err, path)
		}
		// A bad file is reported, never replaced by a new key.
		if after, _ := os.ReadFile(path); string(after) != content {
			t.Errorf("%s key file was rewritten", name)
		}
	}

	// Surrounding white space in the file is fine.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, keyring.MasterKeyFile), []byte("  "+b64(32)+"\r\n\n"), 0o600)
	if key, err := keyring.LoadMasterKey("", dir); err != nil || !bytes.Equal(key, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("key file with white space: %x, %v", key, err)
	}

	// A data directory that is a file.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := keyring.LoadMasterKey("", file); err == nil {
		t.Error("LoadMasterKey under a regular file succeeded")
	}
}

func TestNewRefusesBadMasterKeys(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := keyring.New(nil, make([]byte, n), 0); err == nil {
			t.Errorf("New accepted a %d-byte master key", n)
		}
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := masterKey(t)
	k := newKeyring(t, pool, master)
	ctx := t.Context()
	subject := newID()
	if err := k.Create(ctx, subject); err != nil {
		t.Fatal(err)
	}
	first := mustKey(t, k, subject)
	if err := k.Create(ctx, subject); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if again := mustKey(t, k, subject); !bytes.Equal(again, first) {
		t.Error("a second Create replaced the data key")
	}
	// Another process (no cache) retrying the creation keeps it too.
	other := newKeyring(t, pool, master)
	if err := other.Create(ctx, subject); err != nil {
		t.Fatal(err)
	}
	if got := mustKey(t, other, subject); !bytes.Equal(got, first) {
		t.Error("Create in a second keyring replaced the data key")
	}
	// Concurrent creations of a new subject agree on one key.
	subject2 := newID()
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- newKeyring(t, pool, master).Create(ctx, subject2) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Create: %v", err)
		}
	}
	a, b := mustKey(t, k, subject2), mustKey(t, other, subject2)
	if !bytes.Equal(a, b) || bytes.Equal(a, first) {
		t.Error("concurrent creations disagree, or two subjects share a key")
	}

	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM data_keys").Scan(&n); err != nil || n != 2 {
		t.Errorf("data_keys holds %d rows (%v), want 2", n, err)
	}
}

func TestKeysAreStoredWrapped(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	k := newKeyring(t, pool, masterKey(t))
	ctx := t.Context()
	a, b := newID(), newID()
	for _, s := range []string{a, b} {
		if err := k.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	key := mustKey(t, k, a)
	var wrapped []byte
	if err := pool.QueryRow(ctx, "SELECT wrapped_key FROM data_keys WHERE subject_id = $1", a).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, key) || len(wrapped) != 12+keyring.KeySize+16 {
		t.Errorf("stored key %x is not the data key wrapped by AES-GCM", wrapped)
	}

	// The subject is bound to its wrapped key: a row copied onto another
	// person does not give that person the first one's key.
	if _, err := pool.Exec(ctx, "UPDATE data_keys SET wrapped_key = $1 WHERE subject_id = $2", wrapped, b); err != nil {
		t.Fatal(err)
	}
	k.Forget(b)
	if got, err := k.Key(ctx, b); err == nil {
		t.Errorf("Key of a subject holding another's wrapped key = %x, want an error", got)
	}
}

func TestCreateRefusesNonCanonicalSubjects(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := masterKey(t)
	k := newKeyring(t, pool, master)
	id := newID()
	// PostgreSQL hands the id back in its canonical spelling, which is
	// what unwrapping authenticates: a key wrapped under another spelling
	// could never be opened.
	for _, s := range []string{strings.ToUpper(id), "{" + id + "}", strings.ReplaceAll(id, "-", ""), "someone"} {
		if err := k.Create(t.Context(), s); err == nil {
			t.Errorf("Create(%q) succeeded", s)
		}
	}
	if err := k.Create(t.Context(), id); err != nil {
		t.Fatalf("Create(%q): %v", id, err)
	}
	mustKey(t, newKeyring(t, pool, master), id)
}

func TestDestroyErasesForGood(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := masterKey(t)
	k := newKeyring(t, pool, master)
	ctx := t.Context()
	subject, bystander := newID(), newID()
	for _, s := range []string{subject, bystander} {
		if err := k.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	before := mustKey(t, k, bystander)
	// Another process that already holds the key in its cache.
	other := newKeyring(t, pool, master)
	mustKey(t, other, subject)

	if err := k.Destroy(ctx, subject); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Key(ctx, subject); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key after Destroy: %v, want ErrErased", err)
	}
	if err := k.Destroy(ctx, subject); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	// Creating again does not bring the person back.
	if err := k.Create(ctx, subject); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Key(ctx, subject); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key after Destroy and Create: %v, want ErrErased", err)
	}
	fresh := newKeyring(t, pool, master)
	if err := fresh.Create(ctx, subject); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Key(ctx, subject); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key in a fresh keyring: %v, want ErrErased", err)
	}
	var wrapped []byte
	if err := pool.QueryRow(ctx, "SELECT wrapped_key FROM data_keys WHERE subject_id = $1", subject).Scan(&wrapped); err != nil || len(wrapped) != 0 {
		t.Errorf("destroyed row still holds %x (%v)", wrapped, err)
	}
	// The other process forgets the key when told to.
	other.Forget(subject)
	if _, err := other.Key(ctx, subject); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key after Forget in another keyring: %v, want ErrErased", err)
	}
	if after := mustKey(t, fresh, bystander); !bytes.Equal(after, before) {
		t.Error("destroying one key changed another")
	}
}

func TestKeyOfUnknownSubject(t *testing.T) {
	t.Parallel()
	k := newKeyring(t, pgtest.New(t), masterKey(t))
	if _, err := k.Key(t.Context(), newID()); !errors.Is(err, keyring.ErrNoKey) || errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key of a subject without key: %v, want ErrNoKey", err)
	}
}

func TestPreloadFetchesManySubjectsAtOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	master := masterKey(t)
	k := newKeyring(t, pool, master)

	const n = 400
	subjects := make([]string, n)
	want := map[string][]byte{}
	for i := range subjects {
		subjects[i] = newID()
		if err := k.Create(ctx, subjects[i]); err != nil {
			t.Fatal(err)
		}
	}
	erased := map[string]bool{}
	for _, s := range subjects[:n/10] {
		if err := k.Destroy(ctx, s); err != nil {
			t.Fatal(err)
		}
		erased[s] = true
	}
	for _, s := range subjects[n/10:] {
		want[s] = mustKey(t, k, s)
	}

	// A second process preloads everyone, then loses its database: every
	// answer must come from that one preload.
	own, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	other := newKeyring(t, own, master)
	unknown := newID()
	if err := other.Preload(ctx, append(append([]string{unknown}, subjects...), subjects[:5]...)); err != nil {
		t.Fatalf("Preload: %v", err)
	}
	if err := other.Preload(ctx, nil); err != nil {
		t.Fatalf("Preload of nobody: %v", err)
	}
	own.Close()
	if err := other.Preload(ctx, subjects); err != nil {
		t.Errorf("Preload of subjects already cached went to the database: %v", err)
	}
	for _, s := range subjects {
		key, err := other.Key(ctx, s)
		switch {
		case erased[s]:
			if !errors.Is(err, keyring.ErrErased) {
				t.Errorf("Key of erased %s: %x, %v; want ErrErased", s, key, err)
			}
		case err != nil || !bytes.Equal(key, want[s]):
			t.Errorf("Key of %s: %x, %v; want %x", s, key, err, want[s])
		}
	}
	if _, err := other.Key(ctx, unknown); err == nil || errors.Is(err, keyring.ErrErased) {
		t.Errorf("Key of a subject that had no key: %v", err)
	}
}

func TestSmallCacheStillServesEveryone(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := masterKey(t)
	k, err := keyring.New(pool, master, 8)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	subjects := make([]string, 40)
	for i := range subjects {
		subjects[i] = newID()
		if err := k.Create(ctx, subjects[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Preload(ctx, subjects); err != nil {
		t.Fatal(err)
	}
	ref := newKeyring(t, pool, master)
	for round := range 2 {
		for _, s := range subjects {
			if got := mustKey(t, k, s); !bytes.Equal(got, mustKey(t, ref, s)) {
				t.Errorf("round %d: key of %s differs between keyrings", round, s)
			}
		}
	}
}

func TestWrongMasterKeyDoesNotUnwrap(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	k := newKeyring(t, pool, masterKey(t))
	subject := newID()
	if err := k.Create(context.Background(), subject); err != nil {
		t.Fatal(err)
	}
	wrong := newKeyring(t, pool, masterKey(t))
	key, err := wrong.Key(t.Context(), subject)
	if err == nil || errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey) || !strings.Contains(err.Error(), "master key") {
		t.Errorf("Key under another master key = %x, %v; want an error about the master key", key, err)
	}
}
