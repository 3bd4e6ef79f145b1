package importcsv

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/adc-dz/tahsil/collection"
)

// invalid is a value's problem, with the domain's error type so that
// reasons read the same in the API and in an import report.
func invalid(reason string) error { return &collection.ValueError{Reason: reason} }

// asciiDigits reads Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹)
// digits as ASCII ones.
func asciiDigits(s string) string {
	if !strings.ContainsFunc(s, isArabicDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		}
		return r
	}, s)
}

func isArabicDigit(r rune) bool { return r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaxAmount is the largest amount accepted, in centimes: ten thousand
// billion dinars, the domain's bound on every amount of a debt and on its
// total (collection.MaxDebtAmount in the debt aggregate).
const MaxAmount int64 = 1_000_000_000_000_000

// amountUnits are the ways of writing "dinars" around an amount, in
// lower case, longest first.
var amountUnits = []string{
	"dinars algériens", "dinars algeriens", "dinar algérien", "dinar algerien", "dinars", "dinar",
	"dzd", "d.a.", "d.a", "da",
	"دينار جزائري", "دينار", "د.ج.", "د.ج", "د ج", "دج",
}

// stripUnit removes a dinar unit before or after the amount.
func stripUnit(s string) string {
	lower := strings.ToLower(s)
	if len(lower) != len(s) {
		return s // a rune changed size; no unit has such a rune
	}
	for _, u := range amountUnits {
		if strings.HasSuffix(lower, u) {
			return trim(s[:len(s)-len(u)])
		}
		if strings.HasPrefix(lower, u) {
			return trim(s[len(u):])
		}
	}
	return s
}

const amountExample = "write it like 12500, 12 500,50 or 12500.50"

// parseAmount reads an amount of dinars as people write it and returns
// it in centimes, exactly. The decimal separator is a comma or a point:
// with both, the last one; alone, it is decimal when 1 or 2 digits follow
// it, a thousands separator when it appears several times, and ambiguous
// when it appears once followed by 3 digits (12.500 is 12 500 DA in
// French and 12,5 DA to a program that writes 3 decimals: money is not
// guessed). Thousands are grouped by three with spaces (any Unicode
// space), points, commas or the Arabic separator ٬; ٫ is the Arabic
// decimal separator. A unit (DA, DZD, دج) may precede or follow.
func parseAmount(s string) (int64, error) {
	t := stripUnit(asciiDigits(trim(s)))
	if t == "" {
		return 0, invalid("has a currency but no amount")
	}
	switch r, _ := utf8.DecodeRuneInString(t); {
	case r == '-' || r == '−' || r == '–' || r == '(' && strings.HasSuffix(t, ")") || strings.HasSuffix(t, "-"):
		return 0, invalid("cannot be negative")
	case r == '+':
		return 0, invalid("must be written without a + sign")
	}
	upper := strings.ToUpper(t)
	if strings.ContainsAny(t, "€$£") || strings.Contains(upper, "EUR") || strings.Contains(upper, "USD") {
		return 0, invalid("only amounts in dinars (DZD) are accepted")
	}
	if looksScientific(t) {
		return 0, invalid("is in scientific notation: format the column as a number with 2 decimals in the spreadsheet")
	}

	// b keeps digits, '.', ',', 'D' (the Arabic decimal separator), 'G'
	// (an unambiguous thousands separator) and ' ' (spaces, as one).
	var b []byte
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			b = append(b, byte(r))
		case r == '٫':
			b = append(b, 'D')
		case r == '٬' || r == '\'' || r == '’':
			b = append(b, 'G')
		case unicode.IsSpace(r):
			if len(b) == 0 || b[len(b)-1] != ' ' {
				b = append(b, ' ')
			}
		default:
			return 0, invalid("is not an amount: " + amountExample)
		}
	}

	dots, commas := bytes.Count(b, []byte{'.'}), bytes.Count(b, []byte{','})
	var dec byte
	switch n := bytes.Count(b, []byte{'D'}); {
	case n > 1:
		return 0, invalid("has two decimal separators: " + amountExample)
	case n == 1:
		dec = 'D'
	case dots > 0 && commas > 0:
		dec = b[max(bytes.LastIndexByte(b, '.'), bytes.LastIndexByte(b, ','))]
		if bytes.Count(b, []byte{dec}) > 1 {
			return 0, invalid("has two decimal separators: " + amountExample)
		}
	case dots+commas == 1:
		dec = '.'
		if commas == 1 {
			dec = ','
		}
		if after := len(b) - bytes.IndexByte(b, dec) - 1; after == 3 {
			return 0, invalid(`is ambiguous: a single "." or "," followed by 3 digits may separate thousands or decimals; write 12500, 12 500 or 12500,00`)
		}
	}

	intPart, frac := b, []byte(nil)
	if dec != 0 {
		i := bytes.IndexByte(b, dec)
		intPart, frac = b[:i], b[i+1:]
		if len(frac) == 0 {
			return 0, invalid("ends with a decimal separator: " + amountExample)
		}
		if !isDigits(string(frac)) {
			return 0, invalid("has separators after the decimal separator: " + amountExample)
		}
	}
	if len(intPart) == 0 || intPart[0] < '0' || intPart[0] > '9' {
		return 0, invalid("must start with a digit (0,50 rather than ,50): " + amountExample)
	}
	digits, err := ungroup(intPart)
	if err != nil {
		return 0, err
	}
	if len(frac) > 2 {
		if strings.Trim(string(frac[2:]), "0") != "" {
			return 0, invalid("has more than 2 decimals: amounts are in dinars and centimes")
		}
		frac = frac[:2]
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 14 {
		return 0, invalid(tooLarge)
	}
	var units int64
	if digits != "" {
		units, _ = strconv.ParseInt(digits, 10, 64)
	}
	var cents int64
	if len(frac) > 0 {
		cents, _ = strconv.ParseInt(string(frac), 10, 64)
		if len(frac) == 1 {
			cents *= 10
		}
	}
	n := units*100 + cents
	if n > MaxAmount {
		return 0, invalid(tooLarge)
	}
	return n, nil
}

