// Package blobseal encrypts the files of documents before they reach a
// blobstore.Store, under the data key of the person they concern (the
// debt's debtor), so that erasing the person, which destroys the key,
// erases the files too (crypto-shredding, Law 18-07).
//
// It is a layer over blobstore.Store rather than a Store itself: a sealed
// blob needs a subject (whose key) besides its key, and the caller wants
// the size and SHA-256 of the clear content, the user's file, not of what
// was stored. Any Store (the file system's, an S3-compatible one) keeps
// sealed blobs unchanged.
//
// # Format, version 1
//
//	magic "TAHSILSB" | version 0x01 | salt (32 bytes) | nonce prefix (7 bytes)
//	segment 0 | segment 1 | ... | last segment
//
// The content is cut into segments of SegmentSize bytes (the last one may
// be shorter; an empty content is one empty segment), each sealed with
// AES-256-GCM, so a blob is 48 bytes of header plus 16 bytes per segment
// longer than its content. This is the STREAM construction (Hoang,
// Reyhanitabar, Rogaway, Vizár, 2015) as Tink's AES-GCM-HKDF streaming
// AEAD lays it out:
//
//   - The segment key is HKDF-SHA256 of the person's data key, with the
//     random salt, and with the subject and the blob key in the info: a
//     blob moved to another document or person does not open, and each
//     blob has its own key, apart from the key's other use (the sealed
//     personal parts of the event log, events.Sealer).
//   - The nonce of segment i is the random prefix, i as a big-endian
//     uint32, and a byte that is 1 on the last segment only: segments
//     cannot be reordered, dropped, or cut off at a segment boundary
//     without a segment failing to open.
//
// Segments, rather than one seal of the whole file, keep memory bounded
// (a few segments per upload or download, about 200 KiB, instead of the
// whole 10 MiB twice over) and let uploads and downloads stream as they
// did before sealing.
//
// Blobs written before sealing existed have no magic (they are PDF, JPEG
// or PNG files, whose signatures differ from it): Open returns them as
// they are. Hazard: such a blob, or a sealed one whose magic was damaged,
// is therefore not authenticated here; the caller compares the content
// with the SHA-256 it recorded (the API does, before serving a byte).
package blobseal

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/adc-dz/tahsil/blobstore"
)

// Format constants. Changing one makes every sealed blob unreadable: a
// change is a new version, read beside the old one.
const (
	magic           = "TAHSILSB"
	version1   byte = 1
	saltSize        = 32
	prefixSize      = 7
	headerSize      = len(magic) + 1 + saltSize + prefixSize
	tagSize         = 16
	keySize         = 32

	// SegmentSize is the clear content of one segment, in bytes.
	SegmentSize = 64 << 10
)

// ErrBadSeal reports a sealed blob that does not open: changed, cut short,
// extended, or sealed for another blob key or person.
var ErrBadSeal = errors.New("sealed blob does not open")

// KeySource gives the data key of a person (keyring.Keyring). For a person
// whose key was destroyed it returns an error (keyring.ErrErased) that
// Put and Open pass on, wrapped.
type KeySource interface {
	Key(ctx context.Context, subject string) ([]byte, error)
}

// Store seals blobs on their way into a blobstore.Store and opens them on
// their way out. It is safe for concurrent use.
type Store struct {
	blobs blobstore.Store
	keys  KeySource
}

// New returns a sealing layer over blobs, with the data keys of keys.
func New(blobs blobstore.Store, keys KeySource) *Store {
	return &Store{blobs: blobs, keys: keys}
}

