package receipt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/go-text/typesetting/language"
)

// Receipt is what a payment receipt shows. Amounts are centimes of Algerian
// dinar; text may be in Latin or Arabic script.
type Receipt struct {
	Number       string // the payment id, printed as the receipt number
	DebtRef      string // the case file's human reference
	ExternalRef  string // the creditor's own reference for the debt, if any
	CreditorName string
	DebtorName   string // empty for an erased person: shown as "—"
	DebtorRef    string // the debtor's short reference, e.g. D-7KQ2M9

	Amount       int64     // centimes, > 0
	ValueDate    string    // YYYY-MM-DD: when the money moved
	RecordedAt   time.Time // when the payment was recorded; shown in Africa/Algiers time
	Method       string    // a collection.PaymentMethod* name; shown in words
	Reference    string    // cheque number, transfer reference…
	BalanceAfter int64     // centimes still due after this payment, >= 0

	Reversed       bool // the payment was reversed: the receipt is stamped ANNULÉ / ملغى
	ReversalReason string

	VerificationCode string // from VerificationCode; required
	VerifyURL        string // encoded as a QR code and printed; optional

	Language string // "fr" (also when empty), "ar" or "en"
}

// Page sizes in points (1/72 inch).
const (
	a5Width, a5Height = 419.528, 595.276
	a4Width, a4Height = 595.276, 841.89
)

// engine holds what every Render shares: the parsed fonts, a pool of
// typesetters (their caches make the second receipt much cheaper than the
// first) and the Algiers time zone.
type engine struct {
	fonts   *fontSet
	pool    sync.Pool
	algiers *time.Location
}

var defaultEngine = sync.OnceValues(func() (*engine, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	e := &engine{fonts: fs}
	e.pool.New = func() any { return newTypesetter(fs) }
	e.algiers, err = time.LoadLocation("Africa/Algiers")
	if err != nil {
		// No time zone database on this machine. Algeria has kept UTC+1
		// all year since 1981, so a fixed zone is exact for any payment.
		e.algiers = time.FixedZone("CET", 3600)
	}
	return e, nil
})

// Render returns the receipt as a one-page PDF: A5 portrait, or A4 when long
// names or reasons do not fit on A5. The output depends only on r (no clock,
// no randomness), so rendering the same receipt twice gives the same bytes.
// Render is safe for concurrent use.
func Render(r Receipt) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	e, err := defaultEngine()
	if err != nil {
		return nil, err
	}
	ts := e.pool.Get().(*typesetter)
	defer e.pool.Put(ts)

	w, h := a5Width, a5Height
	p, err := drawReceipt(ts, e.algiers, r, w, h)
	if err == nil && p.overflow {
		w, h = a4Width, a4Height
		p, err = drawReceipt(ts, e.algiers, r, w, h)
	}
	if err != nil {
		return nil, err
	}
	l := labelsFor(r.Language)
	return writePDF(p.c, w, h, pdfMeta{
		title:   l.title + " " + r.Number,
		author:  agencyLatin,
		subject: l.title,
		creator: "Tahsil",
		created: pdfDate(r.RecordedAt.In(e.algiers)),
		lang:    languageTag(r.Language),
	})
}

// validate reports every problem of r at once.
func (r Receipt) validate() error {
	var errs []error
	if strings.TrimSpace(r.Number) == "" {
		errs = append(errs, errors.New("number is required"))
	}
	if r.Amount <= 0 {
		errs = append(errs, fmt.Errorf("amount must be positive, got %d", r.Amount))
	}
	if r.BalanceAfter < 0 {
		errs = append(errs, fmt.Errorf("balance after must not be negative, got %d", r.BalanceAfter))
	}
	if _, err := time.Parse(time.DateOnly, r.ValueDate); err != nil {
		errs = append(errs, fmt.Errorf("value date %q is not YYYY-MM-DD", r.ValueDate))
	}
	if r.RecordedAt.IsZero() {
		errs = append(errs, errors.New("recorded at is required"))
	}
	if strings.TrimSpace(r.VerificationCode) == "" {
		errs = append(errs, errors.New("verification code is required"))
	}
	switch r.Language {
	case "", "fr", "ar", "en":
	default:
		errs = append(errs, fmt.Errorf("language %q is not fr, ar or en", r.Language))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("receipt: invalid receipt %q: %w", r.Number, err)
	}
	return nil
}

func labelsFor(lang string) *labels {
	if l, ok := allLabels[lang]; ok {
		return l
	}
	return allLabels["fr"]
}

