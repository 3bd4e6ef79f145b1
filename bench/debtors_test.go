package bench

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

func TestDebtorBodiesAreValidAndDistinct(t *testing.T) {
	t.Parallel()
	const start, n = 10_000_000, 20_000
	bodies, err := DebtorBodies(start, n)
	if err != nil {
		t.Fatal(err)
	}
	nins, phones := map[string]bool{}, map[string]bool{}
	scripts := map[string]int{}
	for i, b := range bodies {
		var in collection.DebtorInput
		if err := json.Unmarshal(b, &in); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		if len(in.NIN) != 18 || nins[in.NIN] {
			t.Fatalf("body %d: NIN %q is not 18 digits or repeats", i, in.NIN)
		}
		nins[in.NIN] = true
		for _, p := range in.Phones {
			if phones[p] {
				t.Fatalf("body %d: phone %q repeats", i, p)
			}
			phones[p] = true
		}
		scripts[in.Language]++
	}
	if scripts["ar"] == 0 || scripts["fr"] == 0 {
		t.Errorf("names should come in both scripts, got %v", scripts)
	}
}

func TestRefIsUniqueAndWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := range int64(200_000) {
		r := Ref(i)
		if len(r) != 8 || r[:2] != "D-" || seen[r] {
			t.Fatalf("Ref(%d) = %q: malformed or repeated", i, r)
		}
		seen[r] = true
	}
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := Summarise(ds)
	want := Latencies{N: 100, Mean: 50500 * time.Microsecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond,
		P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("Summarise = %+v, want %+v", got, want)
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("Summarise must not reorder its input")
	}
	if (Summarise(nil) != Latencies{}) {
		t.Error("Summarise(nil) should be zero")
	}
}
