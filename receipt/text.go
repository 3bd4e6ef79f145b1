package receipt

import (
	"slices"
	"strings"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

// shapeSize is the size text is shaped at: 1000 units to the em, so the
// shaper's advances are in the thousandths of an em that PDF widths and TJ
// adjustments use, whatever the point size the text is drawn at.
const shapeSize = 1000

// arabicScale enlarges Arabic runs: at the same point size Naskh letters
// look a size smaller than Latin ones. Arabic runs are shaped at this size
// instead of shapeSize and drawn at size×arabicScale/shapeSize points, so
// widths and line wrapping stay in the same units.
const arabicScale = 1120

// typesetter turns strings into shaped, wrapped, visually ordered lines. It
// holds go-text's shaper, segmenter and wrapper, which keep caches and are
// not safe for concurrent use: each Render takes one from a pool.
type typesetter struct {
	fonts   *fontSet
	faces   [fontCount]*font.Face
	shaper  shaping.HarfbuzzShaper
	seg     shaping.Segmenter
	wrapper shaping.LineWrapper
	fontmap fontmap
}

func newTypesetter(fs *fontSet) *typesetter {
	ts := &typesetter{fonts: fs}
	for i, t := range fs {
		ts.faces[i] = font.NewFace(t.font)
	}
	return ts
}

// faceID returns which embedded font a face is.
func (ts *typesetter) faceID(f *font.Face) fontID {
	for i, g := range ts.faces {
		if g == f {
			return fontID(i)
		}
	}
	return latinRegular
}

// fontmap picks the font of each run: Noto Naskh Arabic for Arabic script,
// Noto Sans for the rest, and whichever has a glyph when one lacks it.
type fontmap struct {
	latin, arabic *font.Face
	script        language.Script
}

func (m *fontmap) SetScript(s language.Script) { m.script = s }

func (m *fontmap) ResolveFace(r rune) *font.Face {
	first, second := m.latin, m.arabic
	if m.script == language.Arabic {
		first, second = m.arabic, m.latin
	}
	if _, ok := first.NominalGlyph(r); ok {
		return first
	}
	if _, ok := second.NominalGlyph(r); ok {
		return second
	}
	return first
}

// textStyle is how a piece of text is drawn.
type textStyle struct {
	bold  bool
	size  float64 // points
	color rgb
}

// line is one laid-out line of text.
type line struct {
	runs  []run   // in visual order, left to right
	width float64 // points
	style textStyle
	rtl   bool // paragraph direction
}

// run is a shaped run and the text its glyphs' clusters index into: the
// paragraph, or "…" for the truncator that ends a cut line.
type run struct {
	shaping.Output
	text []rune
}

// layoutOptions tune [typesetter.layout].
type layoutOptions struct {
	maxWidth float64 // points; 0 means no wrapping
	maxLines int     // 0 means no limit; the last line ends with "…"
	rtl      *bool   // paragraph direction; nil takes the first strong letter's
	lang     language.Language
}

// layout shapes s and wraps it into lines no wider than o.maxWidth.
func (ts *typesetter) layout(s string, st textStyle, o layoutOptions) []line {
	text := []rune(strings.Map(printable, s))
	if len(text) == 0 {
		return nil
	}
	rtl := paragraphRTL(text)
	if o.rtl != nil {
		rtl = *o.rtl
	}
	dir := di.DirectionLTR
	if rtl {
		dir = di.DirectionRTL
	}
	ts.fontmap = fontmap{latin: ts.faces[latinRegular], arabic: ts.faces[arabicRegular]}
	if st.bold {
		ts.fontmap = fontmap{latin: ts.faces[latinBold], arabic: ts.faces[arabicBold]}
	}
	input := shaping.Input{
		Text:      text,
		RunStart:  0,
		RunEnd:    len(text),
		Direction: dir,
		Size:      fixed.I(shapeSize),
		Language:  o.lang,
	}
	var runs []shaping.Output
	for _, in := range ts.seg.Split(input, &ts.fontmap) {
		if in.Face == ts.fontmap.arabic {
			in.Size = fixed.I(arabicScale)
		}
		runs = append(runs, ts.shaper.Shape(in))
	}

	cfg := shaping.WrapConfig{Direction: dir, TruncateAfterLines: o.maxLines}
	if o.maxLines > 0 {
		cfg = cfg.WithTruncator(&ts.shaper, shaping.Input{
			Text:      []rune("…"),
			RunEnd:    1,
			Direction: dir,
			Face:      ts.fontmap.latin,
			Size:      fixed.I(shapeSize),
			Language:  o.lang,
		})
	}
	maxWidth := 1 << 20 // in thousandths of an em: wide enough for any receipt
	if o.maxWidth > 0 {
		maxWidth = int(o.maxWidth * 1000 / st.size)
	}
	wrapped, truncated := ts.wrapper.WrapParagraph(cfg, maxWidth, text, shaping.NewSliceIterator(runs))

	lines := make([]line, 0, len(wrapped))
	for n, wl := range wrapped {
		l := line{style: st, rtl: rtl}
		// The wrapper's lines are only valid until its next call: copy.
		l.runs = make([]run, len(wl))
		for i, out := range wl {
			l.runs[i] = run{Output: out, text: text}
		}
		// The truncator ends the last line of a cut paragraph, in logical
		// order; its clusters index its own text.
		if truncated > 0 && n == len(wrapped)-1 && len(l.runs) > 0 {
			l.runs[len(l.runs)-1].text = []rune("…")
		}
		slices.SortFunc(l.runs, func(a, b run) int { return int(a.VisualIndex - b.VisualIndex) })
		var adv fixed.Int26_6
		for _, r := range l.runs {
			adv += r.Advance
		}
		l.width = float64(adv) / 64 * st.size / 1000
		lines = append(lines, l)
	}
	return lines
}

// printable turns control characters (a line feed in a name) into spaces
// and drops explicit bidi controls, which could make one field's text
// display in a misleading order; the bidi algorithm orders the text alone.
func printable(r rune) rune {
	switch {
	case unicode.Is(unicode.Bidi_Control, r):
		return -1
	case unicode.IsControl(r):
		return ' '
	}
	return r
}

// paragraphRTL applies rules P2 and P3 of the Unicode bidi algorithm in
// short: the paragraph runs right to left when its first strong letter is
// Arabic or Hebrew.
func paragraphRTL(text []rune) bool {
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// glyphTexts returns the text each glyph of a run stands for, for the
// PDF's ToUnicode map. A cluster of as many glyphs as runes (a letter and
// its marks) maps one to one in logical order; otherwise (a ligature, a
// letter drawn in pieces) the cluster's first glyph in logical order gets
// all its runes and the others nothing. The shaper returns a right-to-left
// run in visual order, so its logical order is the reverse.
func glyphTexts(run run) []string {
	text := run.text
	out := make([]string, len(run.Glyphs))
	rtl := run.Direction.Progression() == di.TowardTopLeft
	var idx []int
	for i := 0; i < len(run.Glyphs); {
		cluster := run.Glyphs[i].ClusterIndex
		j := i
		for j < len(run.Glyphs) && run.Glyphs[j].ClusterIndex == cluster {
			j++
		}
		idx = idx[:0]
		for k := i; k < j; k++ {
			idx = append(idx, k)
		}
		if rtl {
			slices.Reverse(idx)
		}
		if runes := clusterRunes(text, run.Glyphs[i]); len(runes) == len(idx) {
			for k, gi := range idx {
				out[gi] = plainText(runes[k : k+1])
			}
		} else {
			out[idx[0]] = plainText(runes)
		}
		i = j
	}
	return out
}

// clusterRunes returns the runes of the cluster a glyph belongs to.
func clusterRunes(text []rune, g shaping.Glyph) []rune {
	end := min(g.ClusterIndex+g.RuneCount, len(text))
	if g.ClusterIndex < 0 || g.ClusterIndex >= end {
		return nil
	}
	return text[g.ClusterIndex:end]
}

// plainText reports a no-break space, drawn with the space glyph, as a
// plain space, so that copied text and search work as people expect.
func plainText(runes []rune) string {
	return strings.Map(func(r rune) rune {
		if r == '\u00a0' || r == '\u202f' {
			return ' '
		}
		return r
	}, string(runes))
}
