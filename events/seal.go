package events

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/adc-dz/tahsil/collection"
)

// KeySource gives the data key of a person (a creditor or debtor id).
type KeySource interface {
	Key(ctx context.Context, subject string) ([]byte, error)
}

// sealVersion prefixes every sealed part so the format can change later.
const sealVersion byte = 1

// Sealer seals and opens personal parts with AES-256-GCM under the data key
// of the person they describe. The subject id is the additional data, so a
// sealed part copied onto another person's event does not open.
type Sealer struct {
	keys KeySource
}

// NewSealer returns a sealer over a key source.
func NewSealer(keys KeySource) *Sealer { return &Sealer{keys: keys} }

// Seal encrypts v (marshalled as JSON) for subject.
func (s *Sealer) Seal(ctx context.Context, subject string, v any) (collection.Sealed, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal personal part of %s: %w", subject, err)
	}
	key, err := s.keys.Key(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("seal personal part of %s: %w", subject, err)
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plain, []byte(subject)), nil
}

// ErrBadSeal reports a sealed part that is corrupt or belongs to another subject.
var ErrBadSeal = errors.New("sealed personal part does not open")

// Open decrypts a sealed part of subject into v. When the person's key was
// destroyed it returns the key source's error (keyring.ErrErased).
func (s *Sealer) Open(ctx context.Context, subject string, sealed []byte, v any) error {
	key, err := s.keys.Key(ctx, subject)
	if err != nil {
		return err
	}
	aead, err := gcm(key)
	if err != nil {
		return err
	}
	n := aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return fmt.Errorf("%w: subject %s: unknown format", ErrBadSeal, subject)
	}
	plain, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(subject))
	if err != nil {
		return fmt.Errorf("%w: subject %s", ErrBadSeal, subject)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: subject %s: %v", ErrBadSeal, subject, err)
	}
	return nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return cipher.NewGCM(block)
}