// Put seals what r yields for subject and stores it under key (see
// blobstore.Store.Put: atomic, durable, and a failure of r is returned as
// is, wrapped, with nothing stored). It returns the size and SHA-256
// (lower-case hex) of the clear content.
func (s *Store) Put(ctx context.Context, key, subject string, r io.Reader) (size int64, sha256Hex string, err error) {
	c, err := s.cipher(ctx, key, subject, nil)
	if err != nil {
		return 0, "", fmt.Errorf("seal blob %s: %w", key, err)
	}
	sr, err := newSealReader(r, c)
	if err != nil {
		return 0, "", fmt.Errorf("seal blob %s: %w", key, err)
	}
	if _, _, err := s.blobs.Put(ctx, key, sr); err != nil {
		return 0, "", err
	}
	if !sr.done {
		return 0, "", fmt.Errorf("seal blob %s: the store stopped reading before the end", key)
	}
	return sr.size, hex.EncodeToString(sr.hash.Sum(nil)), nil
}

// Open returns the clear content of the blob under key, sealed for
// subject, to be closed by the caller; a blob written before sealing, as
// it is, without asking for the key (hazard: even when the person is
// erased; the caller decides whether they may still be read). A segment
// that does not open fails the Read that reaches it with ErrBadSeal,
// before any of its bytes are returned. Open fails with an
// error wrapping blobstore.ErrNotFound for a missing blob, and with the
// key source's error (keyring.ErrErased) when the person's key is gone.
func (s *Store) Open(ctx context.Context, key, subject string) (io.ReadCloser, error) {
	rc, err := s.blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(rc, SegmentSize+tagSize)
	h, sealed, err := readHeader(br)
	if err == nil && !sealed {
		return readCloser{br, rc}, nil
	}
	var c *segmentCipher
	if err == nil {
		c, err = s.cipher(ctx, key, subject, h.salt)
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("open blob %s: %w", key, err)
	}
	return &openReader{src: br, closer: rc, key: key, c: c, prefix: h.prefix,
		seg: make([]byte, SegmentSize+tagSize), plain: make([]byte, 0, SegmentSize)}, nil
}

// header is what a sealed blob's header holds besides its magic and version.
type header struct {
	salt   []byte
	prefix [prefixSize]byte
}

func (h header) append(dst []byte) []byte {
	dst = append(dst, magic...)
	dst = append(dst, version1)
	dst = append(dst, h.salt...)
	return append(dst, h.prefix[:]...)
}

// readHeader consumes a sealed blob's header. A blob written before
// sealing is not sealed, and nothing of it is consumed: a PDF, JPEG or PNG
// never starts with the magic.
func readHeader(br *bufio.Reader) (h header, sealed bool, err error) {
	head, err := br.Peek(headerSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return h, false, err
	}
	if !bytes.HasPrefix(head, []byte(magic)) {
		return h, false, nil
	}
	if len(head) < headerSize {
		return h, true, fmt.Errorf("%w: header cut short", ErrBadSeal)
	}
	if v := head[len(magic)]; v != version1 {
		return h, true, fmt.Errorf("%w: unknown format version %d", ErrBadSeal, v)
	}
	h.salt = bytes.Clone(head[len(magic)+1 : len(magic)+1+saltSize])
	copy(h.prefix[:], head[headerSize-prefixSize:])
	_, err = br.Discard(headerSize)
	return h, true, err
}

