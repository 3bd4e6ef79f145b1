package receipt

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The PDFs are read back with Debian's poppler-utils (pdftotext, pdfinfo,
// pdffonts, pdftoppm) and the QR code with zbar-tools (zbarimg): readers
// that share no code with this package. Both must be installed:
//
//	apt-get install -y poppler-utils zbar-tools

// -keep writes the rendered receipts to testdata/out, to look at them:
// pdftoppm -png -r 110 receipt/testdata/out/fr-arabic-names.pdf /tmp/r
var keep = flag.Bool("keep", false, "write rendered receipts to testdata/out")

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func sampleReceipt() Receipt {
	r := Receipt{
		Number:       codeID,
		DebtRef:      "DOS-2026-000417",
		ExternalRef:  "FAC/2025/1189",
		CreditorName: "Société Générale d'Électricité — Agence d'Oran",
		DebtorName:   "Benali Hélène",
		DebtorRef:    "D-7KQ2M9",
		Amount:       codeAmount, // 12 500,00 DA
		ValueDate:    codeDate,
		RecordedAt:   time.Date(2026, 1, 5, 13, 30, 0, 0, time.UTC), // 14:30 in Algiers
		Method:       "cheque",
		Reference:    "CHQ 4410982",
		BalanceAfter: 3750050,
		VerifyURL:    "https://tahsil.adc.dz/verifier/" + codeID,
		Language:     "fr",
	}
	r.VerificationCode = VerificationCode(testSecret, r.Number, r.Amount, r.ValueDate)
	return r
}

// tool runs a command-line reader on the PDF, whose path replaces the
// argument "PDF" (or comes last), and returns its standard output.
func tool(t testing.TB, pdf []byte, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: apt-get install -y poppler-utils zbar-tools", name)
	}
	path := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(args, "PDF"); i >= 0 {
		args = slices.Clone(args)
		args[i] = path
	} else {
		args = append(args, path)
	}
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return string(out)
}

// extractText returns the page's text as pdftotext reads it.
func extractText(t testing.TB, pdf []byte) string {
	t.Helper()
	return tool(t, pdf, "pdftotext", "-enc", "UTF-8", "-layout", "-nopgbrk", "PDF", "-")
}