func languageTag(lang string) string {
	if lang == "" {
		return "fr"
	}
	return lang
}

// pdfDate formats t as a PDF date string with its UTC offset.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off/60%60)
}

// displayDate turns YYYY-MM-DD into the Algerian DD/MM/YYYY.
func displayDate(ymd string) string {
	t, err := time.Parse(time.DateOnly, ymd)
	if err != nil {
		return ymd
	}
	return t.Format("02/01/2006")
}

// nbsp joins the parts of a number, and a number to its unit, so that no
// line breaks there and the bidi algorithm keeps the number whole inside
// Arabic text (a no-break space is a common separator, not a word break).
const nbsp = "\u00a0"

// money formats an amount for the page.
func money(centimes int64, l *labels) string {
	s, err := formatAmount(centimes, nbsp, "")
	if err != nil {
		return "—"
	}
	return s + nbsp + l.currency
}

// Colours.
var (
	ink       = rgb{0.11, 0.12, 0.13}
	muted     = rgb{0.38, 0.40, 0.42}
	rule      = rgb{0.82, 0.84, 0.85}
	accent    = rgb{0.0, 0.42, 0.30} // the green of the Algerian flag, darkened for print
	accentBg  = rgb{0.92, 0.96, 0.94}
	red       = rgb{0.74, 0.07, 0.09}
	redBg     = rgb{0.99, 0.93, 0.93}
	watermark = rgb{0.99, 0.89, 0.89}
)

// drawn is the page as drawn by drawReceipt.
type drawn struct {
	c        *canvas
	overflow bool // the content ran into the footer
}

// pageLayout draws on a page with a cursor running down from the top. It
// works in logical coordinates, measured from the start edge: the left one
// for French and English, the right one for Arabic, whose pages are
// mirrored.
type pageLayout struct {
	ts     *typesetter
	c      *canvas
	w, h   float64
	margin float64
	rtl    bool
	lang   language.Language
	y      float64 // distance from the top of the page to the cursor
}

// align places lines in their box: at its start edge (left, or right on a
// right-to-left page) or centred.
type align int

const (
	alignStart align = iota
	alignCenter
)

// left converts a logical box (x from the start edge, width w) to its PDF
// left edge.
func (p *pageLayout) left(x, w float64) float64 {
	if p.rtl {
		return p.w - x - w
	}
	return x
}

// lineHeight is the distance between baselines for a text size. Naskh has
// tall ascenders and deep descenders, so the leading is generous.
func lineHeight(size float64) float64 { return size * 1.45 }

// layout shapes s for a box of width w.
func (p *pageLayout) layout(s string, st textStyle, w float64, maxLines int) []line {
	return p.ts.layout(s, st, layoutOptions{maxWidth: w, maxLines: maxLines, lang: p.lang})
}

// layoutLTR shapes s as left-to-right text whatever its letters (codes,
// addresses).
func (p *pageLayout) layoutLTR(s string, st textStyle, w float64, maxLines int) []line {
	ltr := false
	return p.ts.layout(s, st, layoutOptions{maxWidth: w, maxLines: maxLines, lang: p.lang, rtl: &ltr})
}

// draw draws lines in the logical box (x, w) with the first line's top at
// top, and returns the height used.
func (p *pageLayout) draw(lines []line, x, w, top float64, a align) float64 {
	y := top
	for _, l := range lines {
		size := l.style.size
		baseline := y + size*1.05
		boxLeft := p.left(x, w)
		var lx float64
		switch {
		case a == alignCenter:
			lx = boxLeft + (w-l.width)/2
		case p.rtl:
			lx = boxLeft + w - l.width
		default:
			lx = boxLeft
		}
		p.c.text(l, lx, p.h-baseline)
		y += lineHeight(size)
	}
	return y - top
}

