package importcsv

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// header is the smallest complete header.
const header = "external_ref,principal,original_due_on,debtor_full_name,debtor_phone\n"

func read(t *testing.T, s string, opts Options) *File {
	t.Helper()
	f, err := Read(strings.NewReader(s), opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f
}

func fileError(t *testing.T, s string, opts Options) []CellError {
	t.Helper()
	f, err := Read(strings.NewReader(s), opts)
	if err == nil {
		t.Fatalf("Read succeeded with %d rows, want a *FileError", len(f.Rows))
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Read: %v is not a *FileError", err)
	}
	return fe.Problems
}

// wantErrors compares problems: position and field exactly, the reason
// by a fragment it must contain.
func wantErrors(t *testing.T, got, want []CellError) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d errors, want %d:\n got  %v\n want %v", len(got), len(want), got, want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Line != w.Line || g.Column != w.Column || g.Field != w.Field || !strings.Contains(g.Reason, w.Reason) {
			t.Errorf("error %d:\n got  %v\n want %v", i, g, w)
		}
	}
}

func TestReadDelimiters(t *testing.T) {
	t.Parallel()
	want := Record{
		ExternalRef: "F-1", Principal: 1250050, Currency: "DZD", OriginalDueOn: "2026-03-31",
		Debtor: Debtor{Kind: "person", FullName: "Karim Benali", Phones: []string{"+213550123456"}},
	}
	cases := []struct {
		name  string
		in    string
		delim rune
	}{
		{"comma", "ref,montant,echeance,nom,tel\nF-1,\"12 500,50\",31/03/2026,Karim Benali,0550123456\n", ','},
		{"semicolon", "ref;montant;echeance;nom;tel\nF-1;12 500,50;31/03/2026;Karim Benali;0550123456\n", ';'},
		{"pipe", "ref|montant|echeance|nom|tel\nF-1|12 500,50|31/03/2026|Karim Benali|0550123456\n", '|'},
		{"tab", "ref\tmontant\techeance\tnom\ttel\nF-1\t12 500,50\t31/03/2026\tKarim Benali\t0550123456\n", '\t'},
		{"CRLF", "ref;montant;echeance;nom;tel\r\nF-1;12 500,50;31/03/2026;Karim Benali;0550123456\r\n", ';'},
		{"no final newline", "ref;montant;echeance;nom;tel\nF-1;12 500,50;31/03/2026;Karim Benali;0550123456", ';'},
		// A comma inside a header name: semicolon splits it into more
		// known names than comma does.
		{"ambiguous header", "Nom, prénom;Montant;Référence;Échéance;Téléphone\nKarim Benali;12 500,50;F-1;31/03/2026;0550123456\n", ';'},
		{"excel sep line", "sep=|\nref|montant|echeance|nom|tel\nF-1|12 500,50|31/03/2026|Karim Benali|0550123456\n", '|'},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := read(t, c.in, Options{})
			if f.Delimiter != c.delim {
				t.Errorf("delimiter %q, want %q", f.Delimiter, c.delim)
			}
			if len(f.Rows) != 1 {
				t.Fatalf("%d rows, want 1", len(f.Rows))
			}
			r := f.Rows[0]
			wantErrors(t, r.Errors, nil)
			if !reflect.DeepEqual(r.Record, want) {
				t.Errorf("record\n got  %+v\n want %+v", r.Record, want)
			}
			wantLine := 2
			if strings.HasPrefix(c.in, "sep=") {
				wantLine = 3
			}
			if r.Line != wantLine {
				t.Errorf("line %d, want %d", r.Line, wantLine)
			}
		})
	}
}

