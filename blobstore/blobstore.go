// Package blobstore keeps the files attached to case files (contracts,
// invoices, court decisions): opaque bytes under a key. The event log and
// the read models hold only a file's metadata (name, media type, size,
// SHA-256); the bytes live here.
//
// Store is the contract; FS keeps blobs on the local file system (under
// the data directory by default). An S3-compatible store can implement the
// same interface (Put → PutObject, Open → GetObject, Delete →
// DeleteObject) and must pass blobstoretest.Run.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrNotFound reports a key that holds no blob.
var ErrNotFound = errors.New("blob not found")

// Store keeps blobs by key. Implementations are safe for concurrent use.
type Store interface {
	// Put stores what r yields under key and returns its size in bytes
	// and its SHA-256 (lower-case hex). The write is atomic: until Put
	// returns nil, Open of key finds nothing or the previous blob, never
	// a part; when r fails (a client that went away, a size limit), Put
	// returns that error and stores nothing. A blob once stored is
	// durable (synced to disk, or acknowledged by the service).
	//
	// Hazard: Put replaces a blob already under key. Callers choose keys
	// that are never reused (Tahsil uses the document's UUIDv7).
	Put(ctx context.Context, key string, r io.Reader) (size int64, sha256 string, err error)
	// Open returns the blob under key, to be closed by the caller, or an
	// error wrapping ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob under key. Deleting a key that holds
	// nothing is not an error, so a cleanup may be retried.
	Delete(ctx context.Context, key string) error
}

// MaxKeyLength bounds a key, in bytes.
const MaxKeyLength = 128

// ValidateKey checks a key: 1 to MaxKeyLength characters among a-z, 0-9,
// '-', '_' and '.', not starting with '.'. Keys so restricted name a file
// on every file system and an object in every S3-compatible service
// unchanged, and no key can climb out of a store's root ("..", "/").
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return fmt.Errorf("blob key %q: must have 1 to %d characters", key, MaxKeyLength)
	}
	if key[0] == '.' {
		return fmt.Errorf("blob key %q: must not start with '.'", key)
	}
	for i := 0; i < len(key); i++ {
		switch b := key[i]; {
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '-', b == '_', b == '.':
		default:
			return fmt.Errorf("blob key %q: only a-z, 0-9, '-', '_' and '.' are allowed", key)
		}
	}
	return nil
}

// ctxReader fails a read once its context is done, so that a Put from a
// request whose client went away stops.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
