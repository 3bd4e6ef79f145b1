package projections_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// TestErasureEvents erases a debtor and a creditor through their events:
// the projections blank the rows and destroy the data keys in the batch's
// transaction (dated by the event), release the NIN and NIF claims but not
// the references nor another record's claims, and make the running app's
// key cache forget the people after the commit. A rebuild replays the
// erasures and ends with the same tables and keys.
func TestErasureEvents(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	p := newPortfolio(app)
	ctx := context.Background()
	q := store.New(app.Pool)

	debtorID, creditorID, otherID := newUUID(), newUUID(), newUUID()
	debtor := collection.DebtorInput{Kind: collection.DebtorPerson, FullName: "Amina Kaci", NIN: "209950456789012345",
		Phones: []string{"0661 98 76 54"}, Email: "amina.kaci@example.dz", Address: "12 rue Larbi Ben M'hidi, Oran", Wilaya: 31}
	dProfile, dPersonal, err := debtor.Validate()
	if err != nil {
		t.Fatal(err)
	}
	creditor := collection.CreditorInput{Name: "Ets Kaci Amina", NIF: "000231012345678", Wilaya: 31, Phone: "041 23 45 67",
		Email: "amina@kaci.dz", ContactName: "Amina Kaci", CommissionBPS: 900}
	cProfile, cPersonal, err := creditor.Validate()
	if err != nil {
		t.Fatal(err)
	}
	claims := []struct {
		kind, holder string
		kept         bool
	}{
		{"debtor_nin", debtorID, false},
		{"ref", debtorID, true},
		{"creditor_nif", creditorID, false},
		{"ref", creditorID, true},
		{"debtor_nin", otherID, true}, // another person's: not the erasure's business
	}
	for i, c := range claims {
		if _, err := q.UniqueClaimInsert(ctx, store.UniqueClaimInsertParams{Kind: c.kind, Digest: []byte{byte(i)},
			AggregateID: c.holder, ClaimedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}

	dSealed, err := p.seal(ctx, debtorID, dPersonal)
	if err != nil {
		t.Fatal(err)
	}
	cSealed, err := p.seal(ctx, creditorID, cPersonal)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		id  string
		cmd collection.Command
	}{
		{debtorID, collection.RegisterDebtor{ID: debtorID, Ref: "D-E00001", Profile: dProfile, Personal: dSealed}},
		{creditorID, collection.RegisterCreditor{ID: creditorID, Ref: "C-E00001", Profile: cProfile, Personal: cSealed}},
		{debtorID, collection.ArchiveDebtor{ID: debtorID, Reason: "settled"}},
		{creditorID, collection.ArchiveCreditor{ID: creditorID, Reason: "contract ended"}},
		{debtorID, collection.EraseDebtor{ID: debtorID, Reason: "request of 2025-05-02, file DP-2025-014"}},
		{creditorID, collection.EraseCreditor{ID: creditorID, Reason: "request of 2025-06-10, file DP-2025-031"}},
	} {
		if err := p.submit(ctx, step.id, step.cmd); err != nil {
			t.Fatal(err)
		}
	}
	waitApplied(t, app.Pool, p.ends())

	d, err := q.DebtorGet(ctx, store.DebtorGetParams{ID: debtorID})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Erased || d.Status != collection.StatusArchived || d.Version != 3 || d.FullName != "" || d.Nin != "" ||
		d.Email != "" || d.Address != "" || len(d.Phones) != 0 || d.Search != collection.SearchText(d.Ref) || d.Wilaya != 31 {
		t.Errorf("erased debtor: %+v", d)
	}
	c, err := q.CreditorGet(ctx, store.CreditorGetParams{ID: creditorID})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Erased || c.Status != collection.StatusArchived || c.Version != 3 || c.Name != "" || c.Nif != "" ||
		c.Phone != "" || c.Email != "" || c.ContactName != "" || c.Search != collection.SearchText(c.Ref) || c.CommissionBps != 900 {
		t.Errorf("erased creditor: %+v", c)
	}

	keysBefore := dataKeys(t, app.Pool, debtorID, creditorID)
	for _, id := range []string{debtorID, creditorID} {
		var erasedAt time.Time
		if err := app.Pool.QueryRow(ctx, `SELECT occurred_at FROM event_log WHERE aggregate_id = $1 AND type LIKE '%.erased'`,
			id).Scan(&erasedAt); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("destroyed %s, 0 bytes", erasedAt.UTC().Format(time.RFC3339Nano)); keysBefore[id] != want {
			t.Errorf("data key of %s: %s, want %s (the erasure's time)", id, keysBefore[id], want)
		}
	}
	for i, c := range claims {
		var n int
		if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM unique_claims WHERE kind = $1 AND digest = $2 AND aggregate_id = $3`,
			c.kind, []byte{byte(i)}, c.holder).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if kept := n == 1; kept != c.kept {
			t.Errorf("claim %s of %s kept = %v, want %v", c.kind, c.holder, kept, c.kept)
		}
	}

	// The app's keyring had both keys cached (it sealed with them): the
	// projections made it forget them after their commit.
	for _, id := range []string{debtorID, creditorID} {
		var sealed []byte
		if err := app.Pool.QueryRow(ctx, `SELECT personal FROM event_log WHERE aggregate_id = $1 AND aggregate_version = 1`,
			id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the key cache to forget "+id, func() (bool, string) {
			var v map[string]any
			err := app.Sealer.Open(ctx, id, sealed, &v)
			return errors.Is(err, keyring.ErrErased), fmt.Sprintf("open: %v", err)
		})
	}

	// A rebuild replays the erasures: same rows, same keys and claims.
	before := dumpReadModels(t, app.Pool)
	res := rebuild(t, app)
	if len(res.Failures) > 0 {
		t.Fatalf("rebuild stopped: %+v", res.Failures)
	}
	requireSameDumps(t, "rebuild after erasures", before, dumpReadModels(t, app.Pool))
	if got := dataKeys(t, app.Pool, debtorID, creditorID); fmt.Sprint(got) != fmt.Sprint(keysBefore) {
		t.Errorf("data keys after the rebuild %v, before %v", got, keysBefore)
	}
	if n := rowCount(t, app.Pool, `SELECT count(*) FROM unique_claims`); n != 3 {
		t.Errorf("%d claims after the rebuild, want 3", n)
	}
}

// dataKeys describes the data keys of subjects: when destroyed, and how
// many bytes of wrapped key are left.
func dataKeys(t testing.TB, pool *pgxpool.Pool, ids ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		var (
			destroyed *time.Time
			wrapped   []byte
		)
		if err := pool.QueryRow(context.Background(), `SELECT destroyed_at, wrapped_key FROM data_keys WHERE subject_id = $1`,
			id).Scan(&destroyed, &wrapped); err != nil {
			t.Fatalf("data key of %s: %v", id, err)
		}
		state := "live"
		if destroyed != nil {
			state = "destroyed " + destroyed.UTC().Format(time.RFC3339Nano)
		}
		out[id] = fmt.Sprintf("%s, %d bytes", state, len(wrapped))
	}
	return out
}
