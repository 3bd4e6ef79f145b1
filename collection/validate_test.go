package collection_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

// checkValue runs one normaliser case: want is the normalised value, or
// wantErr a fragment of the reason.
func checkValue(t *testing.T, name string, fn func(string) (string, error), in, want, wantErr string) {
	t.Helper()
	got, err := fn(in)
	if wantErr != "" {
		if err == nil {
			t.Errorf("%s(%q) = %q, want an error containing %q", name, in, got, wantErr)
			return
		}
		var ve *collection.ValueError
		if !errors.As(err, &ve) {
			t.Errorf("%s(%q): error %v is not a *ValueError", name, in, err)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q): reason %q does not contain %q", name, in, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Errorf("%s(%q): unexpected error %v", name, in, err)
		return
	}
	if got != want {
		t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
	}
	// Normalised values are fixed points: stored data revalidates as is.
	again, err := fn(got)
	if err != nil || again != got {
		t.Errorf("%s(%q) = %q, %v: not idempotent", name, got, again, err)
	}
}

func TestNormalizeMobile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"0550 12 34 56", "+213550123456", ""},
		{"0550-123-456", "+213550123456", ""},
		{"0550.12.34.56", "+213550123456", ""},
		{"(0550) 12-34-56", "+213550123456", ""},
		{"+213550123456", "+213550123456", ""},
		{"+213 550 12 34 56", "+213550123456", ""},
		{"+213 (0) 550 12 34 56", "+213550123456", ""},
		{"00213 550 12 34 56", "+213550123456", ""},
		{"00213550123456", "+213550123456", ""},
		{"213550123456", "+213550123456", ""},
		{"0661234567", "+213661234567", ""},
		{"0771234567", "+213771234567", ""},
		{"  0550123456\t", "+213550123456", ""},
		{"٠٥٥٠١٢٣٤٥٦", "+213550123456", ""},
		{"550123456", "+213550123456", ""}, // a spreadsheet ate the 0
		{"0550 12 34 56", "+213550123456", ""},
		{"0550–12–34–56", "+213550123456", ""},
		{"021 12 34 56", "", "landline"},
		{"+21321123456", "", "landline"},
		{"038 12 34 56", "", "landline"},
		{"049 12 34 56", "", "landline"},
		{"055012345", "", "10 digits"},
		{"05501234567", "", "10 digits"},
		{"+2135501234", "", "10 digits"},
		{"0850123456", "", "not an Algerian"},
		{"0150123456", "", "not an Algerian"},
		{"+33612345678", "", "only Algerian"},
		{"0033612345678", "", "only Algerian"},
		{"0550abc456", "", "letters"},
		{"05501234S6", "", "letters"},
		{"0550+123456", "", "+ is allowed only"},
		{"++213550123456", "", "+ is allowed only"},
		{"0550_123456", "", "may contain only"},
		{"", "", "empty"},
		{"   ", "", "empty"},
		{"--", "", "no digits"},
		{"+213", "", "no subscriber"},
		{strings.Repeat("0", 41), "", "too long"},
	} {
		checkValue(t, "NormalizeMobile", collection.NormalizeMobile, tc.in, tc.want, tc.err)
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"021 12 34 56", "+21321123456", ""},
		{"+213 21 12 34 56", "+21321123456", ""},
		{"00213 38 12 34 56", "+21338123456", ""},
		{"21321123456", "+21321123456", ""},
		{"041-12-34-56", "+21341123456", ""},
		{"21 34 56 78", "+21321345678", ""}, // bare landline starting with 213
		{"0550 12 34 56", "+213550123456", ""},
		{"021 12 34 5", "", "landline number has 9 digits"},
		{"021 12 34 567", "", "landline number has 9 digits"},
		{"091 12 34 56", "", "not an Algerian"},
		{"+1 202 555 0100", "", "only Algerian"},
	} {
		checkValue(t, "NormalizePhone", collection.NormalizePhone, tc.in, tc.want, tc.err)
	}
}

func TestPhoneSearchForms(t *testing.T) {
	t.Parallel()
	got := collection.PhoneSearchForms("+213550123456")
	want := []string{"+213550123456", "213550123456", "0550123456"}
	if !slices.Equal(got, want) {
		t.Errorf("PhoneSearchForms = %q, want %q", got, want)
	}
	if got := collection.PhoneSearchForms("+33612345678"); !slices.Equal(got, []string{"+33612345678"}) {
		t.Errorf("foreign number: %q", got)
	}
	if got := collection.PhoneSearchForms(""); got != nil {
		t.Errorf("empty: %q", got)
	}
}

func TestValidateNIN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"109870123456789012", "109870123456789012", ""},
		{"1098 7012 3456 7890 12", "109870123456789012", ""},
		{" 109870123456789012 ", "109870123456789012", ""},
		{"١٠٩٨٧٠١٢٣٤٥٦٧٨٩٠١٢", "109870123456789012", ""},
		{"10987012345678901", "", "exactly 18"},
		{"1098701234567890123", "", "exactly 18"},
		{"10987012345678901A", "", "only digits"},
		{"109-870-123-456-789-012", "", "only digits"},
		{"000000000000000000", "", "placeholder"},
		{"", "", "empty"},
		{strings.Repeat("1", 101), "", "too long"},
	} {
		checkValue(t, "ValidateNIN", collection.ValidateNIN, tc.in, tc.want, tc.err)
	}
}