func TestReadForcedDelimiter(t *testing.T) {
	t.Parallel()
	// A file whose header reads better with commas, forced to semicolon:
	// it is one unknown column.
	in := "ref,montant,echeance,nom,tel\n"
	p := fileError(t, in, Options{Delimiter: ';'})
	if p[0].Column != 1 || !strings.Contains(p[0].Reason, `unknown column "ref,montant,echeance,nom,tel"`) {
		t.Errorf("got %v", p)
	}
	f := read(t, "sep=;\n"+in, Options{Delimiter: ','}) // the option wins over sep=
	if f.Delimiter != ',' {
		t.Errorf("delimiter %q", f.Delimiter)
	}
}

func TestReadBOM(t *testing.T) {
	t.Parallel()
	f := read(t, "\ufeff"+header+"F-1,100,2026-03-31,Karim Benali,0550123456\n", Options{})
	if f.Header[0].Name != "external_ref" || f.Header[0].Field != FieldExternalRef {
		t.Errorf("first column %+v", f.Header[0])
	}
	wantErrors(t, f.Rows[0].Errors, nil)
}

func TestReadArabic(t *testing.T) {
	t.Parallel()
	in := "المرجع;المبلغ;تاريخ الاستحقاق;الاسم;رقم التعريف الوطني;الهاتف;الولاية;اللغة\n" +
		"م-١;١٢ ٥٠٠,٥٠ دج;٣١/٠٣/٢٠٢٦;محمد بن علي;١٠٩٨٧٠١٢٣٤٥٦٧٨٩٠١٢;٠٥٥٠ ١٢ ٣٤ ٥٦;الجزائر;العربية\n"
	f := read(t, in, Options{})
	wantFields := []string{FieldExternalRef, FieldPrincipal, FieldOriginalDueOn, FieldDebtorFullName, FieldDebtorNIN, FieldDebtorPhone, FieldDebtorWilaya, FieldDebtorLanguage}
	for i, c := range f.Header {
		if c.Field != wantFields[i] {
			t.Errorf("column %d %q → %q, want %q", c.Index, c.Name, c.Field, wantFields[i])
		}
	}
	r := f.Rows[0]
	wantErrors(t, r.Errors, nil)
	want := Record{
		ExternalRef: "م-١", Principal: 1250050, Currency: "DZD", OriginalDueOn: "2026-03-31",
		Debtor: Debtor{Kind: "person", FullName: "محمد بن علي", NIN: "109870123456789012",
			Phones: []string{"+213550123456"}, Wilaya: 16, Language: "ar"},
	}
	if !reflect.DeepEqual(r.Record, want) {
		t.Errorf("record\n got  %+v\n want %+v", r.Record, want)
	}
	if r.Values[FieldPrincipal] != "12500.50" || r.Values[FieldDebtorWilaya] != "16" || r.Values[FieldOriginalDueOn] != "2026-03-31" {
		t.Errorf("values %v", r.Values)
	}
}

func TestReadQuotedAndEmptyLines(t *testing.T) {
	t.Parallel()
	in := "\n\n" + // blank lines before the header
		"external_ref;principal;original_due_on;debtor_full_name;debtor_phone;debtor_address;description\n" + // line 3
		"F-1;100;2026-03-31;\"Karim Benali\";0550123456;\"Cité 1000 logements;\nBâtiment B\";\"il a dit \"\"demain\"\"\"\n" + // lines 4-5
		"\n" + // line 6
		"   \n" + // line 7: spaces only
		";;;;;;\n" + // line 8: delimiters only
		" ; ; ; ; ; ; \n" + // line 9
		"F-2; \"1 000\";2026-03-31; Amina Haddad ;0661234567;;\n" // line 10: spaces before a quoted value, around others
	f := read(t, in, Options{})
	if len(f.Rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(f.Rows), f.Rows)
	}
	r := f.Rows[0]
	wantErrors(t, r.Errors, nil)
	if r.Line != 4 {
		t.Errorf("first row on line %d, want 4", r.Line)
	}
	if r.Raw[5] != "Cité 1000 logements;\nBâtiment B" || r.Raw[6] != `il a dit "demain"` || r.Raw[3] != "Karim Benali" {
		t.Errorf("raw %q", r.Raw)
	}
	if r.Record.Debtor.Address != "Cité 1000 logements; Bâtiment B" {
		t.Errorf("address %q", r.Record.Debtor.Address)
	}
	if r.Record.Description != `il a dit "demain"` {
		t.Errorf("description %q", r.Record.Description)
	}
	r = f.Rows[1]
	wantErrors(t, r.Errors, nil)
	if r.Line != 10 || r.Record.Principal != 100000 || r.Record.Debtor.FullName != "Amina Haddad" {
		t.Errorf("second row: line %d, %+v", r.Line, r.Record)
	}

	// encoding/csv allows no space after a closing quote: it says so.
	f = read(t, header+"F-1,\"100\" ,2026-03-31,Karim Benali,0550123456\n", Options{})
	wantErrors(t, f.Errors(), []CellError{{2, 2, FieldPrincipal, "closing quote is followed by other characters"}})
}

