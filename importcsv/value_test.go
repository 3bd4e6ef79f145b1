package importcsv

import (
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want int64
	}{
		{"12500", 1250000},
		{"0", 0},
		{"7", 700},
		{"12 500,50", 1250050},
		{"12.500,50", 1250050},
		{"12,500.50", 1250050},
		{"12500.5", 1250050},
		{"12500,5", 1250050},
		{"12500.05", 1250005},
		{"12 500 DA", 1250000},
		{"12500DA", 1250000},
		{"12 500 D.A.", 1250000},
		{"12500 DZD", 1250000},
		{"DZD 12500", 1250000},
		{"12 500,50 DA", 1250050},
		{"12 500 دج", 1250000},
		{"12 500 د.ج", 1250000},
		{"12500 dinars", 1250000},
		{"1.250.000", 125000000},
		{"1,250,000", 125000000},
		{"1 250 000", 125000000},
		{"1.250.000,00", 125000000},
		{"1,250,000.00", 125000000},
		{"1 250 000,75", 125000075},
		{"12\u00a0500,50", 1250050}, // no-break space, as French Excel writes
		{"12\u202f500,50", 1250050}, // narrow no-break space
		{"12  500", 1250000},        // a doubled space is one separator
		{"١٢٥٠٠", 1250000},
		{"١٢٬٥٠٠٫٥٠", 1250050}, // Arabic thousands and decimal separators
		{"١٢ ٥٠٠,٥٠ دج", 1250050},
		{"۱۲۵۰۰", 1250000}, // Persian digits
		{"12500.0000", 1250000},
		{"12.500,000", 1250000},
		{"0,50", 50},
		{"0012500", 1250000},
		{"10000000000000", MaxAmount},
		{"10 000 000 000 000,00 DA", MaxAmount},
	}
	for _, c := range ok {
		got, err := parseAmount(c.in)
		if err != nil {
			t.Errorf("parseAmount(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("parseAmount(%q) = %d, want %d", c.in, got, c.want)
		}
		// The canonical form reads back to the same amount.
		if again, err := parseAmount(formatAmount(got)); err != nil || again != got {
			t.Errorf("parseAmount(formatAmount(%d)) = %d, %v", got, again, err)
		}
	}

	bad := []struct{ in, reason string }{
		{"-12500", "cannot be negative"},
		{"−12500", "cannot be negative"},
		{"(12500)", "cannot be negative"},
		{"12500-", "cannot be negative"},
		{"+12500", "without a + sign"},
		{"12.500", "ambiguous"},
		{"12,500", "ambiguous"},
		{"1,000", "ambiguous"},
		{"12500.555", "ambiguous"},
		{"12500.5555", "more than 2 decimals"},
		{"12.500,555", "more than 2 decimals"},
		{"12500,", "ends with a decimal separator"},
		{",50", "must start with a digit"},
		{"12 50", "grouped by three"},
		{"1.2.3", "grouped by three"},
		{"1234.567,00", "grouped by three"},
		{"1 250.000,00", "mixes thousands separators"},
		{"1.250,00,00", "two decimal separators"},
		{"12٫50٫00", "two decimal separators"},
		{"12,50.5,0", "two decimal separators"},
		{"12,50 5", "has separators after the decimal separator"},
		{"douze mille", "is not an amount"},
		{"12500 €", "only amounts in dinars"},
		{"12500 EUR", "only amounts in dinars"},
		{"$100", "only amounts in dinars"},
		{"1.25E+06", "scientific notation"},
		{"DA", "no amount"},
		{"100000000000000", "must be at most 10000000000000.00 DZD"},
		{"10000000000000.01", "must be at most"},
		{"99999999999999999999999", "must be at most"},
		{"12#500", "is not an amount"},
	}
	for _, c := range bad {
		got, err := parseAmount(c.in)
		if err == nil {
			t.Errorf("parseAmount(%q) = %d, want an error containing %q", c.in, got, c.reason)
			continue
		}
		if !strings.Contains(err.Error(), c.reason) {
			t.Errorf("parseAmount(%q): %q does not contain %q", c.in, err, c.reason)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, want string }{
		{"2026-03-31", "2026-03-31"},
		{"31/03/2026", "2026-03-31"},
		{"31-03-2026", "2026-03-31"},
		{"31.03.2026", "2026-03-31"},
		{"1/3/2026", "2026-03-01"},
		{"2026/03/31", "2026-03-31"},
		{"2026-3-1", "2026-03-01"},
		{"29/02/2028", "2028-02-29"},
		{"31/03/2026 00:00", "2026-03-31"},
		{"31/03/2026 00:00:00", "2026-03-31"},
		{"2026-03-31T00:00:00Z", "2026-03-31"},
		{"٣١/٠٣/٢٠٢٦", "2026-03-31"},
		{"۳۱/۰۳/۲۰۲۶", "2026-03-31"},
	}
	for _, c := range ok {
		got, err := parseDate(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseDate(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, reason string }{
		{"31/02/2026", "February 2026 has 28 days"},
		{"29/02/2026", "February 2026 has 28 days"},
		{"31/04/2026", "April 2026 has 30 days"},
		{"00/03/2026", "March 2026 has 31 days"},
		{"03/31/2026", "dates are written day first"},
		{"13/13/2026", "month must be between 1 and 12"},
		{"31/03/26", "year must have 4 digits"},
		{"31/03/1850", "year must be between 1900 and 2199"},
		{"31/03-2026", "is not a date"},
		{"31 mars 2026", "is not a date"},
		{"46112", "spreadsheet date number"},
		{"20260331", "is not a date"},
		{"31/03/2026 14:30", "without a time of day"},
		{"2026-03-31T10:00:00", "without a time of day"},
		{"2026-031-01", "is not a date"},
		{"/03/2026", "is not a date"},
		{"tomorrow", "is not a date"},
	}
	for _, c := range bad {
		got, err := parseDate(c.in)
		if err == nil {
			t.Errorf("parseDate(%q) = %q, want an error containing %q", c.in, got, c.reason)
			continue
		}
		if !strings.Contains(err.Error(), c.reason) {
			t.Errorf("parseDate(%q): %q does not contain %q", c.in, err, c.reason)
		}
	}
}

func TestParseWilaya(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"16": "16", "016": "16", "١٦": "16", "16.0": "16", "16 - Alger": "16", "16-Alger": "16", "16 الجزائر": "16",
		"Alger": "16", "ALGER": "16", "الجزائر": "16", "Algiers": "16", "Béjaïa": "6", "Bejaia": "6",
		"Tizi-Ouzou": "15", "tizi ouzou": "15", "M'Sila": "28", "Msila": "28", "سطيف": "19", "69": "69", "1": "1",
	}
	for in, want := range ok {
		got, err := parseWilaya(in)
		if err != nil || got != want {
			t.Errorf("parseWilaya(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"0":          "between 1 and 69",
		"70":         "between 1 and 69",
		"1600":       "between 1 and 69",
		"16 - Oran":  "wilaya 16 is Alger",
		"Atlantis":   "is not a wilaya",
		"W16":        "is not a wilaya",
		"99 - Alger": "between 1 and 69",
	}
	for in, reason := range bad {
		got, err := parseWilaya(in)
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("parseWilaya(%q) = %q, %v; want an error containing %q", in, got, err, reason)
		}
	}
}

func TestParsePhones(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"0550 12 34 56":                 "+213550123456",
		"+213 550 12 34 56":             "+213550123456",
		"00213550123456":                "+213550123456",
		"550123456":                     "+213550123456", // the 0 a spreadsheet ate
		"٠٥٥٠١٢٣٤٥٦":                    "+213550123456",
		"0550123456 / 0661234567":       "+213550123456/+213661234567",
		"0550123456,0661234567":         "+213550123456/+213661234567",
		"0550123456; 0770987654/":       "+213550123456/+213770987654",
		"+213550123456/+213661234567":   "+213550123456/+213661234567",
		"0550-12-34-56 | 0661.23.45.67": "+213550123456/+213661234567",
	}
	for in, want := range ok {
		got, err := parsePhones(in)
		if err != nil || got != want {
			t.Errorf("parsePhones(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"021 12 34 56":             "is a landline number",
		"0550123456 / 021123456":   "number 2: is a landline number",
		"0550123456/0550 12 34 56": "number 2 is the same as number 1",
		"0550123456/0550123457/0550123458/0550123459/0550123460/0550123461": "at most 5 phone numbers",
		"5.50123E+08":       "scientific notation",
		"/":                 "contains no phone number",
		"+33 6 12 34 56 78": "only Algerian numbers",
		"055012345":         "a mobile number has 10 digits",
		"appeler le soir":   "cannot contain letters",
	}
	for in, reason := range bad {
		got, err := parsePhones(in)
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("parsePhones(%q) = %q, %v; want an error containing %q", in, got, err, reason)
		}
	}
}

func TestClosedLists(t *testing.T) {
	t.Parallel()
	cases := []struct {
		parse func(string) (string, error)
		in    string
		want  string // "" for an error
	}{
		{parseKind, "person", "person"},
		{parseKind, "Personne physique", "person"},
		{parseKind, "PARTICULIER", "person"},
		{parseKind, "شخص طبيعي", "person"},
		{parseKind, "company", "company"},
		{parseKind, "Société", "company"},
		{parseKind, "personne morale", "company"},
		{parseKind, "شركة", "company"},
		{parseKind, "association", ""},
		{parseLanguage, "ar", "ar"},
		{parseLanguage, "Arabe", "ar"},
		{parseLanguage, "العربية", "ar"},
		{parseLanguage, "Français", "fr"},
		{parseLanguage, "FR", "fr"},
		{parseLanguage, "english", "en"},
		{parseLanguage, "الإنجليزية", "en"},
		{parseLanguage, "de", ""},
		{parseCurrency, "DZD", "DZD"},
		{parseCurrency, "da", "DZD"},
		{parseCurrency, "D.A.", "DZD"},
		{parseCurrency, "دج", "DZD"},
		{parseCurrency, "د.ج", "DZD"},
		{parseCurrency, "Dinar algérien", "DZD"},
		{parseCurrency, "EUR", ""},
		{parseType, "commercial", "commercial"},
		{parseType, "Facture", "commercial"},
		{parseType, "FACTURE IMPAYÉE", "commercial"},
		{parseType, "loyer", "rent"},
		{parseType, "إيجار", "rent"},
		{parseType, "Prêt", "loan"},
		{parseType, "crédit", "loan"},
		{parseType, "قرض", "loan"},
		{parseType, "Chèque sans provision", "cheque"},
		{parseType, "شيك بدون رصيد", "cheque"},
		{parseType, "Électricité", "utility"},
		{parseType, "personnel", "personal"},
		{parseType, "Autre", "other"},
		{parseType, "other", "other"},
		{parseType, "leasing", ""},
	}
	for _, c := range cases {
		got, err := c.parse(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%q: got %q, want an error", c.in, got)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestSpreadsheetNumber(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1.23457E+17", "1,23457E+17", "1E+17", "٢E+17"} {
		if !looksScientific(asciiDigits(s)) {
			t.Errorf("looksScientific(%q) = false", s)
		}
	}
	for _, s := range []string{"123457", "E+17", "1.2.3E+1", "12E", "Ezz"} {
		if looksScientific(s) {
			t.Errorf("looksScientific(%q) = true", s)
		}
	}
}

func TestMultiline(t *testing.T) {
	t.Parallel()
	check := multiline(15)
	if got, err := check(" ligne 1\r\nligne\t2\r"); err != nil || got != "ligne 1\nligne\t2" {
		t.Errorf("got %q, %v", got, err)
	}
	for in, reason := range map[string]string{
		"abcdefghijklmnop": "at most 15 characters",
		"a\x00b":           "control or invisible",
		"a\u202eb":         "control or invisible",
		"\xff":             "UTF-8",
	} {
		if _, err := check(in); err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("%q: %v, want %q", in, err, reason)
		}
	}
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	check := plainText(10)
	if got, err := check("  a \n b\t c "); err != nil || got != "a b c" {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := check("e\u0301"); err != nil || got != "é" {
		t.Errorf("NFC: got %q, %v", got, err)
	}
	for in, reason := range map[string]string{
		"abcdefghijk": "at most 10 characters",
		"a\x00b":      "control or invisible",
		"a\u202eb":    "control or invisible",
		"\xff":        "UTF-8",
		"ab\u200bcd":  "control or invisible",
		"a\u0007":     "control or invisible",
		"abcd efghi ": "",
	} {
		_, err := check(in)
		switch {
		case reason == "" && err != nil:
			t.Errorf("%q: %v", in, err)
		case reason != "" && (err == nil || !strings.Contains(err.Error(), reason)):
			t.Errorf("%q: %v, want %q", in, err, reason)
		}
	}
}