// cipher derives the segment cipher of a blob from the subject's data
// key. A nil salt is a new blob's: a random one is drawn, for its header.
func (s *Store) cipher(ctx context.Context, key, subject string, salt []byte) (*segmentCipher, error) {
	dataKey, err := s.keys.Key(ctx, subject)
	if err != nil {
		return nil, err
	}
	if salt == nil {
		salt = make([]byte, saltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
	}
	c := &segmentCipher{salt: salt}
	k, err := hkdf.Key(sha256.New, dataKey, salt, info(key, subject), keySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	if c.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return c, nil
}

// info binds a segment key to its blob and person. NUL separates the
// parts: neither a blob key nor a subject id holds one.
func info(key, subject string) string {
	return "tahsil blob v1\x00" + subject + "\x00" + key
}

// segmentCipher seals the segments of one blob.
type segmentCipher struct {
	aead cipher.AEAD
	salt []byte
}

// nonce is segment seq's nonce: the blob's prefix, seq, and whether it is
// the last segment.
func nonce(prefix [prefixSize]byte, seq uint32, last bool) []byte {
	n := make([]byte, 12)
	copy(n, prefix[:])
	binary.BigEndian.PutUint32(n[prefixSize:], seq)
	if last {
		n[11] = 1
	}
	return n
}

// segment reads the next segment of n bytes at most from r and tells
// whether it is the last one: r has nothing after it. A short segment is
// the last; a full one is when r ends right after it.
func segment(r *bufio.Reader, buf []byte) (n int, last bool, err error) {
	n, err = io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return n, true, nil
	case err != nil:
		return n, false, err
	}
	if _, err := r.Peek(1); errors.Is(err, io.EOF) {
		return n, true, nil
	} else if err != nil {
		return n, false, err
	}
	return n, false, nil
}

// sealReader yields the sealed blob of the clear content it reads, and
// measures that content.
type sealReader struct {
	src    *bufio.Reader
	c      *segmentCipher
	prefix [prefixSize]byte
	seq    uint32
	clear  []byte // one segment of content
	sealed []byte // its sealed form
	out    []byte // what of sealed (or the header) is not yet read
	done   bool   // the last segment is sealed
	size   int64
	hash   hash.Hash
}

func newSealReader(r io.Reader, c *segmentCipher) (*sealReader, error) {
	s := &sealReader{src: bufio.NewReaderSize(r, SegmentSize), c: c, hash: sha256.New(),
		clear: make([]byte, SegmentSize), sealed: make([]byte, 0, SegmentSize+tagSize)}
	if _, err := rand.Read(s.prefix[:]); err != nil {
		return nil, err
	}
	s.out = header{salt: c.salt, prefix: s.prefix}.append(s.sealed)
	return s, nil
}

func (s *sealReader) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.done {
			return 0, io.EOF
		}
		if err := s.sealNext(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// sealNext seals the next segment of the content into out.
func (s *sealReader) sealNext() error {
	n, last, err := segment(s.src, s.clear)
	if err != nil {
		return err // the reader's own error (a client gone, a size limit)
	}
	if !last && s.seq == ^uint32(0) {
		return errors.New("content too large to seal")
	}
	s.hash.Write(s.clear[:n])
	s.size += int64(n)
	s.out = s.c.aead.Seal(s.sealed[:0], nonce(s.prefix, s.seq, last), s.clear[:n], nil)
	s.seq++
	s.done = last
	return nil
}

// openReader yields the clear content of a sealed blob, a segment at a
// time, each authenticated before any of it is returned.
type openReader struct {
	src    *bufio.Reader
	closer io.Closer
	key    string
	c      *segmentCipher
	prefix [prefixSize]byte
	seq    uint32
	seg    []byte // one sealed segment
	plain  []byte // its clear bytes
	out    []byte // what of plain is not yet read
	done   bool
	err    error // sticky: a blob that failed once never yields more
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.out) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.done {
			return 0, io.EOF
		}
		o.err = o.openNext()
	}
	n := copy(p, o.out)
	o.out = o.out[n:]
	return n, nil
}

// openNext opens the next segment into out.
func (o *openReader) openNext() error {
	n, last, err := segment(o.src, o.seg)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", o.key, err)
	}
	if !last && o.seq == ^uint32(0) {
		return fmt.Errorf("open blob %s: %w: too many segments", o.key, ErrBadSeal)
	}
	clear, err := o.c.aead.Open(o.plain[:0], nonce(o.prefix, o.seq, last), o.seg[:n], nil)
	if err != nil {
		return fmt.Errorf("open blob %s: %w: segment %d", o.key, ErrBadSeal, o.seq)
	}
	o.out, o.done = clear, last
	o.seq++
	return nil
}

func (o *openReader) Close() error { return o.closer.Close() }

// readCloser reads through a buffer and closes the blob under it.
type readCloser struct {
	io.Reader
	io.Closer
}