func TestReadTabKeepsEmptyFields(t *testing.T) {
	t.Parallel()
	in := "external_ref\tprincipal\tfees\toriginal_due_on\tdebtor_full_name\tdebtor_phone\n" +
		"F-1\t100\t\t2026-03-31\tKarim Benali\t0550123456\n"
	f := read(t, in, Options{})
	wantErrors(t, f.Rows[0].Errors, nil)
	if f.Rows[0].Record.Fees != 0 || f.Rows[0].Record.OriginalDueOn != "2026-03-31" {
		t.Errorf("record %+v", f.Rows[0].Record)
	}
}

// full is a header naming every field, for the row error table.
const full = "external_ref;type;principal;fees;currency;acknowledged_on;original_due_on;description;" +
	"debtor_kind;debtor_full_name;debtor_nin;debtor_nif;debtor_rc;debtor_phone;debtor_email;debtor_address;debtor_wilaya;debtor_language\n"

// fullRow builds a valid row of full, with some columns replaced.
func fullRow(set map[int]string) string {
	v := []string{"F-1", "facture", "12500", "", "", "", "31/03/2026", "", "", "Karim Benali", "", "", "", "0550123456", "", "", "16", ""}
	for i, s := range set {
		v[i-1] = s
	}
	return strings.Join(v, ";") + "\n"
}

func TestReadRowErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rows string // after the header, which is line 1
		want []CellError
	}{
		{"valid", fullRow(nil), nil},
		{"negative principal", fullRow(map[int]string{3: "-100"}),
			[]CellError{{2, 3, FieldPrincipal, "cannot be negative"}}},
		{"zero principal", fullRow(map[int]string{3: "0"}),
			[]CellError{{2, 3, FieldPrincipal, "must be more than 0"}}},
		{"ambiguous principal", fullRow(map[int]string{3: "12.500"}),
			[]CellError{{2, 3, FieldPrincipal, "ambiguous"}}},
		{"three decimals", fullRow(map[int]string{3: "12500.5551"}),
			[]CellError{{2, 3, FieldPrincipal, "more than 2 decimals"}}},
		{"negative fees", fullRow(map[int]string{4: "-5"}),
			[]CellError{{2, 4, FieldFees, "cannot be negative"}}},
		{"currency", fullRow(map[int]string{5: "EUR"}),
			[]CellError{{2, 5, FieldCurrency, "must be DZD"}}},
		{"acknowledged impossible", fullRow(map[int]string{6: "30/02/2026"}),
			[]CellError{{2, 6, FieldAcknowledgedOn, "February 2026 has 28 days"}}},
		{"due date month first", fullRow(map[int]string{7: "03/31/2026"}),
			[]CellError{{2, 7, FieldOriginalDueOn, "day first"}}},
		{"description control", fullRow(map[int]string{8: "a\x01b"}),
			[]CellError{{2, 8, FieldDescription, "control or invisible"}}},
		{"kind", fullRow(map[int]string{9: "association"}),
			[]CellError{{2, 9, FieldDebtorKind, "must be person or company"}}},
		{"person name with digits", fullRow(map[int]string{10: "Karim 2"}),
			[]CellError{{2, 10, FieldDebtorFullName, "may contain only letters"}}},
		{"company name with digits", fullRow(map[int]string{9: "entreprise", 10: "SARL Route 66", 12: "000116001234567"}), nil},
		{"NIN length", fullRow(map[int]string{11: "12345"}),
			[]CellError{{2, 11, FieldDebtorNIN, "a NIN has exactly 18 digits"}}},
		{"NIN scientific", fullRow(map[int]string{11: "1.09870E+17"}),
			[]CellError{{2, 11, FieldDebtorNIN, "scientific notation"}}},
		{"NIN of a company", fullRow(map[int]string{9: "company", 11: "109870123456789012"}),
			[]CellError{{2, 11, FieldDebtorNIN, "a company has no NIN"}}},
		{"NIF length", fullRow(map[int]string{12: "1234"}),
			[]CellError{{2, 12, FieldDebtorNIF, "15 digits"}}},
		{"RC of a person", fullRow(map[int]string{9: "personne", 13: "16/00-0123456 B 19"}),
			[]CellError{{2, 13, FieldDebtorRC, "a person has no RC"}}},
		{"RC infers a company", fullRow(map[int]string{13: "16/00-0123456 B 19"}), nil},
		{"landline", fullRow(map[int]string{14: "021 12 34 56"}),
			[]CellError{{2, 14, FieldDebtorPhone, "is a landline number"}}},
		{"second phone", fullRow(map[int]string{14: "0550123456/0550"}),
			[]CellError{{2, 14, FieldDebtorPhone, "number 2: "}}},
		{"email", fullRow(map[int]string{15: "karim@"}),
			[]CellError{{2, 15, FieldDebtorEmail, "not a valid e-mail address"}}},
		{"address too long", fullRow(map[int]string{16: strings.Repeat("a", 501)}),
			[]CellError{{2, 16, FieldDebtorAddress, "at most 500 characters"}}},
		{"wilaya", fullRow(map[int]string{17: "99"}),
			[]CellError{{2, 17, FieldDebtorWilaya, "between 1 and 69"}}},
		{"language", fullRow(map[int]string{18: "de"}),
			[]CellError{{2, 18, FieldDebtorLanguage, "must be ar, fr or en"}}},
		{"reference too long", fullRow(map[int]string{1: strings.Repeat("x", 65)}),
			[]CellError{{2, 1, FieldExternalRef, "at most 64 characters"}}},
		{"type", fullRow(map[int]string{2: "leasing"}),
			[]CellError{{2, 2, FieldType, "must be one of commercial, personal"}}},
		{"principal and fees too large together", fullRow(map[int]string{3: "9 000 000 000 000", 4: "1 000 000 000 000,01"}),
			[]CellError{{2, 4, FieldFees, "principal and fees together must be at most 10000000000000.00 DZD"}}},
		{"required values", fullRow(map[int]string{1: "", 3: "", 7: " ", 10: ""}),
			[]CellError{
				{2, 1, FieldExternalRef, "is required"},
				{2, 3, FieldPrincipal, "is required"},
				{2, 7, FieldOriginalDueOn, "is required"},
				{2, 10, FieldDebtorFullName, "is required"},
			}},
		{"no identifier", fullRow(map[int]string{14: ""}),
			[]CellError{{2, 11, FieldDebtorNIN, "the debtor must be identified"}}},
		{"invalid identifier is not also missing", fullRow(map[int]string{14: "021 12 34 56"}),
			[]CellError{{2, 14, FieldDebtorPhone, "landline"}}},
		{"several errors in column order", fullRow(map[int]string{3: "abc", 7: "2026-13-01", 17: "0"}),
			[]CellError{
				{2, 3, FieldPrincipal, "is not an amount"},
				{2, 7, FieldOriginalDueOn, "month must be between 1 and 12"},
				{2, 17, FieldDebtorWilaya, "between 1 and 69"},
			}},
		{"duplicate reference", fullRow(nil) + fullRow(map[int]string{14: "0661234567"}),
			[]CellError{{3, 1, FieldExternalRef, "the same reference as the row on line 2"}}},
		{"too few values", "F-1;facture;12500\n",
			[]CellError{{2, 4, FieldFees, "the row has 3 values but the header has 18 columns"}}},
		{"too many values", strings.TrimSuffix(fullRow(nil), "\n") + ";;extra\n",
			[]CellError{{2, 20, "", "beyond the 18 columns"}}},
		{"bare quote", fullRow(map[int]string{10: `Karim "le grand" Benali`}),
			[]CellError{{2, 10, FieldDebtorFullName, "a double quote"}}},
		{"text after a closing quote", fullRow(map[int]string{10: `"Karim" Benali`}),
			[]CellError{{2, 10, FieldDebtorFullName, "is not closed, or its closing quote is followed"}}},
		{"unclosed quote", fullRow(map[int]string{16: `"Cité 5`}),
			[]CellError{{2, 16, FieldDebtorAddress, "is not closed"}}},
		{"error in a multi-line value is on its own line", fullRow(map[int]string{8: "\"ligne 1\nligne 2\"", 15: "karim@"}),
			[]CellError{{3, 15, FieldDebtorEmail, "e-mail"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := read(t, full+c.rows, Options{})
			var got []CellError
			for _, r := range f.Rows {
				got = append(got, r.Errors...)
			}
			wantErrors(t, got, c.want)
			if !reflect.DeepEqual(got, f.Errors()) {
				t.Errorf("File.Errors() = %v", f.Errors())
			}
		})
	}
}