func TestValidateNIF(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"000116001234567", "000116001234567", ""},
		{"0001 1600 1234 567", "000116001234567", ""},
		{"00011600123456700012", "00011600123456700012", ""},
		{"00011600123456", "", "15 digits"},
		{"0001160012345678", "", "15 digits"},
		{"000116001234567000", "", "15 digits"},
		{"00011600123456X", "", "only digits"},
		{"000000000000000", "", "placeholder"},
	} {
		checkValue(t, "ValidateNIF", collection.ValidateNIF, tc.in, tc.want, tc.err)
	}
}

func TestNormalizeRC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"  16/00-0123456 B 19 ", "16/00-0123456 B 19"},
		{"98  B\t0123456", "98 B 0123456"},
		{"", ""},
	} {
		if got := collection.NormalizeRC(tc.in); got != tc.want {
			t.Errorf("NormalizeRC(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidatePersonName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"Mohamed Benali", "Mohamed Benali", ""},
		{"  Mohamed   Benali ", "Mohamed Benali", ""},
		{"Aït-Ahmed", "Aït-Ahmed", ""},
		{"Ai\u0308t-Ahmed", "Aït-Ahmed", ""}, // NFC composes i + diaeresis
		{"Zoé Lefèvre-Çelik", "Zoé Lefèvre-Çelik", ""},
		{"M'Hamed O’Brien", "M'Hamed O’Brien", ""},
		{"B. Kaci", "B. Kaci", ""},
		{"محمد بن علي", "محمد بن علي", ""},
		{"مُحَمَّد", "مُحَمَّد", ""},
		{"عبد الله", "عبد الله", ""},
		{"محمـــد", "محمـــد", ""},
		{"ﻣﺤﻤﺪ", "ﻣﺤﻤﺪ", ""}, // presentation forms
		{"Mohamed محمد", "Mohamed محمد", ""},
		{"Yaḥya Ɛli", "Yaḥya Ɛli", ""}, // Kabyle Latin
		{"Li", "Li", ""},
		{"A", "", "too short"},
		{"A.", "", "two letters"},
		{"", "", "required"},
		{"   ", "", "required"},
		{"12345", "", "may contain only"},
		{"<script>alert(1)</script>", "", "may contain only"},
		{"Ali\x00", "", "control"},
		{"Ali\nBen", "", "control"},
		{"Ali\u200bBen", "", "invisible"},
		{"Ali\u202eBen", "", "invisible"},
		{"Иван Петров", "", "Arabic or Latin"},
		{"王小明", "", "Arabic or Latin"},
		{"Ali 2", "", "may contain only"},
		{"Ali & Co", "", "may contain only"},
		{"\u0301Ali", "", "must follow a letter"},
		{"Ali \u064e", "", "must follow a letter"},
		{"a\u0301\u0302\u0303\u0304\u0305", "", "too many diacritics"},
		{"\xff\xfe", "", "UTF-8"},
		{strings.Repeat("a", 200), strings.Repeat("a", 200), ""},
		{strings.Repeat("a", 201), "", "too long"},
		{strings.Repeat("ب", 201), "", "too long"},
	} {
		checkValue(t, "ValidatePersonName", collection.ValidatePersonName, tc.in, tc.want, tc.err)
	}
}

func TestValidateCompanyName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"SARL El Baraka", "SARL El Baraka", ""},
		{"Sonelgaz Distribution (Centre)", "Sonelgaz Distribution (Centre)", ""},
		{"E.T.B.T.P.H Benali & Fils", "E.T.B.T.P.H Benali & Fils", ""},
		{"3B Construction", "3B Construction", ""},
		{`SPA "Cevital"`, `SPA "Cevital"`, ""},
		{"مؤسسة «البركة» للتجارة، فرع 2", "مؤسسة «البركة» للتجارة، فرع 2", ""},
		{"3M", "3M", ""},
		{"12345", "", "at least one letter"},
		{"<script>", "", "may contain only"},
		{"Acme; DROP TABLE", "", "may contain only"},
		{"Acme\tCorp", "", "control"},
	} {
		checkValue(t, "ValidateCompanyName", collection.ValidateCompanyName, tc.in, tc.want, tc.err)
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"ali.benali@example.dz", "ali.benali@example.dz", ""},
		{" Ali.Benali@Example.DZ ", "Ali.Benali@example.dz", ""},
		{"contact+adc@mail.example.com", "contact+adc@mail.example.com", ""},
		{"a@xn--mgbh0fb.xn--lgbbat1ad8j", "a@xn--mgbh0fb.xn--lgbbat1ad8j", ""},
		{"Ali <ali@example.dz>", "", "display name"},
		{"<ali@example.dz>", "", "plain address"},
		{`"ali"@example.dz`, "", "plain address"},
		{"ali@example.dz (Ali)", "", "display name"},
		{"ali@", "", "not a valid"},
		{"ali", "", "not a valid"},
		{"ali@@example.dz", "", "not a valid"},
		{"ali@localhost", "", "domain"},
		{"ali@[192.0.2.1]", "", "domain"},
		{"ali@192.0.2.1", "", "domain"},
		{"ali@exa_mple.dz", "", "domain"},
		{"ali@-example.dz", "", "domain"},
		{"ali@example..dz", "", "not a valid"},
		{"عل@example.dz", "", "ASCII"},
		{"ali@مثال.الجزائر", "", "ASCII"},
		{strings.Repeat("a", 65) + "@example.dz", "", "before @"},
		{strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".dz", "", "too long"},
		{"", "", "empty"},
	} {
		checkValue(t, "NormalizeEmail", collection.NormalizeEmail, tc.in, tc.want, tc.err)
	}
}

