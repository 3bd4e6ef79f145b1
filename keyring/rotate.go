package keyring

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/store"
)

// rewrapPage bounds the rows a rotation holds in memory at once; the
// transaction still covers every row.
const rewrapPage = 1000

// Rotation replaces the master key.
type Rotation struct {
	Source MasterSource
	// NewKey is the key that will wrap the data keys.
	NewKey []byte
	// SaveNewKey, when set, keeps the new key durably before the commit
	// (the command prints it when the key comes from the environment):
	// after the commit the old key opens nothing. With the key file the
	// rotation writes master.key.new itself.
	SaveNewKey func(key []byte) error
	Now        time.Time
	Log        *slog.Logger

	// afterCommit stands for a crash between the commit and the rename of
	// the key file, in tests.
	afterCommit func() error
}

// Rotated is what a rotation did.
type Rotated struct {
	Old, New  string // fingerprints
	DataKeys  int    // rewrapped
	Destroyed int    // destroyed keys: nothing left to rewrap
}

// TxBeginner starts transactions: a pool or a connection.
type TxBeginner interface {
	store.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Rotate rewraps every data key and the claim key under r.NewKey and
// records its fingerprint, in one transaction: it fails whole or succeeds
// whole. With the key file, the new key is first written to
// master.key.new and synced, and renamed over master.key once the
// transaction has committed; OpenMaster completes a rename a crash
// interrupted.
//
// The data keys themselves do not change (they seal an immutable log), so
// a copy of data_keys taken before still opens with the old master key.
//
// Every other process using the master key must be stopped: one running
// would go on wrapping new data keys with the old key. cmd/tahsil enforces
// it with the master-key lock.
func Rotate(ctx context.Context, db TxBeginner, r Rotation) (Rotated, error) {
	old, err := OpenMaster(ctx, db, r.Source, r.Now, r.Log)
	if err != nil {
		return Rotated{}, err
	}
	if len(r.NewKey) != KeySize {
		return Rotated{}, fmt.Errorf("the new master key must be %d bytes, not %d", KeySize, len(r.NewKey))
	}
	if bytes.Equal(r.NewKey, old.Key) {
		return Rotated{}, fmt.Errorf("the new master key is the current one (%s)", old.Fingerprint)
	}
	if err := r.saveNewKey(); err != nil {
		return Rotated{}, err
	}
	done, err := r.commit(ctx, db, old)
	if err != nil {
		return Rotated{}, err
	}
	if r.afterCommit != nil {
		if err := r.afterCommit(); err != nil {
			return done, err
		}
	}
	if r.Source.fromFile() {
		if err := replaceKeyFile(r.Source.DataDir); err != nil {
			return done, fmt.Errorf("the data keys are wrapped by the new master key %s, but %s could not replace %s (the next start completes it): %w",
				done.New, NewMasterKeyFile, MasterKeyFile, err)
		}
	}
	return done, nil
}

// saveNewKey makes the new key durable before anything depends on it.
func (r Rotation) saveNewKey() error {
	if r.Source.fromFile() {
		path := r.Source.path(NewMasterKeyFile)
		// OpenMaster removed a leftover of a rotation that did not
		// commit, so the file is new.
		if err := writeKeyFile(path, r.NewKey); err != nil {
			return fmt.Errorf("write the new master key: %w", err)
		}
		if err := syncDir(r.Source.DataDir); err != nil {
			os.Remove(path)
			return fmt.Errorf("write the new master key: %w", err)
		}
	}
	if r.SaveNewKey != nil {
		if err := r.SaveNewKey(r.NewKey); err != nil {
			r.discardNewKey()
			return fmt.Errorf("save the new master key: %w", err)
		}
	}
	return nil
}

// discardNewKey removes master.key.new when the transaction surely did
// not commit: the key wraps nothing.
func (r Rotation) discardNewKey() {
	if r.Source.fromFile() {
		os.Remove(r.Source.path(NewMasterKeyFile))
	}
}

// commit runs the rewrap transaction. A failed commit leaves
// master.key.new in place, since the transaction may have committed all
// the same; OpenMaster settles it from the recorded fingerprint.
func (r Rotation) commit(ctx context.Context, db TxBeginner, old Master) (Rotated, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		r.discardNewKey()
		return Rotated{}, fmt.Errorf("rotate the master key: %w", err)
	}
	done, err := rewrapAll(ctx, store.New(tx), old, r.NewKey, r.Now)
	if err != nil {
		tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the rewrap error is the one to report
		r.discardNewKey()
		return Rotated{}, fmt.Errorf("rotate the master key (nothing changed): %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Rotated{}, fmt.Errorf("commit the master key rotation (the next start tells whether it committed, and settles the key file): %w", err)
	}
	return done, nil
}

// rewrapAll rewraps every live data key and the claim key, then records
// the new fingerprint.
func rewrapAll(ctx context.Context, q *store.Queries, old Master, newKey []byte, now time.Time) (Rotated, error) {
	from, err := newAEAD(old.Key)
	if err != nil {
		return Rotated{}, err
	}
	to, err := newAEAD(newKey)
	if err != nil {
		return Rotated{}, err
	}
	if err := q.DataKeysLock(ctx); err != nil {
		return Rotated{}, fmt.Errorf("lock data_keys: %w", err)
	}
	stored, err := q.MasterKeyGetForUpdate(ctx)
	if err != nil {
		return Rotated{}, fmt.Errorf("read the master key's fingerprint: %w", err)
	}
	if stored.Fingerprint != old.Fingerprint {
		return Rotated{}, errors.New("the master key was rotated meanwhile by another process")
	}
	done := Rotated{Old: old.Fingerprint, New: Fingerprint(newKey)}
	if done.DataKeys, err = rewrapDataKeys(ctx, q, from, to); err != nil {
		return Rotated{}, err
	}
	claim, err := rewrap(from, to, claimKeyInfo, stored.WrappedClaimKey)
	if err != nil {
		return Rotated{}, fmt.Errorf("claim key: %w", err)
	}
	n, err := q.MasterKeyReplace(ctx, store.MasterKeyReplaceParams{
		NewFingerprint: done.New, WrappedClaimKey: claim, AdoptedAt: now.UTC(), OldFingerprint: old.Fingerprint,
	})
	if err != nil {
		return Rotated{}, fmt.Errorf("record the new fingerprint: %w", err)
	}
	if n != 1 {
		return Rotated{}, errors.New("record the new fingerprint: the recorded one changed meanwhile")
	}
	counts, err := q.DataKeysCount(ctx)
	if err != nil {
		return Rotated{}, fmt.Errorf("count data keys: %w", err)
	}
	if counts.Live != int64(done.DataKeys) {
		return Rotated{}, fmt.Errorf("rewrapped %d data keys of %d", done.DataKeys, counts.Live)
	}
	done.Destroyed = int(counts.Destroyed)
	return done, nil
}

// rewrapDataKeys walks the live keys in subject order, a page at a time.
// Destroyed keys are empty and stay so.
func rewrapDataKeys(ctx context.Context, q *store.Queries, from, to cipher.AEAD) (int, error) {
	total := 0
	var after *string
	for {
		rows, err := q.DataKeysLivePage(ctx, store.DataKeysLivePageParams{After: after, RowLimit: rewrapPage})
		if err != nil {
			return total, fmt.Errorf("read data keys: %w", err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		p := store.DataKeysRewrapParams{SubjectIds: make([]string, len(rows)), WrappedKeys: make([][]byte, len(rows))}
		for i, row := range rows {
			if p.WrappedKeys[i], err = rewrap(from, to, row.SubjectID, row.WrappedKey); err != nil {
				return total, err
			}
			p.SubjectIds[i] = row.SubjectID
		}
		n, err := q.DataKeysRewrap(ctx, p)
		if err != nil {
			return total, fmt.Errorf("store rewrapped data keys: %w", err)
		}
		if n != int64(len(rows)) {
			return total, fmt.Errorf("stored %d rewrapped data keys of %d", n, len(rows))
		}
		total += len(rows)
		after = &rows[len(rows)-1].SubjectID
	}
}

func rewrap(from, to cipher.AEAD, subject string, wrapped []byte) ([]byte, error) {
	key, err := unwrapKey(from, subject, wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return wrapKey(to, subject, key)
}