// drawReceipt lays the receipt out on a page of the given size.
func drawReceipt(ts *typesetter, algiers *time.Location, r Receipt, w, h float64) (drawn, error) {
	l := labelsFor(r.Language)
	p := &pageLayout{
		ts:     ts,
		c:      newCanvas(ts.fonts, ts.faceID),
		w:      w,
		h:      h,
		margin: 34,
		rtl:    r.Language == "ar",
		lang:   language.NewLanguage(languageTag(r.Language)),
	}
	m := p.margin
	cw := w - 2*m // content width

	if r.Reversed {
		p.drawWatermark()
	}

	// Header: a band of the agency's colour, its name in French on the
	// left and in Arabic on the right, on every receipt whatever its
	// language.
	p.c.fillRect(0, h-8, w, 8, accent)
	p.y = m - 10
	latin := p.layoutLTR(agencyLatin, textStyle{bold: true, size: 11.5, color: accent}, cw*0.62, 1)
	arabic := p.layout(agencyArabic, textStyle{bold: true, size: 13, color: accent}, cw*0.36, 1)
	hh := max(height(latin), height(arabic))
	// Physical placement: Latin left, Arabic right, in both directions.
	p.drawPhysical(latin, m, cw, p.y+(hh-height(latin))/2, false)
	p.drawPhysical(arabic, m, cw, p.y+(hh-height(arabic))/2, true)
	p.y += hh + 4
	p.c.hline(m, w-m, h-p.y, 0.8, accent)
	p.y += 10

	// Title and number.
	p.y += p.draw(p.layout(l.title, textStyle{bold: true, size: 17, color: ink}, cw, 1), m, cw, p.y, alignStart)
	p.y += p.draw(p.layout(l.number+" "+r.Number, textStyle{size: 9, color: muted}, cw, 2), m, cw, p.y, alignStart)
	p.y += 8

	// A reversed payment: a red stamp that cannot be missed.
	if r.Reversed {
		stamp := p.layoutLTR(reversedStamp, textStyle{bold: true, size: 18, color: red}, cw-20, 1)
		note := l.reversed
		if reason := strings.TrimSpace(r.ReversalReason); reason != "" {
			note += " " + fmt.Sprintf(l.reason, reason)
		}
		noteLines := p.layout(note, textStyle{size: 8.5, color: red}, cw-20, 3)
		boxH := 8 + height(stamp) + height(noteLines) + 6
		p.c.fillRect(m, h-p.y-boxH, cw, boxH, redBg)
		p.c.strokeRect(m, h-p.y-boxH, cw, boxH, 2, red)
		y := p.y + 8
		y += p.draw(stamp, m+10, cw-20, y, alignCenter)
		p.draw(noteLines, m+10, cw-20, y, alignCenter)
		p.y += boxH + 10
	}

	// The amount, large.
	{
		label := p.layout(l.amountPaid, textStyle{size: 9, color: muted}, cw-24, 1)
		amount := p.layout(money(r.Amount, l), textStyle{bold: true, size: 20, color: ink}, cw-24, 1)
		if r.Reversed {
			amount = p.layout(money(r.Amount, l), textStyle{bold: true, size: 20, color: red}, cw-24, 1)
		}
		boxH := 8 + height(label) + height(amount) + 2
		p.c.fillRect(m, h-p.y-boxH, cw, boxH, accentBg)
		p.c.fillRect(p.left(m, 4), h-p.y-boxH, 4, boxH, accent)
		y := p.y + 8
		y += p.draw(label, m+14, cw-24, y, alignStart)
		p.draw(amount, m+14, cw-24, y, alignStart)
		p.y += boxH + 10
	}

	// The details, one row each: label, then value.
	valueOr := func(s string) string {
		if s = strings.TrimSpace(s); s == "" {
			return "—"
		}
		return s
	}
	rows := [][2]string{}
	if r.CreditorName != "" {
		rows = append(rows, [2]string{l.creditor, r.CreditorName})
	}
	rows = append(rows, [2]string{l.debtor, valueOr(r.DebtorName)})
	if r.DebtorRef != "" {
		rows = append(rows, [2]string{l.debtorRef, r.DebtorRef})
	}
	rows = append(rows, [2]string{l.debt, valueOr(r.DebtRef)})
	if r.ExternalRef != "" {
		rows = append(rows, [2]string{l.externalRef, r.ExternalRef})
	}
	rows = append(rows,
		[2]string{l.valueDate, displayDate(r.ValueDate)},
		[2]string{l.recordedAt, r.RecordedAt.In(algiers).Format("02/01/2006"+nbsp+"15:04") + " " + l.algiersTime},
		[2]string{l.method, valueOr(l.methodName(r.Method))},
	)
	if r.Reference != "" {
		rows = append(rows, [2]string{l.reference, r.Reference})
	}
	rows = append(rows, [2]string{l.balance, money(r.BalanceAfter, l)})

	labelW := cw * 0.36
	valueX, valueW := m+labelW+8, cw-labelW-8
	for i, row := range rows {
		ll := p.layout(row[0], textStyle{size: 8.5, color: muted}, labelW, 2)
		vl := p.layout(row[1], textStyle{size: 10, color: ink}, valueW, 2)
		rowH := max(height(ll), height(vl))
		top := p.y + 3
		p.draw(ll, m, labelW, top+(lineHeight(10)-lineHeight(8.5))/2, alignStart)
		p.draw(vl, valueX, valueW, top, alignStart)
		p.y += rowH + 4
		if i < len(rows)-1 {
			p.c.hline(m, w-m, h-p.y+1.5, 0.4, rule)
		}
	}
	p.y += 8

	// Verification: the code, large, and the QR code of the address.
	{
		qrSize := 80.0
		pad := 8.0
		textW := cw - 2*pad
		hasQR := r.VerifyURL != ""
		if hasQR {
			textW -= qrSize + pad
		}
		label := p.layout(l.verification, textStyle{size: 9, color: muted}, textW, 1)
		code := p.layoutLTR(r.VerificationCode, textStyle{bold: true, size: 21, color: accent}, textW, 1)
		var hint, url []line
		if hasQR {
			hint = p.layout(l.verifyHint, textStyle{size: 7.5, color: muted}, textW, 2)
			url = p.layoutLTR(r.VerifyURL, textStyle{size: 7.5, color: ink}, textW, 3)
		} else {
			hint = p.layout(l.verifyHintNoQR, textStyle{size: 7.5, color: muted}, textW, 2)
		}
		textH := height(label) + height(code) + 4 + height(hint) + height(url)
		boxH := 2*pad + textH
		if hasQR {
			boxH = max(boxH, 2*pad+qrSize)
		}
		top := p.y
		p.c.strokeRect(m, h-top-boxH, cw, boxH, 1.2, accent)
		y := top + pad + (boxH-2*pad-textH)/2
		y += p.draw(label, m+pad, textW, y, alignStart)
		y += p.draw(code, m+pad, textW, y, alignStart) + 4
		y += p.draw(hint, m+pad, textW, y, alignStart)
		p.draw(url, m+pad, textW, y, alignStart)
		if hasQR {
			qx := p.left(m+cw-pad-qrSize, qrSize)
			if err := p.c.qr(r.VerifyURL, qx, h-top-pad-qrSize-(boxH-2*pad-qrSize)/2, qrSize); err != nil {
				return drawn{}, err
			}
		}
		p.y += boxH
	}

	// Footer, at the bottom of the page.
	footer := p.layout(l.footer, textStyle{size: 7.5, color: muted}, cw, 2)
	footerTop := h - m + 12 - height(footer)
	p.c.hline(m, w-m, h-footerTop+6, 0.4, rule)
	p.draw(footer, m, cw, footerTop, alignCenter)

	return drawn{c: p.c, overflow: p.y > footerTop-6}, nil
}

