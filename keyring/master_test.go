package keyring_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
)

var rotatedAt = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func envSource(key []byte) keyring.MasterSource {
	return keyring.MasterSource{Encoded: base64.StdEncoding.EncodeToString(key), Name: "TAHSIL_MASTER_KEY", DataDir: "/nonexistent"}
}

func fileSource(t *testing.T) keyring.MasterSource {
	return keyring.MasterSource{DataDir: t.TempDir()}
}

func openMaster(t *testing.T, pool *pgxpool.Pool, src keyring.MasterSource) keyring.Master {
	t.Helper()
	m, err := keyring.OpenMaster(t.Context(), pool, src, rotatedAt, nil)
	if err != nil {
		t.Fatalf("OpenMaster(%s): %v", src, err)
	}
	return m
}

// subjects creates n data keys under master, destroys the first
// destroyed of them, and returns every subject with its data key (nil
// when destroyed).
func subjects(t *testing.T, pool *pgxpool.Pool, master []byte, n, destroyed int) map[string][]byte {
	t.Helper()
	ctx := t.Context()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
	}
	k := newKeyring(t, pool, master)
	if err := k.CreateMany(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for _, s := range ids[:destroyed] {
		if err := k.Destroy(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Preload(ctx, ids); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for i, s := range ids {
		out[s] = nil
		if i >= destroyed {
			out[s] = mustKey(t, k, s)
		}
	}
	return out
}

// checkKeys asserts that every live data key opens under master and is
// the same key as before, that destroyed ones stay destroyed, and that no
// stored row opens under any of the old keys.
func checkKeys(t *testing.T, pool *pgxpool.Pool, master []byte, want map[string][]byte, old ...[]byte) {
	t.Helper()
	ctx := t.Context()
	k := newKeyring(t, pool, master)
	ids := make([]string, 0, len(want))
	for s := range want {
		ids = append(ids, s)
	}
	if err := k.Preload(ctx, ids); err != nil {
		t.Fatalf("Preload under the new master key: %v", err)
	}
	for s, key := range want {
		got, err := k.Key(ctx, s)
		switch {
		case key == nil && !errors.Is(err, keyring.ErrErased):
			t.Errorf("destroyed %s: %x, %v; want ErrErased", s, got, err)
		case key != nil && (err != nil || !bytes.Equal(got, key)):
			t.Errorf("data key of %s: %x, %v; want %x", s, got, err, key)
		}
	}
	rows, err := pool.Query(ctx, "SELECT subject_id::text, wrapped_key FROM data_keys WHERE destroyed_at IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var subject string
		var wrapped []byte
		if err := rows.Scan(&subject, &wrapped); err != nil {
			t.Fatal(err)
		}
		for _, o := range old {
			if _, err := gcm(t, o).Open(nil, wrapped[:12], wrapped[12:], []byte(subject)); err == nil {
				t.Fatalf("the data key of %s still opens under an old master key", subject)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func gcm(t *testing.T, key []byte) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// snapshot is every row a rotation may change, as text.
func snapshot(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(t.Context(), `SELECT
		(SELECT coalesce(string_agg(subject_id::text || encode(wrapped_key, 'hex') || coalesce(destroyed_at::text, '-'), ',' ORDER BY subject_id), '') FROM data_keys)
		|| '|' || (SELECT fingerprint || encode(wrapped_claim_key, 'hex') || adopted_at::text FROM master_key)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readKey(t *testing.T, path string) []byte {
	t.Helper()
	k, err := keyring.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func assertNoFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists (%v)", path, err)
	}
}

// logBuffer collects what a logger writes, for the warnings of a repair.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	key := make([]byte, keyring.KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	// From openssl: printf 'tahsil master key fingerprint' |
	// openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f, first 32 digits.
	if got, want := keyring.Fingerprint(key), "733ef396317503e99bd178af9e9697cf"; got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	key[31] ^= 1
	if keyring.Fingerprint(key) == "733ef396317503e99bd178af9e9697cf" {
		t.Error("two keys share a fingerprint")
	}
}

func TestOpenMasterRecordsTheKeyAndRefusesAnother(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	key := masterKey(t)
	first := openMaster(t, pool, envSource(key))
	if first.Fingerprint != keyring.Fingerprint(key) || !bytes.Equal(first.Key, key) {
		t.Fatalf("OpenMaster = %s, want the key of fingerprint %s", first.Fingerprint, keyring.Fingerprint(key))
	}
	// The claim key is the one Tahsil always derived, so the digests
	// recorded before fingerprints existed still match.
	derived, err := hkdf.Key(sha256.New, key, nil, "tahsil unique claims v1", 32)
	if err != nil || !bytes.Equal(first.ClaimKey, derived) {
		t.Errorf("claim key %x, want the HKDF of the master key %x (%v)", first.ClaimKey, derived, err)
	}
	if again := openMaster(t, pool, envSource(key)); !bytes.Equal(again.ClaimKey, first.ClaimKey) {
		t.Error("a second start has another claim key")
	}

	other := masterKey(t)
	_, err = keyring.OpenMaster(t.Context(), pool, envSource(other), rotatedAt, nil)
	want := "the data keys are wrapped by master key " + first.Fingerprint + "; TAHSIL_MASTER_KEY holds " + keyring.Fingerprint(other)
	var mismatch *keyring.MismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), want) {
		t.Errorf("OpenMaster with another key: %v; want %q", err, want)
	}

	src := fileSource(t)
	path := filepath.Join(src.DataDir, keyring.MasterKeyFile)
	// A missing key file is reported, not replaced by a new key.
	if _, err := keyring.OpenMaster(t.Context(), pool, src, rotatedAt, nil); err == nil || !strings.Contains(err.Error(), path+" does not exist") {
		t.Errorf("OpenMaster without the key file: %v", err)
	}
	assertNoFile(t, path)
	os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(other)+"\n"), 0o600)
	want = "the data keys are wrapped by master key " + first.Fingerprint + "; " + path + " holds " + keyring.Fingerprint(other)
	if _, err := keyring.OpenMaster(t.Context(), pool, src, rotatedAt, nil); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("OpenMaster with another key file: %v; want %q", err, want)
	}
}

func TestOpenMasterRefusesToRecordAKeyThatOpensNoDataKey(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	// An installation from before fingerprints: data keys, no record.
	key := masterKey(t)
	want := subjects(t, pool, key, 3, 1)
	if _, err := keyring.OpenMaster(t.Context(), pool, envSource(masterKey(t)), rotatedAt, nil); err == nil || !strings.Contains(err.Error(), "does not open the data keys") {
		t.Errorf("OpenMaster with a key that opens no data key: %v", err)
	}
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM master_key").Scan(&n); err != nil || n != 0 {
		t.Fatalf("master_key has %d rows (%v) after a refused key", n, err)
	}
	openMaster(t, pool, envSource(key))
	checkKeys(t, pool, key, want)
}

func TestRotateRewrapsEveryDataKey(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	src := fileSource(t)
	path := filepath.Join(src.DataDir, keyring.MasterKeyFile)
	before := openMaster(t, pool, src) // creates the key file
	// More than a page of keys, so the rotation pages through them.
	want := subjects(t, pool, before.Key, 2300, 3)

	next := masterKey(t)
	done, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: src, NewKey: next, Now: rotatedAt})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if done != (keyring.Rotated{Old: before.Fingerprint, New: keyring.Fingerprint(next), DataKeys: 2297, Destroyed: 3}) {
		t.Errorf("Rotate = %+v", done)
	}
	if got := readKey(t, path); !bytes.Equal(got, next) {
		t.Errorf("%s holds %s after the rotation, want %s", path, keyring.Fingerprint(got), done.New)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, mode %v; want 0600", path, err, fi.Mode().Perm())
	}
	assertNoFile(t, filepath.Join(src.DataDir, keyring.NewMasterKeyFile))
	checkKeys(t, pool, next, want, before.Key)

	after := openMaster(t, pool, src)
	if after.Fingerprint != done.New || !bytes.Equal(after.ClaimKey, before.ClaimKey) {
		t.Errorf("after the rotation: fingerprint %s, claim key changed %v; want %s and the same claim key",
			after.Fingerprint, !bytes.Equal(after.ClaimKey, before.ClaimKey), done.New)
	}
	if _, err := keyring.OpenMaster(t.Context(), pool, envSource(before.Key), rotatedAt, nil); err == nil {
		t.Error("the old master key still opens")
	}

	// A second rotation right after, with a key from the environment:
	// no file is touched.
	third := masterKey(t)
	env := envSource(next)
	env.DataDir = src.DataDir
	if _, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: env, NewKey: third, Now: rotatedAt.Add(time.Minute)}); err != nil {
		t.Fatalf("second Rotate: %v", err)
	}
	checkKeys(t, pool, third, want, before.Key, next)
	if got := readKey(t, path); !bytes.Equal(got, next) {
		t.Error("a rotation with the key in the environment changed the key file")
	}
	if again := openMaster(t, pool, envSource(third)); !bytes.Equal(again.ClaimKey, before.ClaimKey) {
		t.Error("the claim key changed in the second rotation")
	}

	if _, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: envSource(third), NewKey: third, Now: rotatedAt}); err == nil || !strings.Contains(err.Error(), "is the current one") {
		t.Errorf("Rotate to the current key: %v", err)
	}
}

func TestRotateSavesAKeyFromTheEnvironmentBeforeTheCommit(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	old := masterKey(t)
	want := subjects(t, pool, old, 5, 1)
	src := envSource(old)
	src.DataDir = t.TempDir()
	next := masterKey(t)
	var saved []byte
	_, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: src, NewKey: next, Now: rotatedAt,
		SaveNewKey: func(k []byte) error {
			// Nothing depends on the key yet when it is saved.
			if m, err := keyring.OpenMaster(t.Context(), pool, envSource(old), rotatedAt, nil); err != nil || m.Fingerprint != keyring.Fingerprint(old) {
				t.Errorf("when the key is saved, the recorded key is %s (%v), want the old one", m.Fingerprint, err)
			}
			saved = bytes.Clone(k)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, next) {
		t.Errorf("SaveNewKey got %x, want the new key", saved)
	}
	if entries, _ := os.ReadDir(src.DataDir); len(entries) != 0 {
		t.Errorf("a rotation with the key in the environment wrote %v", entries)
	}
	checkKeys(t, pool, next, want, old)

	// A key that cannot be saved is not put in place.
	before := snapshot(t, pool)
	_, err = keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: envSource(next), NewKey: masterKey(t), Now: rotatedAt,
		SaveNewKey: func([]byte) error { return errors.New("disk full") }})
	if err == nil || !strings.Contains(err.Error(), "disk full") || snapshot(t, pool) != before {
		t.Errorf("Rotate with a key that cannot be saved: %v, or the database changed", err)
	}
}

func TestRotateIsAtomic(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	src := fileSource(t)
	old := openMaster(t, pool, src)
	want := subjects(t, pool, old.Key, 1500, 2)
	// A live row that does not open, after a first page already
	// rewrapped in the transaction.
	var bad string
	if err := pool.QueryRow(t.Context(), "SELECT subject_id::text FROM data_keys WHERE destroyed_at IS NULL ORDER BY subject_id OFFSET 1200 LIMIT 1").Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), "UPDATE data_keys SET wrapped_key = set_byte(wrapped_key, 20, get_byte(wrapped_key, 20) # 1) WHERE subject_id = $1", bad); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, pool)

	_, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: src, NewKey: masterKey(t), Now: rotatedAt})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("Rotate over a row that does not open: %v; want an error naming %s", err, bad)
	}
	if after := snapshot(t, pool); after != before {
		t.Error("a failed rotation changed the database")
	}
	if got := readKey(t, filepath.Join(src.DataDir, keyring.MasterKeyFile)); !bytes.Equal(got, old.Key) {
		t.Error("a failed rotation changed the key file")
	}
	assertNoFile(t, filepath.Join(src.DataDir, keyring.NewMasterKeyFile))

	// Once the row is repaired, the same rotation goes through.
	if _, err := pool.Exec(t.Context(), "UPDATE data_keys SET wrapped_key = set_byte(wrapped_key, 20, get_byte(wrapped_key, 20) # 1) WHERE subject_id = $1", bad); err != nil {
		t.Fatal(err)
	}
	next := masterKey(t)
	if _, err := keyring.Rotate(t.Context(), pool, keyring.Rotation{Source: src, NewKey: next, Now: rotatedAt}); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, pool, next, want, old.Key)
}

func TestRotateInterruptedBetweenCommitAndRename(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	src := fileSource(t)
	path, newPath := filepath.Join(src.DataDir, keyring.MasterKeyFile), filepath.Join(src.DataDir, keyring.NewMasterKeyFile)
	old := openMaster(t, pool, src)
	want := subjects(t, pool, old.Key, 20, 2)
	next := masterKey(t)
	crash := errors.New("killed")
	r := keyring.CrashAfterCommit(keyring.Rotation{Source: src, NewKey: next, Now: rotatedAt}, crash)
	if _, err := keyring.Rotate(t.Context(), pool, r); !errors.Is(err, crash) {
		t.Fatalf("Rotate: %v, want the crash", err)
	}
	if !bytes.Equal(readKey(t, path), old.Key) || !bytes.Equal(readKey(t, newPath), next) {
		t.Fatal("the crash did not leave the old key in master.key and the new one in master.key.new")
	}

	// The next start completes the rotation.
	var log logBuffer
	m, err := keyring.OpenMaster(t.Context(), pool, src, rotatedAt, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatalf("OpenMaster after the crash: %v", err)
	}
	if m.Fingerprint != keyring.Fingerprint(next) || !bytes.Equal(readKey(t, path), next) {
		t.Errorf("after the repair: %s, and master.key holds %s; want %s", m.Fingerprint, keyring.Fingerprint(readKey(t, path)), keyring.Fingerprint(next))
	}
	assertNoFile(t, newPath)
	if !strings.Contains(log.String(), "completed an interrupted master key rotation") {
		t.Errorf("the repair was not logged: %q", log.String())
	}
	checkKeys(t, pool, next, want, old.Key)

	// A master.key.new of a rotation that never committed wraps nothing,
	// even a half-written one: it is removed, and the key stays.
	for _, content := range []string{base64.StdEncoding.EncodeToString(masterKey(t)) + "\n", "c2hvcn"} {
		if err := os.WriteFile(newPath, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		log = logBuffer{}
		m, err := keyring.OpenMaster(t.Context(), pool, src, rotatedAt, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil || m.Fingerprint != keyring.Fingerprint(next) {
			t.Errorf("OpenMaster beside a stale master.key.new: %v", err)
		}
		assertNoFile(t, newPath)
		if !strings.Contains(log.String(), "did not commit") {
			t.Errorf("the removal was not logged: %q", log.String())
		}
	}
}

func TestConcurrentRotationsDoNotInterleave(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	old := masterKey(t)
	want := subjects(t, pool, old, 50, 0)
	openMaster(t, pool, envSource(old))
	keys := [][]byte{masterKey(t), masterKey(t)}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			_, errs[i] = keyring.Rotate(context.WithoutCancel(t.Context()), pool, keyring.Rotation{Source: envSource(old), NewKey: keys[i], Now: rotatedAt})
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent rotations: %v and %v; want exactly one to succeed", errs[0], errs[1])
	}
	winner := keys[0]
	if errs[0] != nil {
		winner = keys[1]
	}
	checkKeys(t, pool, winner, want, old)
}
