// Package keyring keeps the per-person data keys that seal personal data in
// Kafka records (Algerian Law 18-07): one random AES-256 key per person,
// stored in PostgreSQL wrapped by the master key, never in Kafka.
//
// Destroying a person's key is crypto-shredding: the immutable log keeps the
// amounts and dates, and that person's sealed parts can no longer be opened.
//
// The database knows the master key by its fingerprint only: OpenMaster
// refuses another key at start, and Rotate replaces the master key by
// rewrapping the data keys, which themselves never change.
package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/adc-dz/tahsil/store"
)

// ErrErased is returned for a person whose data key was destroyed.
var ErrErased = errors.New("personal data erased")

// ErrNoKey is returned for a subject that never had a data key.
var ErrNoKey = errors.New("no data key for subject")

// KeySize is the size of master and data keys: AES-256.
const KeySize = 32

// MasterKeyFile is the name of the key file created in the data directory
// when no TAHSIL_MASTER_KEY is given.
const MasterKeyFile = "master.key"

// LoadMasterKey returns the master key: the base64 value when given (from
// TAHSIL_MASTER_KEY), else the key file in dataDir, created with mode 0600 on
// first use. Losing it makes every sealed personal part unreadable.
func LoadMasterKey(encoded, dataDir string) ([]byte, error) {
	if encoded != "" {
		return decodeKey(encoded, "TAHSIL_MASTER_KEY")
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return decodeKey(strings.TrimSpace(string(b)), path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := writeKeyFile(path, key); err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	return key, nil
}

// NewKey returns a random 256-bit key.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}

// writeKeyFile creates a key file, mode 0600, and syncs it; it never
// replaces a file.
func writeKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func decodeKey(s, from string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("master key from %s must be %d bytes in standard base64", from, KeySize)
	}
	return key, nil
}

// Keyring wraps, stores and caches data keys.
type Keyring struct {
	q      *store.Queries
	master cipher.AEAD
	cache  *lru.Cache[string, []byte]
	now    func() time.Time
}

// New returns a keyring over db. cacheSize bounds the unwrapped keys kept in
// memory (a rebuild touches every person once, so the cache must not grow
// with the log).
func New(db store.DBTX, masterKey []byte, cacheSize int) (*Keyring, error) {
	aead, err := newAEAD(masterKey)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if cacheSize <= 0 {
		cacheSize = 100_000
	}
	cache, err := lru.New[string, []byte](cacheSize)
	if err != nil {
		return nil, err
	}
	return &Keyring{q: store.New(db), master: aead, cache: cache, now: time.Now}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Create makes a data key for a subject that has none; it keeps an existing
// one, so retries are harmless.
func (k *Keyring) Create(ctx context.Context, subject string) error {
	if _, ok := k.cache.Get(subject); ok {
		return nil
	}
	// The key is wrapped with the subject as additional data and unwrapped
	// with the id as PostgreSQL spells it: another spelling would store a
	// key that can never be opened.
	if u, err := uuid.Parse(subject); err != nil || u.String() != subject {
		return fmt.Errorf("data key subject %q is not a canonical UUID", subject)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	wrapped, err := k.wrap(subject, key)
	if err != nil {
		return err
	}
	n, err := k.q.DataKeyInsert(ctx, store.DataKeyInsertParams{SubjectID: subject, WrappedKey: wrapped, CreatedAt: k.now().UTC()})
	if err != nil {
		return fmt.Errorf("store data key of %s: %w", subject, err)
	}
	// Only the key actually stored may be cached: on a retry the row
	// already existed and this random key was thrown away. Caching it saves
	// the read the caller's Seal would otherwise make.
	if n == 1 {
		k.cache.Add(subject, key)
	}
	return nil
}

// CreateMany makes data keys for many subjects in one COPY, for bulk loads
// (imports, benchmarks) where Create's round trip per subject dominates.
// Unlike Create it is not idempotent: the subjects must be new, and one
// that already has a key fails the whole call (nothing is stored then).
func (k *Keyring) CreateMany(ctx context.Context, subjects []string) error {
	if len(subjects) == 0 {
		return nil
	}
	now := k.now().UTC()
	rows := make([]store.DataKeysInsertManyParams, len(subjects))
	key := make([]byte, KeySize)
	for i, s := range subjects {
		if _, err := rand.Read(key); err != nil {
			return err
		}
		wrapped, err := k.wrap(s, key)
		if err != nil {
			return err
		}
		rows[i] = store.DataKeysInsertManyParams{SubjectID: s, WrappedKey: wrapped, CreatedAt: now}
	}
	clear(key)
	if _, err := k.q.DataKeysInsertMany(ctx, rows); err != nil {
		return fmt.Errorf("store %d data keys: %w", len(subjects), err)
	}
	return nil
}

// Key returns a subject's data key, ErrErased when it was destroyed, or
// ErrNoKey when it never existed.
func (k *Keyring) Key(ctx context.Context, subject string) ([]byte, error) {
	key, ok := k.cache.Get(subject)
	if !ok {
		if err := k.Preload(ctx, []string{subject}); err != nil {
			return nil, err
		}
		if key, ok = k.cache.Get(subject); !ok {
			return nil, fmt.Errorf("data key of %s: %w", subject, ErrNoKey)
		}
	}
	if key == nil {
		return nil, fmt.Errorf("data key of %s: %w", subject, ErrErased)
	}
	return key, nil
}

// Preload fetches the keys of many subjects in one query, so a projection
// batch costs one round trip however many people it touches. Erased
// subjects are cached as erased.
func (k *Keyring) Preload(ctx context.Context, subjects []string) error {
	missing := subjects[:0:0]
	for _, s := range subjects {
		if !k.cache.Contains(s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := k.q.DataKeysGetMany(ctx, missing)
	if err != nil {
		return fmt.Errorf("load data keys: %w", err)
	}
	for _, r := range rows {
		if r.DestroyedAt != nil {
			k.cache.Add(r.SubjectID, nil)
			continue
		}
		key, err := k.unwrap(r.SubjectID, r.WrappedKey)
		if err != nil {
			return err
		}
		k.cache.Add(r.SubjectID, key)
	}
	return nil
}

// Destroy erases a subject's data key for good.
func (k *Keyring) Destroy(ctx context.Context, subject string) error {
	now := k.now().UTC()
	if _, err := k.q.DataKeyDestroy(ctx, store.DataKeyDestroyParams{SubjectID: subject, DestroyedAt: &now}); err != nil {
		return fmt.Errorf("destroy data key of %s: %w", subject, err)
	}
	k.cache.Add(subject, nil)
	return nil
}

// Forget drops a subject from the cache, for processes that share the
// database with the one that destroyed the key.
func (k *Keyring) Forget(subject string) { k.cache.Remove(subject) }

func (k *Keyring) wrap(subject string, key []byte) ([]byte, error) {
	return wrapKey(k.master, subject, key)
}

func (k *Keyring) unwrap(subject string, wrapped []byte) ([]byte, error) {
	return unwrapKey(k.master, subject, wrapped)
}

// wrapKey seals key under the master key with its subject as additional
// data, so a wrapped key moved onto another subject does not open.
func wrapKey(master cipher.AEAD, subject string, key []byte) ([]byte, error) {
	nonce := make([]byte, master.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return master.Seal(nonce, nonce, key, []byte(subject)), nil
}

func unwrapKey(master cipher.AEAD, subject string, wrapped []byte) ([]byte, error) {
	n := master.NonceSize()
	if len(wrapped) < n {
		return nil, fmt.Errorf("data key of %s is truncated", subject)
	}
	key, err := master.Open(nil, wrapped[:n], wrapped[n:], []byte(subject))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key of %s (wrong master key?): %w", subject, err)
	}
	return key, nil
}