func TestSearchText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{"BENALI Mohamed"}, "benali mohamed"},
		{[]string{"Sétif", "Béjaïa", "Çà et là", "Cœur"}, "setif bejaia ca et la coeur"},
		{[]string{"M'Hamed O’Brien"}, "mhamed obrien"},
		{[]string{"Aït-Ahmed"}, "ait ahmed"},
		{[]string{"مُحَمَّد"}, "محمد"},
		{[]string{"محمـــد"}, "محمد"},
		{[]string{"أحمد إبراهيم آمنة ٱلله"}, "احمد ابراهيم امنه الله"},
		{[]string{"مصطفى", "فاطمة"}, "مصطفي فاطمه"},
		{[]string{"مؤمن", "رئيس", "عائشة"}, "مومن رييس عايشه"},
		{[]string{"ﻣﺤﻤﺪ"}, "محمد"},
		{[]string{"٠٥٥٠١٢٣٤٥٦", "۱۲۳"}, "0550123456 123"},
		{[]string{"  a \t\n b  "}, "a b"},
		{[]string{"ali.benali@example.dz"}, "ali benali example dz"},
		{[]string{"Ali\u200bBen"}, "aliben"},
		{[]string{"ＡＢＣ"}, "abc"},
		{collection.PhoneSearchForms("+213550123456"), "213550123456 213550123456 0550123456"},
		{nil, ""},
		{[]string{"", "  ", "!!"}, ""},
	} {
		got := collection.SearchText(tc.parts...)
		if got != tc.want {
			t.Errorf("SearchText(%q) = %q, want %q", tc.parts, got, tc.want)
		}
		if again := collection.SearchText(got); again != got {
			t.Errorf("SearchText(%q) = %q: not idempotent", got, again)
		}
	}
}

func TestNormalizeQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ q, want string }{
		{"Benali", "benali"},
		{"  Sétif ", "setif"},
		{"مُحَمَّد", "محمد"},
		{"0550 12 34 56", "0550123456"},
		{"00213 550 12 34 56", "0550123456"},
		{"+213 550 12 34 56", "213550123456"},
		{"٠٥٥٠١٢٣٤٥٦", "0550123456"},
		{"1098 7012 3456", "109870123456"},
		{"0550 12", "055012"},
		{"rue 12", "rue 12"},
		{"", ""},
	} {
		if got := collection.NormalizeQuery(tc.q); got != tc.want {
			t.Errorf("NormalizeQuery(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestSearchFinds checks the promise of search: a query, normalised, is a
// substring of the normalised text of the record it should find.
func TestSearchFinds(t *testing.T) {
	t.Parallel()
	record := func(name string, phones ...string) string {
		parts := []string{name}
		for _, p := range phones {
			parts = append(parts, collection.PhoneSearchForms(p)...)
		}
		return collection.SearchText(parts...)
	}
	for _, tc := range []struct {
		stored string
		q      string
		found  bool
	}{
		{record("BENALI Mohamed"), "Benali", true},
		{record("مُحَمَّد بن علي"), "محمد", true},
		{record("Wilaya de Sétif"), "setif", true},
		{record("Wilaya de Setif"), "Sétif", true},
		{record("فاطمة الزهراء"), "فاطمه", true},
		{record("أحمد"), "احمد", true},
		{record("Ali", "+213550123456"), "0550123456", true},
		{record("Ali", "+213550123456"), "0550 12 34 56", true},
		{record("Ali", "+213550123456"), "+213 550 12 34 56", true},
		{record("Ali", "+213550123456"), "00213550123456", true},
		{record("Ali", "+213550123456"), "٠٥٥٠١٢٣٤٥٦", true},
		{record("Ali", "+213550123456"), "0661234567", false},
		{record("BENALI Mohamed"), "Kaci", false},
	} {
		q := collection.NormalizeQuery(tc.q)
		if got := strings.Contains(tc.stored, q); got != tc.found {
			t.Errorf("query %q (%q) in %q: found %v, want %v", tc.q, q, tc.stored, got, tc.found)
		}
	}
}
