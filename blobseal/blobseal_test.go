package blobseal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/adc-dz/tahsil/blobseal"
	"github.com/adc-dz/tahsil/blobstore"
)

// errErased stands for keyring.ErrErased: what a key source answers for a
// person whose key was destroyed.
var errErased = errors.New("personal data erased")

// keys is a key source over fixed keys; a subject mapped to nil is erased.
type keys map[string][]byte

func (k keys) Key(_ context.Context, subject string) ([]byte, error) {
	key, ok := k[subject]
	switch {
	case !ok:
		return nil, fmt.Errorf("no data key for %s", subject)
	case key == nil:
		return nil, fmt.Errorf("data key of %s: %w", subject, errErased)
	}
	return key, nil
}

const (
	amina = "0190a000-0000-7000-8000-00000000000a"
	karim = "0190a000-0000-7000-8000-00000000000b"
)

// setup returns a sealing store over a fresh file system store, with keys
// for amina and karim.
func setup(t *testing.T) (*blobseal.Store, *blobstore.FS, keys) {
	t.Helper()
	fs, err := blobstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := keys{amina: random(t, 32), karim: random(t, 32)}
	return blobseal.New(fs, k), fs, k
}

func random(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func put(t testing.TB, s *blobseal.Store, key, subject string, data []byte) {
	t.Helper()
	size, sum, err := s.Put(context.Background(), key, subject, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	if size != int64(len(data)) || sum != sha(data) {
		t.Fatalf("Put %s = (%d, %s), want the clear content's (%d, %s)", key, size, sum, len(data), sha(data))
	}
}

// read opens key for subject and reads it through.
func read(s *blobseal.Store, key, subject string) ([]byte, error) {
	rc, err := s.Open(context.Background(), key, subject)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// stored is the blob as the store under the layer keeps it.
func stored(t testing.TB, fs *blobstore.FS, key string) []byte {
	t.Helper()
	rc, err := fs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restore writes raw bytes under key, below the layer.
func restore(t testing.TB, fs *blobstore.FS, key string, raw []byte) {
	t.Helper()
	if _, _, err := fs.Put(context.Background(), key, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
}

// TestRoundTrip seals contents around the segment boundaries: the clear
// bytes come back, the store holds none of them, and the blob is the
// header plus a tag per segment longer.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s, fs, _ := setup(t)
	const seg = blobseal.SegmentSize
	marker := []byte("CARTE-NATIONALE-AMINA-1998")
	for _, n := range []int{0, 1, len(marker), seg - 1, seg, seg + 1, 3 * seg, 3*seg + 17, 10 << 20} {
		data := random(t, n)
		if n >= len(marker) {
			copy(data[n-len(marker):], marker)
		}
		key := fmt.Sprintf("doc-%d", n)
		put(t, s, key, amina, data)
		got, err := read(s, key, amina)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes: read %d bytes, %v", n, len(got), err)
		}
		raw := stored(t, fs, key)
		segments := max(1, (n+seg-1)/seg) // an empty content is one empty segment
		if want := 48 + n + 16*segments; len(raw) != want {
			t.Errorf("%d bytes: stored %d, want %d (%d segments)", n, len(raw), want, segments)
		}
		if !bytes.HasPrefix(raw, []byte("TAHSILSB\x01")) {
			t.Errorf("%d bytes: stored blob starts %q", n, raw[:9])
		}
		if n >= len(marker) && bytes.Contains(raw, marker) {
			t.Errorf("%d bytes: the stored blob holds the content in clear", n)
		}
	}
	// The same content twice is sealed differently (random salt and prefix).
	data := []byte("%PDF-1.4\nidentique\n")
	put(t, s, "twice-1", amina, data)
	put(t, s, "twice-2", amina, data)
	if bytes.Equal(stored(t, fs, "twice-1")[9:], stored(t, fs, "twice-2")[9:]) {
		t.Error("two seals of the same content are identical")
	}
}

// TestTampering: any change to a sealed blob fails the read with
// ErrBadSeal; no changed byte is ever returned.
func TestTampering(t *testing.T) {
	t.Parallel()
	s, fs, _ := setup(t)
	const seg = blobseal.SegmentSize
	data := random(t, 3*seg+100) // four segments
	put(t, s, "doc", amina, data)
	orig := stored(t, fs, "doc")
	segStart := func(i int) int { return 48 + i*(seg+16) }
	flip := func(at int) []byte {
		b := bytes.Clone(orig)
		b[at] ^= 0x01
		return b
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"a byte of the salt", flip(9)},
		{"a byte of the nonce prefix", flip(45)},
		{"a byte of the first segment", flip(segStart(0) + 10)},
		{"the tag of the second segment", flip(segStart(2) - 1)},
		{"a byte of the last segment", flip(len(orig) - 20)},
		{"the version", flip(8)},
		{"cut at a segment boundary", orig[:segStart(2)]},
		{"cut inside a segment", orig[:segStart(1)+500]},
		{"cut after the header", orig[:48]},
		{"cut inside the header", orig[:30]},
		{"a byte appended", append(bytes.Clone(orig), 0)},
		{"a segment appended", append(bytes.Clone(orig), orig[segStart(1):segStart(2)]...)},
		{"two segments swapped", append(append(append(bytes.Clone(orig[:segStart(1)]), orig[segStart(2):segStart(3)]...),
			orig[segStart(1):segStart(2)]...), orig[segStart(3):]...)},
		{"a segment dropped", append(bytes.Clone(orig[:segStart(1)]), orig[segStart(2):]...)},
	} {
		restore(t, fs, "doc", tc.raw)
		got, err := read(s, "doc", amina)
		if !errors.Is(err, blobseal.ErrBadSeal) {
			t.Errorf("%s: read %d bytes, %v; want ErrBadSeal", tc.name, len(got), err)
		}
		if len(got) > 0 && !bytes.HasPrefix(data, got) {
			t.Errorf("%s: returned bytes that are not the content", tc.name)
		}
	}
	restore(t, fs, "doc", orig)
	if got, err := read(s, "doc", amina); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the original blob back: %d bytes, %v", len(got), err)
	}
}

// TestBoundToBlobAndPerson: a sealed blob moved to another key, or opened
// for another person, does not open; an erased person's does not either.
func TestBoundToBlobAndPerson(t *testing.T) {
	t.Parallel()
	s, fs, k := setup(t)
	data := []byte("%PDF-1.4\ncontrat d'Amina\n")
	put(t, s, "doc-a", amina, data)
	if _, err := read(s, "doc-a", karim); !errors.Is(err, blobseal.ErrBadSeal) {
		t.Errorf("opened for another person: %v", err)
	}
	restore(t, fs, "doc-b", stored(t, fs, "doc-a"))
	if _, err := read(s, "doc-b", amina); !errors.Is(err, blobseal.ErrBadSeal) {
		t.Errorf("moved to another key: %v", err)
	}
	k[amina] = nil
	if _, err := s.Open(context.Background(), "doc-a", amina); !errors.Is(err, errErased) {
		t.Errorf("Open for an erased person: %v, want the key source's error", err)
	}
	if _, _, err := s.Put(context.Background(), "doc-c", amina, bytes.NewReader(data)); !errors.Is(err, errErased) {
		t.Errorf("Put for an erased person: %v, want the key source's error", err)
	}
	if _, err := fs.Open(context.Background(), "doc-c"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Put for an erased person stored something: %v", err)
	}
}

// TestBlobsBeforeSealing: a blob written before sealing existed (a PDF, a
// PNG or a JPEG in clear) opens as it is, whoever it is opened for.
func TestBlobsBeforeSealing(t *testing.T) {
	t.Parallel()
	s, fs, k := setup(t)
	k[karim] = nil
	for i, data := range [][]byte{[]byte("%PDF-1.4\nancien\n"), []byte("\x89PNG\r\n\x1a\nold"), []byte("\xff\xd8\xffold"), {}, []byte("TAHS")} {
		key := fmt.Sprintf("old-%d", i)
		restore(t, fs, key, data)
		if got, err := read(s, key, amina); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%q: read %q, %v", data, got, err)
		}
	}
	if _, err := s.Open(context.Background(), "missing", amina); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Open of a missing blob: %v, want ErrNotFound", err)
	}
}

