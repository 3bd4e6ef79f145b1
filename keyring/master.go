package keyring

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/store"
)

// NewMasterKeyFile is where a rotation puts the new key, beside
// MasterKeyFile, until its transaction has committed.
const NewMasterKeyFile = "master.key.new"

// claimKeyInfo derives the claim key from the first master key, as Tahsil
// always did, so the digests recorded before master_key existed still match.
// It is also the additional data of the wrapped claim key, which no data key
// (its subject is a UUID) can be mistaken for.
const claimKeyInfo = "tahsil unique claims v1"

// Fingerprint names a master key without revealing it: the first 16 bytes
// of HMAC-SHA-256(key, "tahsil master key fingerprint"), in hex. It is safe
// to log, to store and to write beside the offline copies of the key.
func Fingerprint(master []byte) string {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("tahsil master key fingerprint"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// MasterSource says where the master key is read from.
type MasterSource struct {
	// Encoded is the base64 key given in the environment. When empty, the
	// key is the file MasterKeyFile in DataDir, created on first use.
	Encoded string
	// Name names Encoded's origin in messages: TAHSIL_MASTER_KEY, or
	// TAHSIL_MASTER_KEY_FILE and its path.
	Name    string
	DataDir string
}

// fromFile says whether the key lives in the data directory's file, the
// only case where Tahsil itself writes and renames key files.
func (s MasterSource) fromFile() bool { return s.Encoded == "" }

func (s MasterSource) path(name string) string { return filepath.Join(s.DataDir, name) }

func (s MasterSource) String() string {
	if s.fromFile() {
		return s.path(MasterKeyFile)
	}
	if s.Name == "" {
		return "TAHSIL_MASTER_KEY"
	}
	return s.Name
}

// Master is a master key known to wrap the data keys of the database it was
// opened on, with what the database keeps under it.
type Master struct {
	Key         []byte
	Fingerprint string
	// ClaimKey keys the digests of unique values (and, derived from it, the
	// receipts' codes). It is stored wrapped by the master key and survives
	// rotations unchanged.
	ClaimKey []byte
	// Source is where Key was read from, for messages.
	Source string
}

// MismatchError is returned when the master key given is not the one that
// wraps the database's data keys.
type MismatchError struct {
	Stored, Loaded, Source string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the data keys are wrapped by master key %s; %s holds %s. "+
		"Start with the master key that wraps them (after a rotation, the new one; after a restore, the one in use when the backup was taken)",
		e.Stored, e.Source, e.Loaded)
}

// OpenMaster loads the master key and checks it against the fingerprint
// recorded in db, which it records (with the claim key) on first use.
//
// When the key file no longer matches but master.key.new does, a rotation
// committed and stopped before renaming the file: OpenMaster renames it
// and logs it. A master.key.new that matches nothing recorded is what a
// rotation that never committed left, and is removed.
//
// The caller must keep rotations out while it runs (cmd/tahsil holds the
// master-key lock shared): a rotation's master.key.new is not stale.
func OpenMaster(ctx context.Context, db store.DBTX, src MasterSource, now time.Time, log *slog.Logger) (Master, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q := store.New(db)
	stored, err := q.MasterKeyGet(ctx)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return adoptMaster(ctx, q, src, now)
	case err != nil:
		return Master{}, fmt.Errorf("read the master key's fingerprint: %w", err)
	}
	key, err := loadRecorded(src, stored.Fingerprint, log)
	if err != nil {
		return Master{}, err
	}
	return openClaimKey(key, stored.WrappedClaimKey, src)
}

