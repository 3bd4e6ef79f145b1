package receipt

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/math/fixed"
)

// This file writes the PDF itself: one page, text as glyph ids of embedded
// TrueType subsets (Type0 fonts, Identity-H), with a ToUnicode map so that
// text can be extracted, searched and copied. Go's PDF libraries map runes
// to glyphs through the font's cmap, which cannot express the contextual
// glyphs that Arabic shaping selects; drawing the shaper's glyph ids needs
// this small writer instead.

// rgb is a colour, each component in [0, 1].
type rgb [3]float64

// canvas collects a page's content stream and what its text uses of each
// font.
type canvas struct {
	ops   bytes.Buffer
	used  [fontCount]map[uint16]string // glyph id -> text, per font
	fonts *fontSet
	faces func(*font.Face) fontID
}

func newCanvas(fs *fontSet, faces func(*font.Face) fontID) *canvas {
	c := &canvas{fonts: fs, faces: faces}
	for i := range c.used {
		c.used[i] = make(map[uint16]string)
	}
	return c
}

// num formats a coordinate for a content stream: at most three decimals and
// no exponent.
func num(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		return "0" // and not "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (c *canvas) printf(format string, args ...any) {
	fmt.Fprintf(&c.ops, format, args...)
}

func (c *canvas) fillColor(col rgb) {
	c.printf("%s %s %s rg\n", num(col[0]), num(col[1]), num(col[2]))
}

func (c *canvas) strokeColor(col rgb) {
	c.printf("%s %s %s RG\n", num(col[0]), num(col[1]), num(col[2]))
}

// fillRect fills a rectangle given by its lower-left corner in PDF
// coordinates.
func (c *canvas) fillRect(x, y, w, h float64, col rgb) {
	c.fillColor(col)
	c.printf("%s %s %s %s re f\n", num(x), num(y), num(w), num(h))
}

// strokeRect draws a rectangle's outline.
func (c *canvas) strokeRect(x, y, w, h, lineWidth float64, col rgb) {
	c.strokeColor(col)
	c.printf("%s w %s %s %s %s re S\n", num(lineWidth), num(x), num(y), num(w), num(h))
}

// hline draws a horizontal rule.
func (c *canvas) hline(x1, x2, y, lineWidth float64, col rgb) {
	c.strokeColor(col)
	c.printf("%s w %s %s m %s %s l S\n", num(lineWidth), num(x1), num(y), num(x2), num(y))
}

// text draws a laid-out line with its left end at x and its baseline at y.
//
// Each run becomes a TJ whose numbers place every glyph where the shaper
// put it (kerning, Arabic joining widths, marks over their letters). Within
// a right-to-left cluster the glyphs are written in logical order, the
// letter before its marks, although the shaper lists them in visual order:
// poppler attaches a mark to the glyph written just before it, and would
// otherwise put it on a line of its own. (It then places the mark one
// letter early in right-to-left text; an ActualText span fares worse.)
func (c *canvas) text(l line, x, y float64) {
	size := l.style.size
	c.fillColor(l.style.color)
	c.printf("BT\n")
	pen := x
	for _, run := range l.runs {
		id := c.faces(run.Face)
		t := c.fonts[id]
		// A run shaped at k×shapeSize is drawn at k×size.
		k := float64(run.Size) / 64 / shapeSize
		runSize := size * k
		c.printf("/F%d %s Tf\n", id, num(runSize))
		c.printf("1 0 0 1 %s %s Tm\n", num(pen), num(y))

		// Each glyph's position from the run's start, in thousandths of
		// the run's em (the shaper worked in 26.6 units of the run's size).
		xs := make([]float64, len(run.Glyphs))
		var adv fixed.Int26_6
		for i, g := range run.Glyphs {
			xs[i] = float64(adv+g.XOffset) / 64 / k
			adv += g.Advance
		}
		texts := glyphTexts(run)

		var tj strings.Builder
		var rise fixed.Int26_6
		tj.WriteByte('[')
		flush := func() {
			tj.WriteString("] TJ\n")
			c.ops.WriteString(tj.String())
			tj.Reset()
			tj.WriteByte('[')
		}
		cur := 0.0 // where the text position is, in the same units
		for _, i := range writingOrder(run) {
			g := run.Glyphs[i]
			if g.YOffset != rise {
				flush()
				rise = g.YOffset
				c.printf("%s Ts\n", num(float64(rise)/64*size/shapeSize))
			}
			gid := uint16(g.GlyphID)
			// A glyph keeps the first non-empty text it is seen with.
			if prev, ok := c.used[id][gid]; !ok || prev == "" {
				c.used[id][gid] = texts[i]
			}
			// A TJ number n moves the text position back by n/1000 em.
			if d := cur - xs[i]; math.Abs(d) >= 0.001 {
				fmt.Fprintf(&tj, " %s ", num(d))
			}
			fmt.Fprintf(&tj, "<%04X>", gid)
			cur = xs[i] + float64(t.width1000(gid))
		}
		flush()
		if rise != 0 {
			c.printf("0 Ts\n")
		}
		pen += float64(run.Advance) / 64 * size / shapeSize
	}
	c.printf("ET\n")
}