// failingReader yields some bytes, then fails.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

// TestPutPassesReadErrors: the content's own error (a client gone, a size
// limit) comes back from Put, and nothing is stored.
func TestPutPassesReadErrors(t *testing.T) {
	t.Parallel()
	s, fs, _ := setup(t)
	errLimit := errors.New("larger than the limit")
	_, _, err := s.Put(context.Background(), "doc", amina, &failingReader{r: bytes.NewReader(random(t, 2*blobseal.SegmentSize+5)), err: errLimit})
	if !errors.Is(err, errLimit) {
		t.Errorf("Put = %v, want the reader's error", err)
	}
	if _, err := fs.Open(context.Background(), "doc"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("a failed Put stored something: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(fs.Root(), "tmp"))
	if err != nil || len(entries) != 0 {
		t.Errorf("temporary files left: %v, %v", entries, err)
	}
}

// FuzzOpen: whatever the stored bytes, Open and Read fail or return the
// content; they never panic, and a blob with the magic yields nothing but
// an authenticated content.
func FuzzOpen(f *testing.F) {
	fs, err := blobstore.NewFS(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	k := keys{amina: bytes.Repeat([]byte{7}, 32)}
	s := blobseal.New(fs, k)
	if _, _, err := s.Put(context.Background(), "seed", amina, bytes.NewReader([]byte("%PDF-1.4\nseed\n"))); err != nil {
		f.Fatal(err)
	}
	f.Add(stored(f, fs, "seed"))
	f.Add([]byte("TAHSILSB\x01"))
	f.Add([]byte("%PDF-1.4\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		restore(t, fs, "seed", raw)
		got, err := read(s, "seed", amina)
		if err == nil && bytes.HasPrefix(raw, []byte("TAHSILSB")) && !bytes.Equal(got, []byte("%PDF-1.4\nseed\n")) {
			t.Errorf("a blob with the magic opened as %q", got)
		}
	})
}
