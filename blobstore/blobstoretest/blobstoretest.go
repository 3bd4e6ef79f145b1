// Package blobstoretest is the conformance suite of blobstore.Store: every
// implementation (the file system's, an S3-compatible one) must pass Run.
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/adc-dz/tahsil/blobstore"
)

// Run checks the contract of blobstore.Store on stores made by newStore,
// one fresh (empty) store per subtest.
func Run(t *testing.T, newStore func(t *testing.T) blobstore.Store) {
	ctx := context.Background()

	t.Run("put then open", func(t *testing.T) {
		s := newStore(t)
		for _, data := range [][]byte{{}, []byte("%PDF-1.4\n"), random(t, 3<<20+17)} {
			key := fmt.Sprintf("blob-%d", len(data))
			size, sum, err := s.Put(ctx, key, bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Put %d bytes: %v", len(data), err)
			}
			if size != int64(len(data)) || sum != sha(data) {
				t.Errorf("Put %d bytes = (%d, %s), want (%d, %s)", len(data), size, sum, len(data), sha(data))
			}
			if got := read(t, s, key); !bytes.Equal(got, data) {
				t.Errorf("Open %s: %d bytes differ from the %d put", key, len(got), len(data))
			}
		}
	})

	t.Run("missing key", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Open(ctx, "never-put"); !errors.Is(err, blobstore.ErrNotFound) {
			t.Errorf("Open of a missing key: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "never-put"); err != nil {
			t.Errorf("Delete of a missing key: %v, want nil", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "doc", []byte("content"))
		put(t, s, "other", []byte("kept"))
		if err := s.Delete(ctx, "doc"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Open(ctx, "doc"); !errors.Is(err, blobstore.ErrNotFound) {
			t.Errorf("Open after Delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "doc"); err != nil {
			t.Errorf("second Delete: %v, want nil", err)
		}
		if got := read(t, s, "other"); string(got) != "kept" {
			t.Errorf("Delete touched another blob: %q", got)
		}
	})

	t.Run("failed put stores nothing", func(t *testing.T) {
		s := newStore(t)
		boom := errors.New("client went away")
		r := io.MultiReader(bytes.NewReader(random(t, 100_000)), failing{boom})
		if _, _, err := s.Put(ctx, "half", r); !errors.Is(err, boom) {
			t.Fatalf("Put with a failing reader: %v, want the reader's error", err)
		}
		if _, err := s.Open(ctx, "half"); !errors.Is(err, blobstore.ErrNotFound) {
			t.Errorf("Open after a failed Put: %v, want ErrNotFound", err)
		}
		// A failed Put over an existing blob keeps the old one whole.
		put(t, s, "kept", []byte("first version"))
		if _, _, err := s.Put(ctx, "kept", io.MultiReader(strings.NewReader("second"), failing{boom})); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		if got := read(t, s, "kept"); string(got) != "first version" {
			t.Errorf("after a failed Put, the blob reads %q", got)
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Put(cctx, "cancelled", strings.NewReader("data")); !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a cancelled context: %v, want context.Canceled", err)
		}
		if _, err := s.Open(ctx, "cancelled"); !errors.Is(err, blobstore.ErrNotFound) {
			t.Errorf("Open after a cancelled Put: %v, want ErrNotFound", err)
		}
	})

	t.Run("put replaces", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "doc", []byte("one"))
		put(t, s, "doc", []byte("two, longer"))
		if got := read(t, s, "doc"); string(got) != "two, longer" {
			t.Errorf("after two Puts the blob reads %q", got)
		}
	})

	t.Run("invalid keys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", ".", "..", "../escape", "a/b", `a\b`, "UPPER", ".hidden", "space d", "é",
			strings.Repeat("k", blobstore.MaxKeyLength+1), "nul\x00"} {
			if _, _, err := s.Put(ctx, key, strings.NewReader("x")); err == nil {
				t.Errorf("Put accepted key %q", key)
			}
			if _, err := s.Open(ctx, key); err == nil || errors.Is(err, blobstore.ErrNotFound) {
				t.Errorf("Open of key %q: %v, want a key error", key, err)
			}
			if err := s.Delete(ctx, key); err == nil {
				t.Errorf("Delete accepted key %q", key)
			}
		}
		for _, key := range []string{"0193a1b2-0000-7000-8000-000000000010", "a", "x_y.pdf", strings.Repeat("k", blobstore.MaxKeyLength)} {
			put(t, s, key, []byte(key))
		}
	})

	t.Run("concurrent puts", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		data := make([][]byte, 16)
		for i := range data {
			data[i] = random(t, 50_000+i)
		}
		for i := range data {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.Put(ctx, fmt.Sprintf("c-%d", i), bytes.NewReader(data[i])); err != nil {
					t.Errorf("Put %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		for i := range data {
			if got := read(t, s, fmt.Sprintf("c-%d", i)); !bytes.Equal(got, data[i]) {
				t.Errorf("blob %d differs", i)
			}
		}
	})
}

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t *testing.T, s blobstore.Store, key string, data []byte) {
	t.Helper()
	size, sum, err := s.Put(context.Background(), key, bytes.NewReader(data))
	if err != nil || size != int64(len(data)) || sum != sha(data) {
		t.Fatalf("Put %s = (%d, %s, %v)", key, size, sum, err)
	}
}

func read(t *testing.T, s blobstore.Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}