// normalise prepares extracted text for comparison: NFKC folds Arabic
// presentation forms into letters and no-break spaces into spaces, the
// directional marks pdftotext puts around right-to-left text go, and runs
// of white space become one space.
func normalise(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func reverseRunes(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// containsText reports whether the extracted text holds want, in logical
// order or, for right-to-left text, in the visual order some extractors
// give.
func containsText(text, want string) bool {
	text, want = normalise(text), normalise(want)
	return strings.Contains(text, want) || strings.Contains(text, reverseRunes(want))
}

// presentationForms matches Arabic presentation forms, which a PDF shows
// but whose text should be the letters themselves.
var presentationForms = regexp.MustCompile(`[\x{FB50}-\x{FDFF}\x{FE70}-\x{FEFF}]`)

func keepPDF(t *testing.T, name string, pdf []byte) {
	t.Helper()
	if !*keep {
		return
	}
	dir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
}

var pageA5 = regexp.MustCompile(`(?m)^Page size:\s+419\.528 x 595\.276 pts`)

func TestRender(t *testing.T) {
	t.Parallel()
	const (
		arabicDebtor   = "محمد بن علي"
		arabicCreditor = "شركة سونلغاز للتوزيع"
	)
	for _, tc := range []struct {
		name string
		edit func(*Receipt)
		want []string // besides number, amount and code
		not  []string
	}{{
		name: "fr-latin-names",
		edit: func(r *Receipt) {},
		want: []string{
			"ADC — Agence de recouvrement", "وكالة التحصيل", "Reçu de paiement",
			"Benali Hélène", "Société Générale d'Électricité", "D-7KQ2M9", "DOS-2026-000417", "FAC/2025/1189",
			"Date de valeur 04/01/2026", "05/01/2026 14:30 (heure d'Alger)", "Chèque", "CHQ 4410982",
			"37 500,50 DA", "Code de vérification", "https://tahsil.adc.dz/verifier/",
		},
		not: []string{"ANNULÉ"},
	}, {
		name: "fr-arabic-names",
		edit: func(r *Receipt) {
			r.DebtorName = arabicDebtor
			r.CreditorName = arabicCreditor
		},
		want: []string{"Reçu de paiement", arabicDebtor, arabicCreditor, "Chèque"},
	}, {
		name: "ar",
		edit: func(r *Receipt) {
			r.Language = "ar"
			r.DebtorName = arabicDebtor
			r.CreditorName = arabicCreditor
			r.Method = "bank_transfer"
		},
		want: []string{"إيصال تسديد", "وكالة التحصيل", "ADC — Agence de recouvrement", arabicDebtor, arabicCreditor,
			"تحويل بنكي", "رمز التحقق", "04/01/2026", "37 500,50"},
	}, {
		name: "en-reversed",
		edit: func(r *Receipt) {
			r.Language = "en"
			r.Reversed = true
			r.ReversalReason = "Cheque returned unpaid by the bank"
		},
		want: []string{"Payment receipt", "ANNULÉ", "ملغى", "This payment was reversed", "Cheque returned unpaid"},
	}, {
		name: "fr-reversed-arabic-name",
		edit: func(r *Receipt) {
			r.Reversed = true
			r.ReversalReason = "Chèque rejeté pour défaut de provision"
			r.DebtorName = "فاطمة الزهراء بوعلام"
			r.Method = "ccp"
		},
		want: []string{"ANNULÉ", "ملغى", "Ce paiement a été annulé", "Chèque rejeté", "فاطمة الزهراء بوعلام",
			"Virement CCP (Algérie Poste)"},
	}, {
		name: "unknown-method-no-optional-fields",
		edit: func(r *Receipt) {
			r.Method = "mandat"
			r.ExternalRef, r.Reference, r.CreditorName, r.DebtorRef = "", "", "", ""
			r.DebtorName = ""
			r.Language = ""
		},
		want: []string{"Reçu de paiement", "Mode de paiement mandat", "Débiteur —"},
		not:  []string{"Référence du créancier", "Référence du paiement", "Créancier"},
	}, {
		name: "control-characters",
		edit: func(r *Receipt) {
			r.DebtorName = "Benali\nHélène\u202e"
			r.Reference = "CHQ\t4410982"
		},
		want: []string{"Benali Hélène", "CHQ 4410982"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReceipt()
			tc.edit(&r)
			pdf, err := Render(r)
			if err != nil {
				t.Fatal(err)
			}
			keepPDF(t, tc.name, pdf)

			if !bytes.HasPrefix(pdf, []byte("%PDF-1.7\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Errorf("not framed as a PDF: starts %q, ends %q", pdf[:min(len(pdf), 9)], pdf[max(0, len(pdf)-6):])
			}
			info := tool(t, pdf, "pdfinfo")
			if !strings.Contains(info, "Pages:           1\n") || !pageA5.MatchString(info) {
				t.Errorf("want one A5 page; pdfinfo says:\n%s", info)
			}

			raw := extractText(t, pdf)
			if presentationForms.MatchString(raw) {
				t.Errorf("extracted text has Arabic presentation forms, not letters:\n%s", raw)
			}
			for _, want := range append([]string{r.Number, "12 500,00", r.VerificationCode}, tc.want...) {
				if !containsText(raw, want) {
					t.Errorf("extracted text lacks %q:\n%s", want, raw)
				}
			}
			for _, not := range tc.not {
				if containsText(raw, not) {
					t.Errorf("extracted text has %q:\n%s", not, raw)
				}
			}
		})
	}
}

// The fonts are embedded as subsets with a Unicode map, as pdffonts reads
// them.
func TestRenderEmbedsFontSubsets(t *testing.T) {
	t.Parallel()
	r := sampleReceipt()
	r.DebtorName = "محمد بن علي"
	pdf, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	out := tool(t, pdf, "pdffonts")
	subset := regexp.MustCompile(`(?m)^[A-Z]{6}\+(\S+)\s+CID TrueType\s+Identity-H\s+yes yes yes`)
	var fonts []string
	for _, m := range subset.FindAllStringSubmatch(out, -1) {
		fonts = append(fonts, m[1])
	}
	slices.Sort(fonts)
	want := []string{"NotoNaskhArabic-Bold", "NotoNaskhArabic-Regular", "NotoSans-Bold", "NotoSans-Regular"}
	if !slices.Equal(fonts, want) {
		t.Errorf("embedded subsets %v, want %v; pdffonts says:\n%s", fonts, want, out)
	}
	if len(pdf) > 150_000 {
		t.Errorf("receipt is %d bytes: subsetting is not working", len(pdf))
	}
}

// The QR code, drawn as vector squares, scans back to the verification
// address with an independent decoder.
func TestRenderQRCodeScans(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"fr", "ar"} {
		r := sampleReceipt()
		r.Language = lang
		pdf, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "receipt.pdf")
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "150", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		if _, err := exec.LookPath("zbarimg"); err != nil {
			t.Fatal("zbarimg not found: apt-get install -y zbar-tools")
		}
		// zbarimg chatters on stderr about D-Bus; only stdout matters.
		out, err := exec.Command("zbarimg", "--quiet", "--raw", filepath.Join(dir, "page.png")).Output()
		if err != nil {
			t.Fatalf("%s: zbarimg found no code: %v", lang, err)
		}
		if got := strings.TrimSpace(string(out)); got != r.VerifyURL {
			t.Errorf("%s: QR code reads %q, want %q", lang, got, r.VerifyURL)
		}
	}
}

func TestRenderWithoutVerifyURL(t *testing.T) {
	t.Parallel()
	r := sampleReceipt()
	r.VerifyURL = ""
	pdf, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	text := extractText(t, pdf)
	for _, want := range []string{r.VerificationCode, "Communiquez ce code à ADC"} {
		if !containsText(text, want) {
			t.Errorf("extracted text lacks %q:\n%s", want, text)
		}
	}
}

// Names and reasons too long for A5 move the receipt to one A4 page; each
// value is cut to two lines with an ellipsis rather than spilling over.
func TestRenderLongTextFitsOnePage(t *testing.T) {
	t.Parallel()
	r := sampleReceipt()
	r.Reversed = true
	long := strings.Repeat("Établissement public à caractère industriel et commercial ", 8)
	r.CreditorName, r.DebtorName, r.ReversalReason = long, strings.Repeat("عبد الرحمن بن عبد القادر ", 12), long
	r.ExternalRef, r.Reference, r.DebtRef = long, long, long
	r.VerifyURL += "?" + strings.Repeat("x", 300)
	pdf, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	keepPDF(t, "long-text", pdf)
	info := tool(t, pdf, "pdfinfo")
	if !strings.Contains(info, "Pages:           1\n") || !strings.Contains(info, "595.276 x 841.89 pts (A4)") {
		t.Errorf("want one A4 page; pdfinfo says:\n%s", info)
	}
	text := extractText(t, pdf)
	for _, want := range []string{r.VerificationCode, "12 500,00", "…"} {
		if !containsText(text, want) {
			t.Errorf("extracted text lacks %q:\n%s", want, text)
		}
	}
}

// The same receipt gives the same bytes, also when rendered concurrently
// (run with -race).
func TestRenderDeterministicAndConcurrent(t *testing.T) {
	t.Parallel()
	r := sampleReceipt()
	r.DebtorName = "محمد بن علي"
	want, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 6)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() {
			rr := r
			if i%2 == 1 { // interleave other receipts through the pool
				rr.Language = "ar"
			}
			got[i], errs[i] = Render(rr)
		})
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if i%2 == 0 && !bytes.Equal(got[i], want) {
			t.Errorf("render %d differs from the first", i)
		}
	}
	if bytes.Equal(got[1], want) {
		t.Error("the Arabic receipt equals the French one")
	}
}

func TestRenderRejectsInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Receipt)
		msgs []string
	}{
		{"no number", func(r *Receipt) { r.Number = " " }, []string{"number is required"}},
		{"zero amount", func(r *Receipt) { r.Amount = 0 }, []string{"amount must be positive"}},
		{"negative amount", func(r *Receipt) { r.Amount = -100 }, []string{"amount must be positive"}},
		{"negative balance", func(r *Receipt) { r.BalanceAfter = -1 }, []string{"balance after must not be negative"}},
		{"bad value date", func(r *Receipt) { r.ValueDate = "04/01/2026" }, []string{"value date"}},
		{"no recording time", func(r *Receipt) { r.RecordedAt = time.Time{} }, []string{"recorded at is required"}},
		{"no code", func(r *Receipt) { r.VerificationCode = "" }, []string{"verification code is required"}},
		{"unknown language", func(r *Receipt) { r.Language = "de" }, []string{`language "de"`}},
		{"every problem at once", func(r *Receipt) {
			r.Amount, r.ValueDate, r.VerificationCode = 0, "", ""
		}, []string{"amount must be positive", "value date", "verification code is required"}},
	} {
		r := sampleReceipt()
		tc.edit(&r)
		pdf, err := Render(r)
		if err == nil {
			t.Errorf("%s: Render succeeded (%d bytes), want an error", tc.name, len(pdf))
			continue
		}
		for _, msg := range tc.msgs {
			if !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, msg)
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	r := sampleReceipt()
	r.DebtorName = "محمد بن علي"
	if _, err := Render(r); err != nil { // parse the fonts outside the loop
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(r); err != nil {
			b.Fatal(err)
		}
	}
}
