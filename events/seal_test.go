package events_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
)

func newMasterKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, keyring.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// keys returns a keyring over pool holding a data key for each subject.
func keys(t *testing.T, pool *pgxpool.Pool, master []byte, subjects ...string) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(pool, master, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subjects {
		if err := k.Create(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func person() collection.DebtorPersonal {
	return collection.DebtorPersonal{
		FullName: "بن علي أمينة", NIN: "109870123456789012", Phones: []string{"+213551234567", "+213661234567"},
		Email: "amina.benali@example.dz", Address: "12 rue Didouche Mourad, Alger",
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	subject := newID()
	s := events.NewSealer(keys(t, pgtest.New(t), newMasterKey(t), subject))
	ctx := t.Context()
	want := person()
	sealed, err := s.Seal(ctx, subject, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{want.FullName, "أمينة", want.NIN, want.Phones[0], "551234567", want.Email, "Didouche", "full_name", "nin"} {
		if bytes.Contains(sealed, []byte(clear)) {
			t.Errorf("sealed part contains %q in clear", clear)
		}
	}
	if sealed[0] != 1 {
		t.Errorf("sealed part starts with format %d, want 1", sealed[0])
	}
	var got collection.DebtorPersonal
	if err := s.Open(ctx, subject, sealed, &got); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Open = %+v, want %+v", got, want)
	}

	// Each seal has its own nonce: equal values do not give equal bytes,
	// so sealed parts cannot be compared to guess who is who.
	again, err := s.Seal(ctx, subject, want)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again, sealed) {
		t.Error("two seals of the same value are equal")
	}

	// Any JSON value seals, including an empty one.
	empty, err := s.Seal(ctx, subject, collection.CreditorPersonal{})
	if err != nil {
		t.Fatal(err)
	}
	var c collection.CreditorPersonal
	if err := s.Open(ctx, subject, empty, &c); err != nil || c != (collection.CreditorPersonal{}) {
		t.Errorf("Open of an empty part = %+v, %v", c, err)
	}

	// A value that is no JSON does not seal.
	if _, err := s.Seal(ctx, subject, func() {}); err == nil {
		t.Error("Seal of a func succeeded")
	}
}

func TestSealedPartBelongsToItsSubject(t *testing.T) {
	t.Parallel()
	a, b := newID(), newID()
	s := events.NewSealer(keys(t, pgtest.New(t), newMasterKey(t), a, b))
	ctx := t.Context()
	sealed, err := s.Seal(ctx, a, person())
	if err != nil {
		t.Fatal(err)
	}
	var got collection.DebtorPersonal
	if err := s.Open(ctx, b, sealed, &got); !errors.Is(err, events.ErrBadSeal) {
		t.Errorf("Open as another subject: %v, want ErrBadSeal", err)
	}
	if !reflect.DeepEqual(got, collection.DebtorPersonal{}) {
		t.Errorf("a failed Open filled %+v", got)
	}
}

// oneKey gives every subject the same key, so that only the additional
// data tells subjects apart.
type oneKey []byte

func (k oneKey) Key(context.Context, string) ([]byte, error) { return k, nil }

func TestSubjectIsAuthenticatedData(t *testing.T) {
	t.Parallel()
	s := events.NewSealer(oneKey(newMasterKey(t)))
	ctx := t.Context()
	a, b := newID(), newID()
	sealed, err := s.Seal(ctx, a, person())
	if err != nil {
		t.Fatal(err)
	}
	var got collection.DebtorPersonal
	if err := s.Open(ctx, a, sealed, &got); err != nil {
		t.Fatalf("Open as the subject: %v", err)
	}
	if err := s.Open(ctx, b, sealed, &got); !errors.Is(err, events.ErrBadSeal) {
		t.Errorf("Open under the same key as another subject: %v, want ErrBadSeal", err)
	}
}

func TestTamperedSealsDoNotOpen(t *testing.T) {
	t.Parallel()
	subject := newID()
	s := events.NewSealer(keys(t, pgtest.New(t), newMasterKey(t), subject))
	ctx := t.Context()
	sealed, err := s.Seal(ctx, subject, person())
	if err != nil {
		t.Fatal(err)
	}
	var got collection.DebtorPersonal
	// Every byte counts: the format, the nonce, the cipher text and the tag.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x20
		if err := s.Open(ctx, subject, bad, &got); !errors.Is(err, events.ErrBadSeal) {
			t.Fatalf("byte %d flipped: %v, want ErrBadSeal", i, err)
		}
	}
	for name, bad := range map[string][]byte{
		"empty":        nil,
		"format only":  sealed[:1],
		"nonce only":   sealed[:13],
		"no tag":       sealed[:len(sealed)-16],
		"truncated":    sealed[:len(sealed)-1],
		"extended":     append(bytes.Clone(sealed), 0),
		"format 2":     append([]byte{2}, sealed[1:]...),
		"clear json":   []byte(`{"full_name":"x"}`),
		"sealed twice": append([]byte{1}, sealed...),
	} {
		if err := s.Open(ctx, subject, bad, &got); !errors.Is(err, events.ErrBadSeal) {
			t.Errorf("%s: %v, want ErrBadSeal", name, err)
		}
	}
	// A part that opens into another shape is reported, not half-read.
	var n int
	if err := s.Open(ctx, subject, sealed, &n); !errors.Is(err, events.ErrBadSeal) {
		t.Errorf("Open into an int: %v, want ErrBadSeal", err)
	}
}

func TestErasedSubjectNoLongerSealsOrOpens(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := newMasterKey(t)
	subject, other := newID(), newID()
	k := keys(t, pool, master, subject, other)
	s := events.NewSealer(k)
	ctx := t.Context()
	sealed, err := s.Seal(ctx, subject, person())
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.Seal(ctx, other, person())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Destroy(ctx, subject); err != nil {
		t.Fatal(err)
	}
	var got collection.DebtorPersonal
	if err := s.Open(ctx, subject, sealed, &got); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Open after erasure: %v, want keyring.ErrErased", err)
	}
	if _, err := s.Seal(ctx, subject, person()); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Seal after erasure: %v, want keyring.ErrErased", err)
	}
	// A process started after the erasure (a rebuild) sees it too.
	rebuilt := events.NewSealer(keys(t, pool, master))
	if err := rebuilt.Open(ctx, subject, sealed, &got); !errors.Is(err, keyring.ErrErased) {
		t.Errorf("Open after erasure in a new process: %v, want keyring.ErrErased", err)
	}
	if err := rebuilt.Open(ctx, other, kept, &got); err != nil || got.FullName != person().FullName {
		t.Errorf("another person's part after the erasure: %+v, %v", got, err)
	}

	// A subject that never had a key neither seals nor opens.
	nobody := newID()
	if _, err := s.Seal(ctx, nobody, person()); !errors.Is(err, keyring.ErrNoKey) {
		t.Errorf("Seal for a subject without key: %v, want keyring.ErrNoKey", err)
	}
}

