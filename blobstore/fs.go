package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempMaxAge is how old a temporary file of an unfinished Put must be
// before NewFS removes it: far beyond the longest upload, so a Put of
// another process sharing the directory is never cut short.
const TempMaxAge = time.Hour

// tempPrefix names the temporary files of Put, in root/tmp.
const tempPrefix = "put-"

// FS is a Store on the local file system, under one root directory.
//
// The blob of key k is the file root/h[0:2]/h[2:4]/k, where h is the hex
// SHA-256 of k: two levels of 256 directories keep each directory small
// whatever the keys look like (UUIDv7 keys share their leading, time-based
// characters for months). Files and directories are private to the
// server's user (0600, 0700): the documents are personal data.
//
// A Put writes to root/tmp, syncs the file, renames it into place and
// syncs the directory: a crash leaves the whole blob or none of it, and at
// worst a temporary file, which a later NewFS removes (TempMaxAge).
type FS struct {
	root string
	tmp  string
}

var _ Store = (*FS)(nil)

// NewFS opens (creating it if needed) a store rooted at dir, and removes
// the temporary files older than TempMaxAge that a crash left behind.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob store: no directory")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	s := &FS{root: root, tmp: filepath.Join(root, "tmp")}
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", root, err)
	}
	if err := s.removeStaleTemps(time.Now().Add(-TempMaxAge)); err != nil {
		return nil, fmt.Errorf("blob store %s: clean temporary files: %w", root, err)
	}
	return s, nil
}

// Root is the store's directory.
func (s *FS) Root() string { return s.root }

// Put implements Store.
func (s *FS) Put(ctx context.Context, key string, r io.Reader) (int64, string, error) {
	if err := ValidateKey(key); err != nil {
		return 0, "", err
	}
	f, err := os.CreateTemp(s.tmp, tempPrefix+"*")
	if err != nil {
		return 0, "", fmt.Errorf("put blob %s: %w", key, err)
	}
	tmp, placed := f.Name(), false
	defer func() {
		if !placed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx: ctx, r: r})
	if err != nil {
		return 0, "", fmt.Errorf("put blob %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return 0, "", fmt.Errorf("put blob %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, "", fmt.Errorf("put blob %s: %w", key, err)
	}
	dir := s.dir(key)
	if err := s.mkdirSynced(dir); err != nil {
		return 0, "", fmt.Errorf("put blob %s: %w", key, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, key)); err != nil {
		return 0, "", fmt.Errorf("put blob %s: %w", key, err)
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return 0, "", fmt.Errorf("put blob %s: sync directory: %w", key, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Open implements Store.
func (s *FS) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", key, err)
	}
	return f, nil
}

// Delete implements Store.
func (s *FS) Delete(_ context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	if err := syncDir(s.dir(key)); err != nil {
		return fmt.Errorf("delete blob %s: sync directory: %w", key, err)
	}
	return nil
}

// dir is the directory of key's blob.
func (s *FS) dir(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:2])
	return filepath.Join(s.root, h[:2], h[2:4])
}

func (s *FS) path(key string) string { return filepath.Join(s.dir(key), key) }

// mkdirSynced creates dir and its missing parents under the root, syncing
// each new directory's parent so the new entry survives a crash.
func (s *FS) mkdirSynced(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != s.root && strings.HasPrefix(parent, s.root) {
		if err := s.mkdirSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// removeStaleTemps removes the temporary files last written before cutoff.
func (s *FS) removeStaleTemps(cutoff time.Time) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished or removed meanwhile
		}
		if err != nil {
			return err
		}
		if info.ModTime().Before(cutoff) {
			if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