var tooLarge = "must be at most " + formatAmount(MaxAmount) + " DZD"

// ungroup checks the thousands grouping of an integer part (one kind of
// separator, groups of three after the first) and returns its digits.
func ungroup(p []byte) (string, error) {
	var sep byte
	for _, c := range p {
		if c >= '0' && c <= '9' {
			continue
		}
		if sep != 0 && c != sep {
			return "", invalid("mixes thousands separators: " + amountExample)
		}
		sep = c
	}
	if sep == 0 {
		return string(p), nil
	}
	groups := bytes.Split(p, []byte{sep})
	for i, g := range groups {
		if !isDigits(string(g)) || i == 0 && len(g) > 3 || i > 0 && len(g) != 3 {
			return "", invalid("digits must be grouped by three (12 500 or 1.250.000): " + amountExample)
		}
	}
	return string(bytes.Join(groups, nil)), nil
}

// formatAmount writes centimes as the canonical dinar amount "12500.50".
func formatAmount(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// looksScientific tells a number that a spreadsheet shows as 1.23E+17.
func looksScientific(s string) bool {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i == len(s)-1 {
		return false
	}
	mant, exp := s[:i], strings.TrimLeft(s[i+1:], "+-")
	mant = strings.Replace(strings.Replace(mant, ",", "", 1), ".", "", 1)
	return isDigits(mant) && isDigits(exp)
}

// spreadsheetNumber runs an identifier's check, first catching the
// identifiers a spreadsheet turned into numbers in scientific notation.
func spreadsheetNumber(s, what string, check func(string) (string, error)) (string, error) {
	if looksScientific(asciiDigits(s)) {
		return "", invalid("is shown in scientific notation by the spreadsheet, which loses digits: format the column as text and type the " + what + " again")
	}
	return check(s)
}

// Dates are plausible within these years.
const (
	minYear = 1900
	maxYear = 2199
)

const dateExample = "write it 31/03/2026 or 2026-03-31"

// parseDate reads a civil date, day first as in Algeria (31/03/2026,
// 31-03-2026, 31.03.2026) or ISO (2026-03-31, also 2026/03/31), and
// returns it as YYYY-MM-DD. A midnight time, as spreadsheets add, is
// ignored; any other time is refused.
func parseDate(s string) (string, error) {
	t := asciiDigits(trim(s))
	for _, midnight := range []string{"T00:00:00Z", "T00:00:00", "T00:00", " 00:00:00", " 00:00"} {
		if strings.HasSuffix(t, midnight) {
			t = strings.TrimSpace(strings.TrimSuffix(t, midnight))
			break
		}
	}
	if strings.Contains(t, ":") {
		return "", invalid("must be a date without a time of day: " + dateExample)
	}
	if isDigits(t) {
		if len(t) == 5 {
			return "", invalid("is a spreadsheet date number: format the column as a date (31/03/2026) before saving")
		}
		return "", invalid("is not a date: " + dateExample)
	}
	sep := strings.IndexAny(t, "-/.")
	if sep < 0 {
		return "", invalid("is not a date: " + dateExample)
	}
	parts := strings.Split(t, t[sep:sep+1])
	if len(parts) != 3 || !isDigits(parts[0]) || !isDigits(parts[1]) || !isDigits(parts[2]) {
		return "", invalid("is not a date: " + dateExample)
	}
	var ys, ms, ds string
	switch {
	case len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2:
		ys, ms, ds = parts[0], parts[1], parts[2]
	case len(parts[2]) == 4 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		ds, ms, ys = parts[0], parts[1], parts[2]
	case len(parts[2]) == 2 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		return "", invalid("the year must have 4 digits: " + dateExample)
	default:
		return "", invalid("is not a date: " + dateExample)
	}
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	switch {
	case y < minYear || y > maxYear:
		return "", invalid(fmt.Sprintf("the year must be between %d and %d", minYear, maxYear))
	case m < 1 || m > 12:
		if m > 12 && d >= 1 && d <= 12 {
			return "", invalid("the month must be between 1 and 12: dates are written day first (31/03/2026)")
		}
		return "", invalid("the month must be between 1 and 12")
	case d < 1 || d > daysIn(y, time.Month(m)):
		return "", invalid(fmt.Sprintf("is not a real date: %s %d has %d days", time.Month(m), y, daysIn(y, time.Month(m))))
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// words maps folded spellings to a code, for the short closed lists.
func words(table map[string][]string) func() map[string]string {
	return sync.OnceValue(func() map[string]string {
		idx := map[string]string{}
		for code, ws := range table {
			idx[foldHeader(code)] = code
			for _, w := range ws {
				idx[foldHeader(w)] = code
			}
		}
		return idx
	})
}

var currencyWords = words(map[string][]string{
	Currency: {"DA", "D.A.", "dinar", "dinars", "dinar algérien", "dinars algériens", "دج", "د.ج", "دينار", "دينار جزائري"},
})

// parseCurrency accepts the dinar in its usual spellings.
func parseCurrency(s string) (string, error) {
	if c, ok := currencyWords()[foldHeader(s)]; ok {
		return c, nil
	}
	return "", invalid("must be DZD: debts are kept in Algerian dinars")
}

// Debt types, as the domain names them: what the debt arises from. The
// list mirrors the debt aggregate's DebtType constants.
var typeWords = words(map[string][]string{
	"commercial": {
		"commerciale", "facture", "factures", "facture impayée", "créance commerciale", "vente", "invoice", "trade",
		"تجاري", "تجارية", "فاتورة",
	},
	"personal": {"personnel", "personnelle", "dette personnelle", "personal debt", "شخصي", "شخصية"},
	"utility": {
		"utilities", "électricité", "eau", "gaz", "électricité et gaz", "téléphonie", "internet", "abonnement",
		"service public", "كهرباء", "ماء", "غاز",
	},
	"loan":   {"prêt", "crédit", "emprunt", "microcrédit", "credit", "قرض", "سلفة"},
	"rent":   {"loyer", "loyers", "location", "bail", "إيجار", "كراء"},
	"cheque": {"chèque", "chèque impayé", "chèque sans provision", "check", "bounced cheque", "شيك", "صك", "شيك بدون رصيد", "صك بدون رصيد"},
	"other":  {"autre", "autres", "divers", "أخرى"},
})

// parseType reads a debt type in the domain's codes or in French,
// English or Arabic words.
func parseType(s string) (string, error) {
	if c, ok := typeWords()[foldHeader(s)]; ok {
		return c, nil
	}
	return "", invalid("must be one of commercial, personal, utility, loan, rent, cheque, other (or facture, loyer, prêt, chèque, autre…)")
}

var kindWords = words(map[string][]string{
	collection.DebtorPerson: {
		"personne", "personne physique", "physique", "particulier", "individu", "individual", "PP",
		"شخص", "شخص طبيعي", "طبيعي", "فرد",
	},
	collection.DebtorCompany: {
		"entreprise", "société", "personne morale", "morale", "business", "organisation", "organization", "PM",
		"شركة", "مؤسسة", "شخص معنوي", "معنوي",
	},
})

func parseKind(s string) (string, error) {
	if k, ok := kindWords()[foldHeader(s)]; ok {
		return k, nil
	}
	return "", invalid("must be person or company (personne or entreprise)")
}

var languageWords = words(map[string][]string{
	"ar": {"arabe", "arabic", "العربية", "عربي", "عربية"},
	"fr": {"français", "french", "fr-FR", "fr-DZ", "الفرنسية", "فرنسي", "فرنسية"},
	"en": {"anglais", "english", "en-GB", "en-US", "الإنجليزية", "الانجليزية", "إنجليزي", "انجليزي"},
})

func parseLanguage(s string) (string, error) {
	if l, ok := languageWords()[foldHeader(s)]; ok {
		return l, nil
	}
	return "", invalid("must be ar, fr or en")
}

// phoneSeparators split the numbers of a debtor written in one cell.
const phoneSeparators = "/,;|\n"

// parsePhones normalises one or several mobile numbers and returns them
// in E.164 joined by "/". Empty pieces ("0550…/") are ignored.
func parsePhones(s string) (string, error) {
	pieces := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(phoneSeparators, r) })
	var raw []string
	for _, p := range pieces {
		if p = trim(p); p != "" {
			raw = append(raw, p)
		}
	}
	if len(raw) == 0 {
		return "", invalid("contains no phone number")
	}
	if len(raw) > collection.MaxPhones {
		return "", invalid(fmt.Sprintf("at most %d phone numbers", collection.MaxPhones))
	}
	out := make([]string, 0, len(raw))
	for i, p := range raw {
		n, err := spreadsheetNumber(p, "phone number", collection.NormalizeMobile)
		if err != nil {
			if len(raw) == 1 {
				return "", err
			}
			return "", invalid(fmt.Sprintf("number %d: %s", i+1, reason(err)))
		}
		for j, prev := range out {
			if prev == n {
				return "", invalid(fmt.Sprintf("number %d is the same as number %d", i+1, j+1))
			}
		}
		out = append(out, n)
	}
	return strings.Join(out, "/"), nil
}

// splitPhones splits the canonical form parsePhones returns.
func splitPhones(s string) []string { return strings.Split(s, "/") }

// wilayaNames maps folded wilaya names, French and Arabic, to codes,
// with the other names in use ("Algiers", "Tamanghasset", "BBA").
var wilayaNames = sync.OnceValue(func() map[string]int {
	idx := map[string]int{"algiers": 16, "eldjazair": 16, "tamanghasset": 11, "bba": 34, "sba": 22}
	for _, w := range collection.Wilayas() {
		idx[foldHeader(w.NameFR)] = w.Code
		idx[foldHeader(w.NameAR)] = w.Code
	}
	return idx
})

// parseWilaya reads a wilaya as a code (16, 016), a code and a name
// (16 - Alger, which must agree) or a name in French or Arabic, and
// returns its code.
func parseWilaya(s string) (string, error) {
	t := asciiDigits(trim(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 {
		code, _ := strconv.Atoi(t[:min(i, 4)])
		w, ok := collection.WilayaByCode(code)
		if i > 3 || !ok {
			return "", invalid(fmt.Sprintf("the wilaya code must be between 1 and %d", collection.MaxWilayaCode()))
		}
		rest := strings.Trim(t[i:], " -–—:./,")
		if rest != "" && strings.Trim(rest, "0") != "" { // "16.0" from a spreadsheet is 16
			if c, ok := wilayaByName(rest); !ok || c != code {
				return "", invalid(fmt.Sprintf("the code and the name disagree: wilaya %d is %s (%s)", code, w.NameFR, w.NameAR))
			}
		}
		return strconv.Itoa(code), nil
	}
	if c, ok := wilayaByName(t); ok {
		return strconv.Itoa(c), nil
	}
	return "", invalid("is not a wilaya: give its code (16) or its name (Alger, الجزائر)")
}

func wilayaByName(name string) (int, bool) {
	c, ok := wilayaNames()[foldHeader(name)]
	return c, ok
}

// plainText returns a check for free text of at most max characters:
// NFC, whitespace (line breaks included) collapsed to single spaces, no
// control or invisible formatting characters (a bidi override reorders
// what staff read). The reasons are the domain's.
func plainText(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if !utf8.ValidString(s) {
			return "", invalid("is not valid UTF-8 text")
		}
		s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
		if n := utf8.RuneCountInString(s); n > max {
			return "", invalid(fmt.Sprintf("is too long (at most %d characters)", max))
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return "", invalid("contains control or invisible characters")
			}
		}
		return s, nil
	}
}

// multiline returns a check for free text of at most max characters that
// keeps its line breaks, as the domain does for a debt's description:
// NFC, trimmed, CRLF and CR read as LF; tabs allowed, other control and
// invisible formatting characters refused.
func multiline(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if !utf8.ValidString(s) {
			return "", invalid("is not valid UTF-8 text")
		}
		s = strings.TrimSpace(norm.NFC.String(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)))
		if n := utf8.RuneCountInString(s); n > max {
			return "", invalid(fmt.Sprintf("is too long (at most %d characters)", max))
		}
		for _, r := range s {
			if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				return "", invalid("contains control or invisible characters")
			}
		}
		return s, nil
	}
}

// validateRC is the domain's check of an RC number: free text, NFC,
// spaces collapsed, at most collection.MaxRCLength characters.
func validateRC(s string) (string, error) {
	return plainText(collection.MaxRCLength)(collection.NormalizeRC(s))
}
