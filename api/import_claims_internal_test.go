package api

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/store"
)

// TestClaimBatchGivesAValueToOneAggregate: two references drawn alike in
// one import chunk must not both be won, or two debtors share a reference
// and the debtors projection stops on its unique index (seen in the
// 100,000-row import benchmark: random references of 6 base-32 characters
// collide within a chunk now and then).
func TestClaimBatchGivesAValueToOneAggregate(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	q := store.New(pool)
	digest := func(kind, value string) []byte {
		d := sha256.Sum256([]byte(kind + "\x00" + value))
		return d[:]
	}
	const (
		first  = "01900000-0000-7000-8000-000000000001"
		second = "01900000-0000-7000-8000-000000000002"
		third  = "01900000-0000-7000-8000-000000000003"
		other  = "01900000-0000-7000-8000-000000000004"
	)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	held, err := claimBatch(t.Context(), q, digest, now, []claimed{{"ref", "D-HELD00", other}})
	if err != nil || !held[0] {
		t.Fatalf("claiming a free value: won = %v, err = %v", held, err)
	}

	won, err := claimBatch(t.Context(), q, digest, now, []claimed{
		{"ref", "D-SAME00", first},
		{"ref", "D-FREE00", second},
		{"ref", "D-SAME00", third}, // drawn twice in the batch
		{"ref", "D-HELD00", third}, // held by another aggregate
		{"debtor_nin", "D-SAME00", second},
	})
	if err != nil {
		t.Fatal(err)
	}
	if won[0] == won[2] {
		t.Errorf("the value given twice: won by the first = %v, by the second = %v; want exactly one", won[0], won[2])
	}
	if !won[1] || !won[4] {
		t.Errorf("free values: won = %v, want [1] and [4] (another kind) won", won)
	}
	if won[3] {
		t.Error("a value another aggregate holds was won")
	}
	winner := first
	if won[2] {
		winner = third
	}
	var holder string
	if err := pool.QueryRow(t.Context(), `SELECT aggregate_id FROM unique_claims WHERE kind = 'ref' AND digest = $1`,
		digest("ref", "D-SAME00")).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if holder != winner {
		t.Errorf("the claim is held by %s, but %s was told it won", holder, winner)
	}
}