// loadRecorded returns the key whose fingerprint is recorded, completing an
// interrupted rotation when that is what stands between them.
func loadRecorded(src MasterSource, recorded string, log *slog.Logger) ([]byte, error) {
	if !src.fromFile() {
		key, err := decodeKey(src.Encoded, src.String())
		if err != nil {
			return nil, err
		}
		return key, matches(key, recorded, src)
	}
	key, err := ReadKeyFile(src.path(MasterKeyFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if key != nil && Fingerprint(key) == recorded {
		return key, removeStaleNewKey(src, recorded, log)
	}
	next, err := ReadKeyFile(src.path(NewMasterKeyFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	switch {
	case next != nil && Fingerprint(next) == recorded:
		if err := replaceKeyFile(src.DataDir); err != nil {
			return nil, fmt.Errorf("complete the interrupted master key rotation: %w", err)
		}
		log.Warn("completed an interrupted master key rotation: its transaction had committed, so the new key replaces the old one",
			"file", src.path(MasterKeyFile), "fingerprint", recorded)
		return next, nil
	case key == nil:
		return nil, fmt.Errorf("the data keys are wrapped by master key %s, but %s does not exist: restore it from your copies (a new key would open nothing)",
			recorded, src.path(MasterKeyFile))
	}
	return nil, matches(key, recorded, src)
}

// removeStaleNewKey removes what a rotation that never committed left:
// master.key.new is synced before the commit, so with the recorded
// fingerprint still the old key's, it wraps nothing, whatever it holds.
func removeStaleNewKey(src MasterSource, recorded string, log *slog.Logger) error {
	err := os.Remove(src.path(NewMasterKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove the key of a master key rotation that did not commit: %w", err)
	}
	log.Warn("removed the new key of a master key rotation that did not commit; the master key is unchanged",
		"file", src.path(NewMasterKeyFile), "fingerprint", recorded)
	return nil
}

func matches(key []byte, recorded string, src MasterSource) error {
	if fp := Fingerprint(key); fp != recorded {
		return &MismatchError{Stored: recorded, Loaded: fp, Source: src.String()}
	}
	return nil
}

// adoptMaster records the master key of a database that has none recorded:
// a new installation, or one from before fingerprints. A key that cannot
// open the data keys already there is refused, since recording it would
// only hide the mistake.
func adoptMaster(ctx context.Context, q *store.Queries, src MasterSource, now time.Time) (Master, error) {
	key, err := loadOrCreate(src)
	if err != nil {
		return Master{}, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return Master{}, err
	}
	if err := opensExistingKeys(ctx, q, key, src); err != nil {
		return Master{}, err
	}
	claim, err := hkdf.Key(sha256.New, key, nil, claimKeyInfo, KeySize)
	if err != nil {
		return Master{}, err
	}
	wrapped, err := wrapKey(aead, claimKeyInfo, claim)
	if err != nil {
		return Master{}, err
	}
	fp := Fingerprint(key)
	if _, err := q.MasterKeyInsert(ctx, store.MasterKeyInsertParams{Fingerprint: fp, WrappedClaimKey: wrapped, AdoptedAt: now.UTC()}); err != nil {
		return Master{}, fmt.Errorf("record the master key's fingerprint: %w", err)
	}
	stored, err := q.MasterKeyGet(ctx)
	if err != nil {
		return Master{}, fmt.Errorf("read the master key's fingerprint: %w", err)
	}
	if err := matches(key, stored.Fingerprint, src); err != nil {
		return Master{}, err // another process recorded another key first
	}
	return openClaimKey(key, stored.WrappedClaimKey, src)
}

// loadOrCreate loads the key, creating the key file on first use.
func loadOrCreate(src MasterSource) ([]byte, error) {
	if src.fromFile() {
		return LoadMasterKey("", src.DataDir)
	}
	return decodeKey(src.Encoded, src.String())
}

func opensExistingKeys(ctx context.Context, q *store.Queries, master []byte, src MasterSource) error {
	aead, err := newAEAD(master)
	if err != nil {
		return err
	}
	row, err := q.DataKeyAnyLive(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read a data key: %w", err)
	}
	key, err := unwrapKey(aead, row.SubjectID, row.WrappedKey)
	if err != nil {
		return fmt.Errorf("the master key of %s (fingerprint %s) does not open the data keys in the database: %w", src, Fingerprint(master), err)
	}
	clear(key)
	return nil
}

func openClaimKey(key, wrapped []byte, src MasterSource) (Master, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return Master{}, err
	}
	claim, err := unwrapKey(aead, claimKeyInfo, wrapped)
	if err != nil {
		return Master{}, fmt.Errorf("open the claim key: %w", err)
	}
	return Master{Key: key, Fingerprint: Fingerprint(key), ClaimKey: claim, Source: src.String()}, nil
}

// ReadKeyFile reads a key file: a key in standard base64, white space
// around it allowed. A missing file is an error wrapping os.ErrNotExist.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	return ParseKey(string(b), path)
}

// ParseKey decodes a key given in standard base64; from names where it
// came from in the error.
func ParseKey(s, from string) ([]byte, error) {
	return decodeKey(strings.TrimSpace(s), from)
}

// replaceKeyFile renames master.key.new over master.key, and syncs the
// directory so that the rename outlives a crash.
func replaceKeyFile(dir string) error {
	if err := os.Rename(filepath.Join(dir, NewMasterKeyFile), filepath.Join(dir, MasterKeyFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
