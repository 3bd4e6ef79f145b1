package collection_test

import (
	"testing"
	"unicode"

	"github.com/adc-dz/tahsil/collection"
)

func TestWilayaTables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		count   int
	}{
		{collection.WilayaTable2019, 58},
		{collection.WilayaTable2025, 69},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			table, ok := collection.WilayaTable(tc.version)
			if !ok {
				t.Fatalf("table %s not found", tc.version)
			}
			if len(table) != tc.count {
				t.Fatalf("table %s has %d wilayas, want %d", tc.version, len(table), tc.count)
			}
			for i, w := range table {
				if w.Code != i+1 {
					t.Errorf("entry %d has code %d: codes must run contiguously from 1", i, w.Code)
				}
				if w.NameFR == "" || w.NameAR == "" {
					t.Errorf("wilaya %d has an empty name: %+v", w.Code, w)
				}
				for _, r := range w.NameFR {
					if !unicode.Is(unicode.Latin, r) && r != ' ' && r != '\'' && r != '-' {
						t.Errorf("wilaya %d: French name %q has %q outside Latin script", w.Code, w.NameFR, r)
					}
				}
				for _, r := range w.NameAR {
					if !unicode.Is(unicode.Arabic, r) && r != ' ' {
						t.Errorf("wilaya %d: Arabic name %q has %q outside Arabic script", w.Code, w.NameAR, r)
					}
				}
				if w.Since > tc.version {
					t.Errorf("wilaya %d is since %s but listed in %s", w.Code, w.Since, tc.version)
				}
			}
		})
	}
	if _, ok := collection.WilayaTable("1984"); ok {
		t.Error("table 1984 should be unknown")
	}
}

func TestWilayaTablesAreNested(t *testing.T) {
	t.Parallel()
	// A code never changes meaning: each version extends the previous one.
	versions := collection.WilayaTableVersions()
	for i := 1; i < len(versions); i++ {
		old, _ := collection.WilayaTable(versions[i-1])
		cur, _ := collection.WilayaTable(versions[i])
		for j, w := range old {
			if cur[j] != w {
				t.Errorf("%s changes wilaya %d: %+v → %+v", versions[i], w.Code, w, cur[j])
			}
		}
		for _, w := range cur[len(old):] {
			if w.Since != versions[i] {
				t.Errorf("wilaya %d new in %s says since %s", w.Code, versions[i], w.Since)
			}
		}
	}
}

func TestWilayaCurrent(t *testing.T) {
	t.Parallel()
	if collection.CurrentWilayaTable != "2025" {
		t.Fatalf("current table %s, want 2025", collection.CurrentWilayaTable)
	}
	if got := collection.MaxWilayaCode(); got != 69 {
		t.Fatalf("MaxWilayaCode() = %d, want 69", got)
	}
	if got := len(collection.Wilayas()); got != 69 {
		t.Fatalf("len(Wilayas()) = %d, want 69", got)
	}
	for _, tc := range []struct {
		code int
		ok   bool
		fr   string
	}{
		{0, false, ""},
		{-1, false, ""},
		{1, true, "Adrar"},
		{16, true, "Alger"},
		{19, true, "Sétif"},
		{49, true, "Timimoun"},
		{58, true, "El Meniaa"},
		{59, true, "Aflou"},
		{69, true, "Messaad"},
		{70, false, ""},
	} {
		w, ok := collection.WilayaByCode(tc.code)
		if ok != tc.ok || w.NameFR != tc.fr {
			t.Errorf("WilayaByCode(%d) = %+v, %v; want %q, %v", tc.code, w, ok, tc.fr, tc.ok)
		}
	}
}

func TestWilayasReturnsCopy(t *testing.T) {
	t.Parallel()
	ws := collection.Wilayas()
	ws[0].NameFR = "changed"
	if w, _ := collection.WilayaByCode(1); w.NameFR != "Adrar" {
		t.Fatal("changing the slice Wilayas returned changed the table")
	}
}
