package receipt

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// subset returns a TrueType font that keeps the outlines of the used glyphs
// (and of the glyphs their composites are built from) and empties the
// others. Glyph ids do not change, so the PDF can address glyphs by their
// id (CIDToGIDMap /Identity) and the shaper's output needs no renumbering.
//
// Only the tables a PDF renderer reads are kept: outlines and metrics, the
// hinting programs, naming (it carries the copyright and licence notice the
// OFL asks to keep), OS/2, a post table without glyph names and an empty
// cmap. Shaping tables (GSUB, GPOS, GDEF) are not needed once the text is
// shaped.
func (t *ttf) subset(used map[uint16]struct{}) ([]byte, error) {
	keep := make([]bool, t.numGlyphs)
	keep[0] = true // .notdef
	glyf := t.tables["glyf"]
	var visit func(gid uint16, depth int) error
	visit = func(gid uint16, depth int) error {
		if int(gid) >= t.numGlyphs {
			return fmt.Errorf("glyph %d out of range", gid)
		}
		if depth > 8 {
			return fmt.Errorf("glyph %d: composite nesting too deep", gid)
		}
		keep[gid] = true
		start, end := t.glyphOffsets[gid], t.glyphOffsets[gid+1]
		if end <= start {
			return nil // empty glyph, such as a space
		}
		comps, err := compositeComponents(glyf[start:end])
		if err != nil {
			return fmt.Errorf("glyph %d: %w", gid, err)
		}
		for _, c := range comps {
			if err := visit(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for gid := range used {
		if err := visit(gid, 0); err != nil {
			return nil, err
		}
	}

	// glyf and a long-format loca.
	var newGlyf []byte
	loca := make([]byte, 4*(t.numGlyphs+1))
	for gid := range t.numGlyphs {
		binary.BigEndian.PutUint32(loca[4*gid:], uint32(len(newGlyf)))
		if keep[gid] {
			newGlyf = append(newGlyf, glyf[t.glyphOffsets[gid]:t.glyphOffsets[gid+1]]...)
			for len(newGlyf)%4 != 0 {
				newGlyf = append(newGlyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*t.numGlyphs:], uint32(len(newGlyf)))

	head := slices.Clone(t.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)

	out := map[string][]byte{
		"head": head,
		"hhea": t.tables["hhea"],
		"maxp": t.tables["maxp"],
		"hmtx": t.tables["hmtx"],
		"loca": loca,
		"glyf": newGlyf,
		"cmap": emptyCmap(),
	}
	for _, tag := range []string{"cvt ", "fpgm", "prep", "name", "OS/2"} {
		if b, ok := t.tables[tag]; ok {
			out[tag] = b
		}
	}
	if post := t.tables["post"]; len(post) >= 32 {
		p := slices.Clone(post[:32])
		binary.BigEndian.PutUint32(p, 0x00030000) // version 3: no glyph names
		out["post"] = p
	}
	return writeTTF(out), nil
}

// compositeComponents returns the glyph ids a composite glyph refers to, or
// nothing for a simple glyph.
func compositeComponents(g []byte) ([]uint16, error) {
	if len(g) < 10 {
		return nil, fmt.Errorf("truncated glyph header")
	}
	if int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil, nil // simple glyph: numberOfContours >= 0
	}
	const (
		argsAreWords   = 0x0001
		haveScale      = 0x0008
		moreComponents = 0x0020
		haveXYScale    = 0x0040
		haveTwoByTwo   = 0x0080
	)
	var comps []uint16
	p := 10
	for {
		if len(g) < p+4 {
			return nil, fmt.Errorf("truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(g[p:])
		comps = append(comps, binary.BigEndian.Uint16(g[p+2:]))
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return comps, nil
		}
	}
}

// emptyCmap is a cmap table with one (3,1) format-4 subtable that maps no
// character: the PDF addresses glyphs by id, but some readers expect a cmap.
func emptyCmap() []byte {
	b := make([]byte, 4+8+24)
	be := binary.BigEndian
	be.PutUint16(b[0:], 0)  // version
	be.PutUint16(b[2:], 1)  // numTables
	be.PutUint16(b[4:], 3)  // platform: Windows
	be.PutUint16(b[6:], 1)  // encoding: Unicode BMP
	be.PutUint32(b[8:], 12) // offset of the subtable
	s := b[12:]
	be.PutUint16(s[0:], 4)       // format
	be.PutUint16(s[2:], 24)      // length
	be.PutUint16(s[4:], 0)       // language
	be.PutUint16(s[6:], 2)       // segCountX2: one segment
	be.PutUint16(s[8:], 2)       // searchRange
	be.PutUint16(s[10:], 0)      // entrySelector
	be.PutUint16(s[12:], 0)      // rangeShift
	be.PutUint16(s[14:], 0xFFFF) // endCode
	be.PutUint16(s[16:], 0)      // reservedPad
	be.PutUint16(s[18:], 0xFFFF) // startCode
	be.PutUint16(s[20:], 1)      // idDelta: maps 0xFFFF to glyph 0
	be.PutUint16(s[22:], 0)      // idRangeOffset
	return b
}

// writeTTF assembles tables into a TrueType file: sorted directory, tables
// aligned on four bytes, checksums and head.checkSumAdjustment.
func writeTTF(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	slices.Sort(tags)

	n := len(tags)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := 16 << entrySelector

	be := binary.BigEndian
	out := make([]byte, 12+16*n)
	be.PutUint32(out[0:], 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	be.PutUint16(out[6:], uint16(searchRange))
	be.PutUint16(out[8:], uint16(entrySelector))
	be.PutUint16(out[10:], uint16(16*n-searchRange))

	headAt := -1
	for i, tag := range tags {
		data := tables[tag]
		rec := out[12+16*i:]
		copy(rec, tag)
		be.PutUint32(rec[4:], ttfChecksum(data))
		be.PutUint32(rec[8:], uint32(len(out)))
		be.PutUint32(rec[12:], uint32(len(data)))
		if tag == "head" {
			headAt = len(out)
		}
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if headAt >= 0 {
		be.PutUint32(out[headAt+8:], 0xB1B0AFBA-ttfChecksum(out))
	}
	return out
}

// ttfChecksum sums big-endian uint32 words, the data zero-padded to four
// bytes.
func ttfChecksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var last [4]byte
		copy(last[:], b)
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}