func TestSealedPartsOutliveTheProcess(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	master := newMasterKey(t)
	subjects := []string{newID(), newID(), newID()}
	first := events.NewSealer(keys(t, pool, master, subjects...))
	ctx := t.Context()
	sealed := map[string][]byte{}
	for _, s := range subjects {
		p := person()
		p.FullName += " " + s[len(s)-4:]
		b, err := first.Seal(ctx, s, p)
		if err != nil {
			t.Fatal(err)
		}
		sealed[s] = b
	}

	// A second keyring on the same database and master key, as after a
	// restart or in another replica, opens what the first sealed.
	second := keys(t, pool, master)
	if err := second.Preload(ctx, subjects); err != nil {
		t.Fatal(err)
	}
	opener := events.NewSealer(second)
	for _, s := range subjects {
		var got collection.DebtorPersonal
		if err := opener.Open(ctx, s, sealed[s], &got); err != nil || !strings.HasSuffix(got.FullName, s[len(s)-4:]) {
			t.Errorf("second keyring opened %s as %+v, %v", s, got, err)
		}
	}

	// Under another master key nothing opens, and it is not mistaken for
	// an erasure.
	wrong := events.NewSealer(keys(t, pool, newMasterKey(t)))
	for _, s := range subjects {
		var got collection.DebtorPersonal
		err := wrong.Open(ctx, s, sealed[s], &got)
		if err == nil || errors.Is(err, keyring.ErrErased) || got.FullName != "" {
			t.Errorf("Open of %s under another master key = %+v, %v; want an error", s, got, err)
		}
	}
}