// outline draws a laid-out line like text does, but as filled glyph
// outlines: graphics, which text extraction and search ignore.
func (c *canvas) outline(l line, x, y float64) {
	size := l.style.size
	c.fillColor(l.style.color)
	pen := x
	for _, run := range l.runs {
		k := float64(run.Size) / 64 / shapeSize
		scale := size * k / float64(run.Face.Upem()) // font units to points
		var adv fixed.Int26_6
		for _, g := range run.Glyphs {
			gx := pen + float64(adv+g.XOffset)/64*size/shapeSize
			gy := y + float64(g.YOffset)/64*size/shapeSize
			adv += g.Advance
			o, ok := run.Face.GlyphDataOutline(g.GlyphID)
			if !ok {
				continue
			}
			var cx, cy float64 // the current point, in points
			p := func(sp font.SegmentPoint) (float64, float64) {
				return gx + float64(sp.X)*scale, gy + float64(sp.Y)*scale
			}
			for _, seg := range o.Segments {
				switch seg.Op {
				case ot.SegmentOpMoveTo:
					cx, cy = p(seg.Args[0])
					c.printf("%s %s m\n", num(cx), num(cy))
				case ot.SegmentOpLineTo:
					cx, cy = p(seg.Args[0])
					c.printf("%s %s l\n", num(cx), num(cy))
				case ot.SegmentOpQuadTo:
					// A quadratic Bézier is the cubic with control
					// points two thirds of the way to its own.
					qx, qy := p(seg.Args[0])
					ex, ey := p(seg.Args[1])
					c.printf("%s %s %s %s %s %s c\n",
						num(cx+2*(qx-cx)/3), num(cy+2*(qy-cy)/3),
						num(ex+2*(qx-ex)/3), num(ey+2*(qy-ey)/3), num(ex), num(ey))
					cx, cy = ex, ey
				case ot.SegmentOpCubeTo:
					x1, y1 := p(seg.Args[0])
					x2, y2 := p(seg.Args[1])
					cx, cy = p(seg.Args[2])
					c.printf("%s %s %s %s %s %s c\n", num(x1), num(y1), num(x2), num(y2), num(cx), num(cy))
				}
			}
		}
		pen += float64(run.Advance) / 64 * size / shapeSize
	}
	c.printf("f\n")
}

// writingOrder returns the indices of a run's glyphs in the order to write
// them: clusters left to right, and inside a right-to-left cluster the
// reverse of the shaper's order, which is logical order.
func writingOrder(run run) []int {
	order := make([]int, len(run.Glyphs))
	for i := range order {
		order[i] = i
	}
	if run.Direction.Progression() != di.TowardTopLeft {
		return order
	}
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && run.Glyphs[j].ClusterIndex == run.Glyphs[i].ClusterIndex {
			j++
		}
		slices.Reverse(order[i:j])
		i = j
	}
	return order
}

// pdfWriter numbers objects and records their offsets for the xref table.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets []int // by object number - 1; 0 until written
	z       bytes.Buffer
	zw      *zlib.Writer
}

// alloc reserves an object number.
func (w *pdfWriter) alloc() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets)
}

// object writes object n with the given body.
func (w *pdfWriter) object(n int, body string) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

// stream writes object n as a Flate-compressed stream; extra holds further
// dictionary entries.
func (w *pdfWriter) stream(n int, extra string, data []byte) error {
	w.z.Reset()
	// A compressor allocates about a megabyte: one serves every stream.
	if w.zw == nil {
		w.zw = zlib.NewWriter(&w.z)
	} else {
		w.zw.Reset(&w.z)
	}
	if _, err := w.zw.Write(data); err != nil {
		return err
	}
	if err := w.zw.Close(); err != nil {
		return err
	}
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n", n, w.z.Len(), extra)
	w.buf.Write(w.z.Bytes())
	w.buf.WriteString("\nendstream\nendobj\n")
	return nil
}

