package blobstore_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/blobstore"
	"github.com/adc-dz/tahsil/blobstore/blobstoretest"
)

func newFS(t *testing.T) *blobstore.FS {
	t.Helper()
	s, err := blobstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFSConformance(t *testing.T) {
	t.Parallel()
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return newFS(t) })
}

// files lists the regular files under root, relative, tmp/ included.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFSAtomicWrite holds a Put in the middle of its data: the key reads
// as missing until the last byte is written and synced, the partial data
// lives only in tmp/, and a Put that fails leaves no file at all.
func TestFSAtomicWrite(t *testing.T) {
	t.Parallel()
	s := newFS(t)
	ctx := context.Background()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Put(ctx, "doc", pr)
		done <- err
	}()
	if _, err := pw.Write([]byte(strings.Repeat("first half ", 1000))); err != nil {
		t.Fatal(err)
	}
	// The first half is written (the pipe returned): the blob is not there.
	if _, err := s.Open(ctx, "doc"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("Open during Put: %v, want ErrNotFound", err)
	}
	got := files(t, s.Root())
	if len(got) != 1 || !strings.HasPrefix(got[0], "tmp"+string(filepath.Separator)) {
		t.Fatalf("during Put the store holds %v, want one temporary file", got)
	}
	pw.Write([]byte("second half"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("Put: %v", err)
	}
	rc, err := s.Open(ctx, "doc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if want := strings.Repeat("first half ", 1000) + "second half"; string(b) != want {
		t.Fatalf("blob has %d bytes, want %d", len(b), len(want))
	}
	if got := files(t, s.Root()); len(got) != 1 || strings.HasPrefix(got[0], "tmp") {
		t.Fatalf("after Put the store holds %v, want the blob alone", got)
	}

	// A Put cut off midway leaves nothing, not even its temporary file.
	pr, pw = io.Pipe()
	go func() {
		_, _, err := s.Put(ctx, "cut", pr)
		done <- err
	}()
	pw.Write([]byte("some bytes"))
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if err := <-done; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut Put: %v", err)
	}
	if got := files(t, s.Root()); len(got) != 1 {
		t.Fatalf("after a cut Put the store holds %v, want the first blob alone", got)
	}
}

// TestFSLayout checks where a blob lives and that it is private to the
// server's user.
func TestFSLayout(t *testing.T) {
	t.Parallel()
	s := newFS(t)
	key := "0193a1b2-0000-7000-8000-000000000010"
	if _, _, err := s.Put(context.Background(), key, strings.NewReader("%PDF-1.7")); err != nil {
		t.Fatal(err)
	}
	got := files(t, s.Root())
	if len(got) != 1 {
		t.Fatalf("store holds %v", got)
	}
	parts := strings.Split(got[0], string(filepath.Separator))
	if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 || parts[2] != key {
		t.Errorf("blob stored at %s, want xx/yy/%s", got[0], key)
	}
	fi, err := os.Stat(filepath.Join(s.Root(), got[0]))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob mode %v, want 0600", fi.Mode().Perm())
	}
	for _, dir := range []string{parts[0], filepath.Join(parts[0], parts[1]), "tmp"} {
		fi, err := os.Stat(filepath.Join(s.Root(), dir))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("directory %s mode %v, want 0700", dir, fi.Mode().Perm())
		}
	}
}

// TestFSRemovesStaleTemps: a crash mid-Put leaves a temporary file; the
// next NewFS removes it once it is older than TempMaxAge, and leaves a
// recent one (another process may still be writing it).
func TestFSRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	s := newFS(t)
	old := filepath.Join(s.Root(), "tmp", "put-1234")
	recent := filepath.Join(s.Root(), "tmp", "put-5678")
	other := filepath.Join(s.Root(), "tmp", "README")
	for _, f := range []string{old, recent, other} {
		if err := os.WriteFile(f, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-blobstore.TempMaxAge - time.Minute)
	for _, f := range []string{old, other} {
		if err := os.Chtimes(f, past, past); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := blobstore.NewFS(s.Root()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	for _, f := range []string{recent, other} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(f), err)
		}
	}
}

func TestNewFSNeedsADirectory(t *testing.T) {
	t.Parallel()
	if _, err := blobstore.NewFS(""); err == nil {
		t.Error("NewFS accepted an empty directory name")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blobstore.NewFS(file); err == nil {
		t.Error("NewFS accepted a file as its root")
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"0193a1b2-0000-7000-8000-000000000010": true, "a": true, "a.b_c-d": true,
		"": false, ".": false, "..": false, "../x": false, "x/y": false, "X": false, ".x": false, "a b": false,
		strings.Repeat("a", blobstore.MaxKeyLength): true, strings.Repeat("a", blobstore.MaxKeyLength+1): false,
	} {
		if err := blobstore.ValidateKey(key); (err == nil) != ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", key, err, ok)
		}
	}
}
