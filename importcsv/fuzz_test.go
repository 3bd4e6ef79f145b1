package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzRead checks that Read never panics, that every error it reports has
// a line, and that the canonical values of the importable rows, written
// back as CSV, read back to the same values and records.
func FuzzRead(f *testing.F) {
	sample, err := os.ReadFile("testdata/creances.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	for _, s := range []string{
		"",
		"\ufeff" + header + "F-1,100,2026-03-31,Karim Benali,0550123456\n",
		"sep=;\n" + full + fullRow(nil),
		full + fullRow(map[int]string{3: "12.500", 7: "31/02/2026"}),
		header + "F-1,\"1 000,50\",31/03/2026,\"Benali\nKarim\",\"0550123456/0661234567\"\n",
		header + "F-1,100,2026-03-31,Karim \"K\" Benali,0550123456\n",
		header + "F-1,100,\"2026-03-31\n",
		"ref|montant|echeance|nom|tel|\nF-1|١٢ ٥٠٠ دج|٣١/٠٣/٢٠٢٦|محمد بن علي|٠٥٥٠١٢٣٤٥٦|\n",
		"R\xe9f;montant\n",
		"ref;montant;montant;couleur\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, {IgnoreUnknown: true}} {
			file, err := Read(bytes.NewReader(data), opts)
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Read: %v is not a *FileError", err)
				}
				if len(fe.Problems) == 0 {
					t.Fatal("a FileError without problems")
				}
				for _, p := range fe.Problems {
					if p.Line < 1 || p.Column < 0 || p.Reason == "" {
						t.Fatalf("bad problem %#v", p)
					}
				}
				continue
			}
			checkFile(t, file)

			again, err := Read(bytes.NewReader(data), opts)
			if err != nil || !reflect.DeepEqual(file, again) {
				t.Fatalf("a second Read differs: %v", err)
			}

			canon := canonical(t, file)
			re, err := Read(bytes.NewReader(canon), Options{})
			if err != nil {
				t.Fatalf("re-reading the canonical file: %v\n%s", err, canon)
			}
			var ok []Row
			for _, r := range file.Rows {
				if r.OK() {
					ok = append(ok, r)
				}
			}
			if len(re.Rows) != len(ok) {
				t.Fatalf("re-read %d rows, want %d\n%s", len(re.Rows), len(ok), canon)
			}
			for i, r := range re.Rows {
				if !r.OK() {
					t.Fatalf("re-read row %d has errors %v\n%s", i, r.Errors, canon)
				}
				if !reflect.DeepEqual(r.Values, ok[i].Values) {
					t.Fatalf("re-read row %d values\n got  %v\n want %v", i, r.Values, ok[i].Values)
				}
				if !reflect.DeepEqual(r.Record, ok[i].Record) {
					t.Fatalf("re-read row %d record\n got  %+v\n want %+v", i, r.Record, ok[i].Record)
				}
			}
		}
	})
}

// checkFile checks the invariants of a file Read accepted.
func checkFile(t *testing.T, file *File) {
	t.Helper()
	known := map[string]bool{}
	for _, fi := range fields {
		known[fi.Name] = true
	}
	for i, c := range file.Header {
		if c.Index != i+1 || c.Field != "" && !known[c.Field] {
			t.Fatalf("bad column %+v", c)
		}
	}
	prev := 0
	for _, r := range file.Rows {
		if r.Line <= prev {
			t.Fatalf("row line %d after %d", r.Line, prev)
		}
		prev = r.Line
		for _, e := range r.Errors {
			if e.Line < r.Line || e.Column < 1 || e.Reason == "" {
				t.Fatalf("bad error %#v in the row of line %d", e, r.Line)
			}
		}
		for k := range r.Values {
			if !known[k] {
				t.Fatalf("value of unknown field %q", k)
			}
		}
		if r.OK() {
			rec := r.Record
			if rec.ExternalRef == "" || rec.Principal <= 0 || rec.Principal > MaxAmount || rec.Fees < 0 ||
				rec.OriginalDueOn == "" || rec.Currency != Currency || rec.Debtor.FullName == "" ||
				rec.Debtor.NIN == "" && rec.Debtor.NIF == "" && len(rec.Debtor.Phones) == 0 {
				t.Fatalf("incomplete record in an importable row: %+v", rec)
			}
		}
	}
}

// canonical writes the importable rows of a file with the canonical field
// names and values, comma-separated.
func canonical(t *testing.T, file *File) []byte {
	t.Helper()
	var names []string
	for _, c := range file.Header {
		if c.Field != "" {
			names = append(names, c.Field)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(names)
	for _, r := range file.Rows {
		if !r.OK() {
			continue
		}
		rec := make([]string, len(names))
		for i, n := range names {
			rec[i] = r.Values[n]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
