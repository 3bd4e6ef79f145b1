package receipt

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/go-text/typesetting/font"
)

// A subset keeps the used glyphs byte for byte, with the glyphs their
// composites are built from, empties the others, keeps every glyph id,
// and is a well-formed font that go-text parses again.
func TestSubset(t *testing.T) {
	t.Parallel()
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	for id, f := range fs {
		glyf := f.tables["glyf"]
		data := func(offsets []uint32, glyf []byte, gid int) []byte {
			return glyf[offsets[gid]:offsets[gid+1]]
		}
		// The first composite glyph of the font, and one simple glyph.
		var composite, simple int
		for gid := range f.numGlyphs {
			g := data(f.glyphOffsets, glyf, gid)
			if len(g) < 10 {
				continue
			}
			if int16(binary.BigEndian.Uint16(g)) < 0 {
				if composite == 0 {
					composite = gid
				}
			} else if simple == 0 {
				simple = gid
			}
		}
		if composite == 0 || simple == 0 {
			t.Fatalf("%s: no composite or no simple glyph to test with", f.name)
		}
		components, err := compositeComponents(data(f.glyphOffsets, glyf, composite))
		if err != nil || len(components) == 0 {
			t.Fatalf("%s: components of glyph %d: %v, %v", f.name, composite, components, err)
		}

		sub, err := f.subset(map[uint16]struct{}{uint16(composite): {}, uint16(simple): {}})
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if _, err := font.ParseTTF(bytes.NewReader(sub)); err != nil {
			t.Fatalf("%s: go-text cannot parse the subset: %v", f.name, err)
		}
		if sum := ttfChecksum(sub); sum != 0xB1B0AFBA {
			t.Errorf("%s: whole-font checksum %#x, want 0xB1B0AFBA", f.name, sum)
		}
		st, err := parseTTF(f.name, sub)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if st.numGlyphs != f.numGlyphs {
			t.Fatalf("%s: subset has %d glyphs, want %d (ids must not change)", f.name, st.numGlyphs, f.numGlyphs)
		}
		// Components may be composites themselves.
		kept := map[int]bool{0: true, composite: true, simple: true}
		for todo := components; len(todo) > 0; {
			c := todo[0]
			todo = todo[1:]
			if !kept[int(c)] {
				kept[int(c)] = true
				more, err := compositeComponents(data(f.glyphOffsets, glyf, int(c)))
				if err != nil {
					t.Fatal(err)
				}
				todo = append(todo, more...)
			}
			kept[int(c)] = true
		}
		for gid := range f.numGlyphs {
			got, want := data(st.glyphOffsets, st.tables["glyf"], gid), data(f.glyphOffsets, glyf, gid)
			if kept[gid] {
				// Kept glyphs may gain up to three bytes of padding.
				if len(got) < len(want) || len(got) > len(want)+3 || !bytes.Equal(got[:len(want)], want) {
					t.Errorf("%s: glyph %d changed", f.name, gid)
				}
			} else if len(got) != 0 {
				t.Errorf("%s: glyph %d kept (%d bytes), want it empty", f.name, gid, len(got))
			}
		}
		if len(sub) >= len(f.tables["glyf"]) {
			t.Errorf("%s (font %d): subset of %d bytes is no smaller than the glyf table (%d)", f.name, id, len(sub), len(glyf))
		}
	}
}