// pdfMeta is the document information and language.
type pdfMeta struct {
	title, author, subject, creator string
	created                         string // PDF date, D:YYYYMMDDHHmmSS+HH'mm'
	lang                            string
}

// pdfText encodes a PDF text string: UTF-16BE with a byte-order mark, in hex.
func pdfText(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}

// writePDF assembles a one-page document of the given size (points) from
// the canvas. The output depends only on its inputs: no clock, no random
// subset tags, and an /ID derived from the content.
func writePDF(c *canvas, width, height float64, meta pdfMeta) ([]byte, error) {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

	catalog, info, pages, page, content := w.alloc(), w.alloc(), w.alloc(), w.alloc(), w.alloc()

	var fontRes strings.Builder
	for id := range fontCount {
		used := c.used[id]
		if len(used) == 0 {
			continue
		}
		ref, err := writeFont(w, c.fonts[id], used)
		if err != nil {
			return nil, fmt.Errorf("embed font %s: %w", c.fonts[id].name, err)
		}
		fmt.Fprintf(&fontRes, " /F%d %d 0 R", id, ref)
	}

	if err := w.stream(content, "", c.ops.Bytes()); err != nil {
		return nil, err
	}
	w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /Font <<%s >> >> /Contents %d 0 R >>",
		pages, num(width), num(height), fontRes.String(), content))
	w.object(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	w.object(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /Lang %s /ViewerPreferences << /DisplayDocTitle true >> >>",
		pages, pdfText(meta.lang)))
	w.object(info, fmt.Sprintf("<< /Title %s /Author %s /Subject %s /Creator %s /Producer %s /CreationDate (%s) /ModDate (%s) >>",
		pdfText(meta.title), pdfText(meta.author), pdfText(meta.subject), pdfText(meta.creator), pdfText(meta.creator),
		meta.created, meta.created))

	id := sha256.Sum256(w.buf.Bytes())
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%X> <%X>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets)+1, catalog, info, id[:16], id[:16], xref)
	return w.buf.Bytes(), nil
}

// writeFont embeds a subset of t holding the used glyphs as a Type0 font
// and returns the font dictionary's object number.
func writeFont(w *pdfWriter, t *ttf, used map[uint16]string) (int, error) {
	gids := make([]uint16, 0, len(used))
	for g := range used {
		gids = append(gids, g)
	}
	slices.Sort(gids)

	keep := make(map[uint16]struct{}, len(gids))
	for _, g := range gids {
		keep[g] = struct{}{}
	}
	sub, err := t.subset(keep)
	if err != nil {
		return 0, err
	}

	// The subset tag is six capitals derived from the glyph set, so equal
	// receipts produce equal files.
	h := sha256.New()
	for _, g := range gids {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum(nil)
	var tag [6]byte
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	baseFont := string(tag[:]) + "+" + t.name

	type0, cid, desc, file, toUni := w.alloc(), w.alloc(), w.alloc(), w.alloc(), w.alloc()

	var widths strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&widths, " %d [%d]", g, t.width1000(g))
	}
	k := func(v int) int { return scale1000(v, t.upem) }

	w.object(type0, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		baseFont, cid, toUni))
	w.object(cid, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W [%s ] /CIDToGIDMap /Identity >>",
		baseFont, desc, widths.String()))
	w.object(desc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
		baseFont, k(t.bbox[0]), k(t.bbox[1]), k(t.bbox[2]), k(t.bbox[3]), k(t.ascent), k(t.descent), k(t.capHt), file))
	if err := w.stream(file, fmt.Sprintf(" /Length1 %d", len(sub)), sub); err != nil {
		return 0, err
	}
	if err := w.stream(toUni, "", toUnicodeCMap(gids, used)); err != nil {
		return 0, err
	}
	return type0, nil
}

// toUnicodeCMap maps glyph ids to the text they show, so that a reader
// extracts the logical text (base letters, not presentation forms).
func toUnicodeCMap(gids []uint16, used map[uint16]string) []byte {
	var entries []string
	for _, g := range gids {
		s := used[g]
		if s == "" {
			continue
		}
		var dst strings.Builder
		for _, u := range utf16.Encode([]rune(s)) {
			fmt.Fprintf(&dst, "%04X", u)
		}
		entries = append(entries, fmt.Sprintf("<%04X> <%s>", g, dst.String()))
	}
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for chunk := range slices.Chunk(entries, 100) {
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", len(chunk), strings.Join(chunk, "\n"))
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}