func TestReadRowAfterQuoteError(t *testing.T) {
	t.Parallel()
	// The reader goes on after a quote error, at the next line.
	in := header +
		"F-1,100,2026-03-31,Karim \"K\" Benali,0550123456\n" +
		"F-2,100,2026-03-31,Amina Haddad,0661234567\n"
	f := read(t, in, Options{})
	if len(f.Rows) != 2 {
		t.Fatalf("%d rows", len(f.Rows))
	}
	wantErrors(t, f.Rows[0].Errors, []CellError{{2, 4, FieldDebtorFullName, "double quote"}})
	if f.Rows[0].OK() || !f.Rows[1].OK() || f.Rows[1].Line != 3 {
		t.Errorf("rows %+v", f.Rows)
	}
}

func TestReadValidValuesOfARowInError(t *testing.T) {
	t.Parallel()
	f := read(t, header+"F-1,-5,2026-03-31,Karim Benali,0550123456\n", Options{})
	r := f.Rows[0]
	if r.OK() {
		t.Fatal("row is OK")
	}
	want := map[string]string{
		FieldExternalRef: "F-1", FieldOriginalDueOn: "2026-03-31",
		FieldDebtorFullName: "Karim Benali", FieldDebtorPhone: "+213550123456",
	}
	if !reflect.DeepEqual(r.Values, want) {
		t.Errorf("values %v, want %v", r.Values, want)
	}
}

func TestReadUnnamedColumns(t *testing.T) {
	t.Parallel()
	// Excel leaves a trailing delimiter: an unnamed, empty column is fine.
	in := strings.TrimSuffix(header, "\n") + ",\n" + "F-1,100,2026-03-31,Karim Benali,0550123456,\n"
	f := read(t, in, Options{})
	wantErrors(t, f.Errors(), nil)
	if c := f.Header[5]; c.Name != "" || c.Field != "" || c.Index != 6 {
		t.Errorf("unnamed column %+v", c)
	}
	// A value under it is refused, unless unknown columns are ignored.
	in = strings.TrimSuffix(header, "\n") + ",\n" + "F-1,100,2026-03-31,Karim Benali,0550123456,x\n"
	wantErrors(t, read(t, in, Options{}).Errors(), []CellError{{2, 6, "", "no name in the header"}})
	wantErrors(t, read(t, in, Options{IgnoreUnknown: true}).Errors(), nil)
}

func TestReadHeaderErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []CellError
	}{
		{"unknown columns", "Référence;Montant;Couleur;Échéance;Nom;Téléphone;Pointure\n", []CellError{
			{1, 3, "", `unknown column "Couleur"`},
			{1, 7, "", `unknown column "Pointure"`},
		}},
		{"duplicate", "ref;montant;amount;echeance;nom;tel\n", []CellError{
			{1, 3, FieldPrincipal, `column "amount" is the same field (principal) as column 2 ("montant")`},
		}},
		{"missing required", "nom;tel;frais\n", []CellError{
			{1, 0, FieldExternalRef, "the required column external_ref is missing"},
			{1, 0, FieldPrincipal, "the required column principal is missing"},
			{1, 0, FieldOriginalDueOn, "the required column original_due_on is missing"},
		}},
		{"no identifier column", "ref;montant;echeance;nom;adresse\n", []CellError{
			{1, 0, "", "a column debtor_nin, debtor_nif or debtor_phone is required"},
		}},
		{"all at once, after blank lines", "\n\nref;montant;montant;couleur;nom\n", []CellError{
			{3, 3, FieldPrincipal, "same field"},
			{3, 4, "", "unknown column"},
			{3, 0, FieldOriginalDueOn, "missing"},
			{3, 0, "", "debtor_nin, debtor_nif or debtor_phone"},
		}},
		{"empty", "", []CellError{{1, 0, "", "the file is empty"}}},
		{"blank lines only", "\n  \n;;;\n", []CellError{{1, 0, "", "the file is empty"}}},
		{"BOM only", "\ufeff", []CellError{{1, 0, "", "the file is empty"}}},
		{"quote in header", "ref;mont\"ant;echeance;nom;tel\n", []CellError{{1, 2, "", "header: a double quote"}}},
		{"too many columns", strings.Repeat("a;", MaxColumns) + "a\n", []CellError{{1, 0, "", "more than 200"}}},
		{"UTF-16", "\xff\xfer\x00e\x00f\x00", []CellError{{1, 0, "", "UTF-16"}}},
		{"xlsx", "PK\x03\x04\x14\x00", []CellError{{1, 0, "", "workbook"}}},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1", []CellError{{1, 0, "", ".xls"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wantErrors(t, fileError(t, c.in, Options{}), c.want)
		})
	}
}

func TestReadIgnoreUnknown(t *testing.T) {
	t.Parallel()
	in := "Référence;Couleur;Montant;Échéance;Nom;Téléphone\nF-1;bleu;100;31/03/2026;Karim Benali;0550123456\n"
	f := read(t, in, Options{IgnoreUnknown: true})
	if c := f.Header[1]; c.Name != "Couleur" || c.Field != "" {
		t.Errorf("ignored column %+v", c)
	}
	wantErrors(t, f.Errors(), nil)
	if _, ok := f.Rows[0].Values["Couleur"]; ok || len(f.Rows[0].Raw) != 6 {
		t.Errorf("row %+v", f.Rows[0])
	}
	// Duplicates and missing columns are still refused.
	wantErrors(t, fileError(t, "ref;couleur;montant;montant;echeance;nom;tel\n", Options{IgnoreUnknown: true}),
		[]CellError{{1, 4, FieldPrincipal, "same field"}})
}