// drawPhysical draws lines flush against the left (right=false) or right
// edge of the physical box (x, w), whatever the page's direction.
func (p *pageLayout) drawPhysical(lines []line, x, w, top float64, right bool) {
	y := top
	for _, l := range lines {
		lx := x
		if right {
			lx = x + w - l.width
		}
		p.c.text(l, lx, p.h-(y+l.style.size*1.05))
		y += lineHeight(l.style.size)
	}
}

// drawWatermark writes the bilingual "reversed" stamp diagonally across the
// page, in a light red behind everything else. It is drawn as outlines, not
// text, so that it does not break up the page's extracted text; the stamp
// above the amount carries the words.
func (p *pageLayout) drawWatermark() {
	st := textStyle{bold: true, size: 100, color: watermark}
	lines := p.layoutLTR(reversedStamp, st, 0, 1)
	if len(lines) == 0 {
		return
	}
	// Fit the stamp to 62% of the page's diagonal, so that its height stays
	// on the page too.
	diag := p.w*p.w + p.h*p.h
	target := 0.62 * math.Sqrt(diag)
	st.size = 100 * target / lines[0].width
	lines = p.layoutLTR(reversedStamp, st, 0, 1)
	l := lines[0]
	cos, sin := p.w/math.Sqrt(diag), p.h/math.Sqrt(diag)
	p.c.printf("q %s %s %s %s %s %s cm\n", num(cos), num(sin), num(-sin), num(cos), num(p.w/2), num(p.h/2))
	p.c.outline(l, -l.width/2, -st.size*0.35)
	p.c.printf("Q\n")
}

// height is the height of laid-out lines.
func height(lines []line) float64 {
	var h float64
	for _, l := range lines {
		h += lineHeight(l.style.size)
	}
	return h
}
