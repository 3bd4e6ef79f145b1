package receipt

import (
	"bytes"
	_ "embed" // the fonts below
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/go-text/typesetting/font"
)

// The fonts are Noto Sans (Latin, with every accent French needs) and Noto
// Naskh Arabic, regular and bold, from Debian's fonts-noto-core 20201225-1,
// under the SIL Open Font License 1.1 (fonts/OFL.txt). Only the glyphs a
// receipt uses are embedded in its PDF.
var (
	//go:embed fonts/NotoSans-Regular.ttf
	notoSansRegular []byte
	//go:embed fonts/NotoSans-Bold.ttf
	notoSansBold []byte
	//go:embed fonts/NotoNaskhArabic-Regular.ttf
	notoNaskhRegular []byte
	//go:embed fonts/NotoNaskhArabic-Bold.ttf
	notoNaskhBold []byte
)

// fontID names one of the embedded fonts.
type fontID int

const (
	latinRegular fontID = iota
	latinBold
	arabicRegular
	arabicBold
	fontCount
)

// ttf is one parsed embedded TrueType font: go-text's view for shaping, and
// the raw tables and metrics the PDF writer needs.
type ttf struct {
	name   string // PostScript name, without subset tag
	font   *font.Font
	tables map[string][]byte // raw tables by tag

	upem                   int
	numGlyphs              int
	bbox                   [4]int // xMin, yMin, xMax, yMax in font units
	ascent, descent, capHt int    // font units
	glyphOffsets           []uint32
	advances               []uint16 // hmtx advance per glyph, font units
}

// fontSet holds the four parsed fonts. It is immutable once built and safe
// for concurrent use (go-text's *font.Font is read-only).
type fontSet [fontCount]*ttf

// loadFonts parses the embedded fonts once; they are constant data, so the
// result is shared by every Render.
var loadFonts = sync.OnceValues(func() (*fontSet, error) {
	var fs fontSet
	for id, f := range []struct {
		name string
		data []byte
	}{
		latinRegular:  {"NotoSans-Regular", notoSansRegular},
		latinBold:     {"NotoSans-Bold", notoSansBold},
		arabicRegular: {"NotoNaskhArabic-Regular", notoNaskhRegular},
		arabicBold:    {"NotoNaskhArabic-Bold", notoNaskhBold},
	} {
		t, err := parseTTF(f.name, f.data)
		if err != nil {
			return nil, fmt.Errorf("receipt: font %s: %w", f.name, err)
		}
		fs[id] = t
	}
	return &fs, nil
})

// parseTTF reads what shaping and embedding need from a TrueType font.
func parseTTF(name string, data []byte) (*ttf, error) {
	f, err := font.ParseTTF(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tables, err := readTableDirectory(data)
	if err != nil {
		return nil, err
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf"} {
		if _, ok := tables[tag]; !ok {
			return nil, fmt.Errorf("no %q table (only TrueType outlines can be embedded)", tag)
		}
	}
	t := &ttf{name: name, font: f.Font, tables: tables}

	head, hhea, maxp := tables["head"], tables["hhea"], tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, fmt.Errorf("truncated head, hhea or maxp table")
	}
	u16 := func(b []byte, off int) int { return int(binary.BigEndian.Uint16(b[off:])) }
	i16 := func(b []byte, off int) int { return int(int16(binary.BigEndian.Uint16(b[off:]))) }
	t.upem = u16(head, 18)
	t.bbox = [4]int{i16(head, 36), i16(head, 38), i16(head, 40), i16(head, 42)}
	t.ascent, t.descent = i16(hhea, 4), i16(hhea, 6)
	t.capHt = t.ascent * 7 / 10
	if os2 := tables["OS/2"]; len(os2) >= 90 && u16(os2, 0) >= 2 {
		t.capHt = i16(os2, 88)
	}
	t.numGlyphs = u16(maxp, 4)

	// loca: glyph i spans glyf[offsets[i]:offsets[i+1]].
	loca := tables["loca"]
	long := u16(head, 50) == 1
	t.glyphOffsets = make([]uint32, t.numGlyphs+1)
	for i := range t.glyphOffsets {
		if long {
			if len(loca) < 4*(i+1) {
				return nil, fmt.Errorf("truncated loca table")
			}
			t.glyphOffsets[i] = binary.BigEndian.Uint32(loca[4*i:])
		} else {
			if len(loca) < 2*(i+1) {
				return nil, fmt.Errorf("truncated loca table")
			}
			t.glyphOffsets[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		}
	}
	if int(t.glyphOffsets[t.numGlyphs]) > len(tables["glyf"]) {
		return nil, fmt.Errorf("loca points past the glyf table")
	}

	// hmtx: numberOfHMetrics full entries, then the last advance repeats.
	hmtx := tables["hmtx"]
	nh := u16(hhea, 34)
	if nh == 0 || len(hmtx) < 4*nh {
		return nil, fmt.Errorf("truncated hmtx table")
	}
	t.advances = make([]uint16, t.numGlyphs)
	for i := range t.advances {
		t.advances[i] = binary.BigEndian.Uint16(hmtx[4*min(i, nh-1):])
	}
	if t.upem == 0 {
		return nil, fmt.Errorf("unitsPerEm is zero")
	}
	return t, nil
}

// readTableDirectory returns the raw tables of a single-font TrueType file.
func readTableDirectory(data []byte) (map[string][]byte, error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("not a font file")
	}
	if v := binary.BigEndian.Uint32(data); v != 0x00010000 && v != 0x74727565 { // 1.0 or 'true'
		return nil, fmt.Errorf("not a TrueType font (version %#x)", v)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, fmt.Errorf("truncated table directory")
	}
	tables := make(map[string][]byte, n)
	for i := range n {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(data)) {
			return nil, fmt.Errorf("table %q lies past the end of the file", tag)
		}
		tables[tag] = data[off : off+length]
	}
	return tables, nil
}

// width1000 returns a glyph's advance in thousandths of an em, the unit of
// PDF glyph widths.
func (t *ttf) width1000(gid uint16) int {
	if int(gid) >= len(t.advances) {
		return 0
	}
	return scale1000(int(t.advances[gid]), t.upem)
}

// scale1000 converts font units to thousandths of an em, rounding.
func scale1000(v, upem int) int {
	if v < 0 {
		return -scale1000(-v, upem)
	}
	return (v*1000 + upem/2) / upem
}