func TestReadInvalidUTF8(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want CellError
	}{
		// "é" in Windows-1252 is the byte 0xE9.
		{"header", "R\xe9f\xe9rence;montant\n", CellError{1, 1, "", "byte 0xE9"}},
		{"cell", header + "F-1,100,2026-03-31,Karim Benali,0550123456\nF-2,100,2026-03-31,H\xe9l\xe8ne Dupont,0550123457\n",
			CellError{3, 4, FieldDebtorFullName, `save it as "CSV UTF-8"`}},
		{"inside a multi-line value", "\ufeff" + header + "F-1,100,2026-03-31,\"Karim\nBen\xe9li\",0550123456\n",
			CellError{3, 4, FieldDebtorFullName, "Windows-1256"}},
		{"in a record that does not parse", header + "F-1,100,\"x\"y,\xe9,0550123456\n",
			CellError{2, 0, "", "not UTF-8"}},
		{"after a sep line", "sep=,\n" + header + "F-\xff,100,2026-03-31,Karim Benali,0550123456\n",
			CellError{3, 1, FieldExternalRef, "byte 0xFF"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wantErrors(t, fileError(t, c.in, Options{}), []CellError{c.want})
		})
	}
}

func TestReadLimits(t *testing.T) {
	t.Parallel()
	row := "F-%d,100,2026-03-31,Karim Benali,0550123456\n"
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString(header)
		for i := range n {
			b.WriteString(strings.Replace(row, "%d", string(rune('a'+i)), 1))
		}
		return b.String()
	}

	f := read(t, rows(3), Options{MaxRows: 3})
	if len(f.Rows) != 3 {
		t.Errorf("%d rows", len(f.Rows))
	}
	wantErrors(t, fileError(t, rows(4), Options{MaxRows: 3}), []CellError{{5, 0, "", "more than 3 rows"}})
	// Empty lines do not count; broken rows do.
	read(t, strings.Replace(rows(3), "\n", "\n\n\n", -1), Options{MaxRows: 3})
	wantErrors(t, fileError(t, rows(3)+"\"\n", Options{MaxRows: 3}), []CellError{{5, 0, "", "more than 3 rows"}})

	in := rows(3)
	read(t, in, Options{MaxBytes: int64(len(in))})
	wantErrors(t, fileError(t, in, Options{MaxBytes: int64(len(in) - 1)}), []CellError{{4, 0, "", "larger than"}})
	wantErrors(t, fileError(t, in, Options{MaxBytes: 10}), []CellError{{1, 0, "", "larger than 10 bytes"}})
	if got := sizeText(DefaultMaxBytes); got != "50 MiB" {
		t.Errorf("sizeText = %q", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	err := Options{Delimiter: ':', MaxRows: -1, MaxBytes: -1}.Validate()
	for _, frag := range []string{"delimiter ':'", "max rows", "max bytes"} {
		if err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("Validate: %v, want %q", err, frag)
		}
	}
	if _, err := Read(strings.NewReader(header), Options{Delimiter: ':'}); err == nil {
		t.Error("Read accepted a bad delimiter")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadIOError(t *testing.T) {
	t.Parallel()
	_, err := Read(failingReader{}, Options{})
	var fe *FileError
	if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Read: %v", err)
	}
}

func TestFileErrorText(t *testing.T) {
	t.Parallel()
	var fe FileError
	for i := range 12 {
		fe.Problems = append(fe.Problems, CellError{Line: 1, Column: i + 1, Reason: "unknown column"})
	}
	fe.Problems = append(fe.Problems, CellError{Line: 1, Field: FieldPrincipal, Reason: "missing"})
	s := fe.Error()
	if !strings.HasPrefix(s, "csv import: line 1, column 1: unknown column; line 1, column 2:") || !strings.HasSuffix(s, "; and 3 more") {
		t.Errorf("text %q", s)
	}
	if got := (CellError{Line: 4, Field: FieldPrincipal, Reason: "is required"}).Error(); got != "line 4 (principal): is required" {
		t.Errorf("text %q", got)
	}
}

// TestReadSample reads the sample file of the documentation: semicolons,
// French headers, Arabic names, a multi-line quoted address, Arabic-Indic
// digits, a blank line and rows in error.
func TestReadSample(t *testing.T) {
	t.Parallel()
	fh, err := os.Open("testdata/creances.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Read(fh, Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if f.Delimiter != ';' || len(f.Header) != 17 {
		t.Fatalf("delimiter %q, %d columns", f.Delimiter, len(f.Header))
	}
	for _, c := range f.Header {
		if c.Field == "" {
			t.Errorf("column %d %q is not mapped", c.Index, c.Name)
		}
	}
	lines := []int{}
	for _, r := range f.Rows {
		lines = append(lines, r.Line)
	}
	if want := []int{2, 3, 5, 7, 8, 9}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("row lines %v, want %v", lines, want)
	}

	wantRecords := map[int]Record{
		2: {ExternalRef: "FAC-2025-0001", Type: "commercial", Principal: 1250050, Fees: 100000, Currency: "DZD",
			OriginalDueOn: "2026-03-31", Description: "Fourniture de matériel informatique",
			Debtor: Debtor{Kind: "person", FullName: "محمد بن علي", NIN: "109870123456789012",
				Phones: []string{"+213550123456"}, Address: "12, rue Didouche Mourad", Wilaya: 16, Language: "ar"}},
		3: {ExternalRef: "FAC-2025-0002", Type: "rent", Principal: 125000000, Currency: "DZD",
			AcknowledgedOn: "2026-01-15", OriginalDueOn: "2026-02-28", Description: "Loyers impayés; janvier et février",
			Debtor: Debtor{Kind: "company", FullName: "SARL El Baraka", NIF: "000116001234567", RC: "16/00-0123456 B 19",
				Phones: []string{"+213661234567", "+213770987654"}, Email: "Compta@elbaraka.dz",
				Address: "Zone industrielle, lot 12 Rouiba", Wilaya: 16, Language: "fr"}},
		5: {ExternalRef: "FAC-2025-0003", Type: "loan", Principal: 2500000, Currency: "DZD", OriginalDueOn: "2025-12-31",
			Debtor: Debtor{Kind: "person", FullName: "فاطمة الزهراء بوعلام", Phones: []string{"+213550987654"},
				Address: "حي 500 مسكن، العلمة", Wilaya: 19}},
		9: {ExternalRef: "FAC-2025-0005", Type: "loan", Principal: 4500000, Fees: 250000, Currency: "DZD",
			AcknowledgedOn: "2026-01-10", OriginalDueOn: "2026-03-10", Description: "Prêt personnel",
			Debtor: Debtor{Kind: "person", FullName: "Yacine Mebarki", Phones: []string{"+213698765432"},
				Email: "yacine.mebarki@example.dz", Address: "Cité 1000 logements, bâtiment B", Wilaya: 31, Language: "fr"}},
	}
	for _, r := range f.Rows {
		want, ok := wantRecords[r.Line]
		if !ok {
			continue
		}
		wantErrors(t, r.Errors, nil)
		if !reflect.DeepEqual(r.Record, want) {
			t.Errorf("line %d:\n got  %+v\n want %+v", r.Line, r.Record, want)
		}
	}
	wantErrors(t, f.Errors(), []CellError{
		{7, 3, FieldPrincipal, "ambiguous"},
		{7, 6, FieldOriginalDueOn, "February 2026 has 28 days"},
		{7, 10, FieldDebtorNIN, "18 digits"},
		{7, 13, FieldDebtorPhone, "landline"},
		{7, 16, FieldDebtorWilaya, "between 1 and 69"},
		{7, 17, FieldDebtorLanguage, "ar, fr or en"},
		{8, 1, FieldExternalRef, "the same reference as the row on line 2"},
	})
}
