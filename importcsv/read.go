package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a file, applied when Options leaves them at zero.
const (
	// DefaultMaxRows is the most data rows (header and empty lines aside)
	// a file may hold.
	DefaultMaxRows = 100_000
	// DefaultMaxBytes is the largest file read, BOM included.
	DefaultMaxBytes = 50 << 20
	// MaxColumns bounds the header: the format has 18 fields, so a wider
	// header is a wrong file (or a wrong delimiter), not a debt file.
	MaxColumns = 200
)

// delimiters are the separators Read detects, in the order that breaks ties.
var delimiters = []rune{',', ';', '|', '\t'}

// Options tunes Read. The zero value detects the delimiter and applies the
// default limits.
type Options struct {
	// Delimiter forces the separator: ',', ';', '|' or '\t'. Zero detects
	// it from the header line (or from an Excel "sep=;" first line).
	Delimiter rune
	// MaxRows is the most data rows accepted; zero means DefaultMaxRows.
	MaxRows int
	// MaxBytes is the largest file accepted; zero means DefaultMaxBytes.
	MaxBytes int64
	// IgnoreUnknown skips columns whose header names no field (and values
	// under a column without a name) instead of refusing the file.
	IgnoreUnknown bool
}

// Validate reports every problem of the options at once.
func (o Options) Validate() error {
	var errs []error
	if o.Delimiter != 0 && !slices.Contains(delimiters, o.Delimiter) {
		errs = append(errs, fmt.Errorf("delimiter %q is not one of , ; | or tab", o.Delimiter))
	}
	if o.MaxRows < 0 {
		errs = append(errs, fmt.Errorf("max rows %d is negative", o.MaxRows))
	}
	if o.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max bytes %d is negative", o.MaxBytes))
	}
	return errors.Join(errs...)
}

func (o *Options) setDefaults() {
	if o.MaxRows == 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
}

// File is a debt file as read: its header and one Row per non-empty line
// (or quoted multi-line record) after it.
type File struct {
	// Delimiter is the separator used (detected or forced).
	Delimiter rune
	// Header lists every column of the header line, mapped or not.
	Header []Column
	// Rows are the data rows in file order, each with its own errors.
	Rows []Row
}

// Column is one cell of the header line.
type Column struct {
	// Index is the column's 1-based position, as a spreadsheet counts.
	Index int
	// Name is the header cell as written, trimmed.
	Name string
	// Field is the canonical field the name maps to; empty for a column
	// that is ignored (unknown with Options.IgnoreUnknown, or unnamed).
	Field string
}

// Row is one data record. A row is importable when Errors is empty; a
// row with errors still carries every value that was valid, so that a
// report can show them.
type Row struct {
	// Line is the 1-based physical line where the record starts; a quoted
	// value with line breaks makes a record span several lines.
	Line int
	// Raw holds the record's values as read, trimmed, in column order.
	// It is personal data: never log it.
	Raw []string
	// Values maps a canonical field to its cleaned value, for the cells
	// that hold a valid value; empty and invalid cells are absent. A value
	// is written in the canonical form that Read reads back unchanged:
	// amounts in dinars with two decimals ("12500.50"; Record has
	// centimes), dates YYYY-MM-DD, phones E.164 joined by "/", the wilaya
	// code, type, kind, currency and language codes, names and text in NFC
	// with spaces collapsed (the description keeps its line breaks).
	Values map[string]string
	// Record is the typed row, with defaults applied; it is meaningful
	// only when Errors is empty.
	Record Record
	// Errors lists the row's problems, sorted by line and column.
	Errors []CellError
}

// OK reports whether the row can be imported.
func (r Row) OK() bool { return len(r.Errors) == 0 }

// Errors returns the problems of every row, in file order.
func (f *File) Errors() []CellError {
	var out []CellError
	for _, r := range f.Rows {
		out = append(out, r.Errors...)
	}
	return out
}

// CellError is one problem, where a spreadsheet user finds it. Its Reason
// never repeats the value (values are personal data) and is written for
// the person who fixes the file.
type CellError struct {
	// Line is the 1-based physical line of the cell (of the record start
	// for a problem of the whole row). It is always at least 1.
	Line int
	// Column is the 1-based column, or 0 when the problem is not in one
	// column (a missing header column, a size limit).
	Column int
	// Field is the canonical field of the column, when it has one.
	Field string
	// Reason says what is wrong and how to write it instead.
	Reason string
}

// Error implements error: "line 3, column 2 (principal): cannot be negative".
func (e CellError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (%s)", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// FileError is what stops a whole file: it is not UTF-8 or not a CSV
// file, it is too large, or its header is wrong. Problems lists every
// problem found at once, each with its line (at least 1).
type FileError struct {
	Problems []CellError
}

// maxProblemsInText bounds Error's text; Problems keeps them all.
const maxProblemsInText = 10

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("csv import: ")
	for i, p := range e.Problems {
		if i == maxProblemsInText {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

func fileErr(line, column int, field, reason string) *FileError {
	return &FileError{Problems: []CellError{{Line: line, Column: column, Field: field, Reason: reason}}}
}

// Read reads a creditor's debt file. It refuses the whole file, with a
// *FileError, when the file is too large, is not UTF-8 text, has more
// rows than allowed, or has a header that does not map to the format
// (unknown, duplicate or missing columns). Otherwise every row is
// returned, each with its own errors: a wrong value, a quote out of
// place, a row with more or fewer values than the header. An error from
// r itself is returned wrapped, as it is not the file's fault.
//
// The file is CSV (RFC 4180) in UTF-8 with or without a BOM. The
// delimiter, comma, semicolon, pipe or tab, is the one that splits the
// header line into the most known field names; an Excel "sep=;" first
// line names it instead. A value containing the delimiter, a quote or a
// line break is put in double quotes, with a quote inside doubled.
// Spaces around values are ignored (but, as encoding/csv has it, not
// after the closing quote of a quoted value), and so are lines without
// any value. A file with a header and no row reads as a File without
// rows: telling the creditor there is nothing to import is the caller's.
func Read(r io.Reader, opts Options) (*File, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("csv import options: %w", err)
	}
	opts.setDefaults()
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read csv file: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		line := 1 + bytes.Count(data[:opts.MaxBytes], []byte{'\n'})
		return nil, fileErr(line, 0, "", fmt.Sprintf("the file is larger than %s (the limit is reached on this line): split it into several files", sizeText(opts.MaxBytes)))
	}
	return parse(data, opts)
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// reader holds the state of one Read.
type reader struct {
	opts      Options
	lineShift int // lines consumed before the CSV data (a "sep=" line)
	header    []Column
	headerAt  int            // line of the header
	unnamed   bool           // the header has a column without a name
	seenRefs  map[string]int // external_ref → line of its first row
	validUTF8 bool
	badLine   int  // line of the first byte that is not UTF-8
	badByte   byte // that byte
}

func parse(data []byte, opts Options) (*File, error) {
	if err := sniff(data); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	rd := &reader{opts: opts, seenRefs: map[string]int{}, validUTF8: utf8.Valid(data)}

	delim := opts.Delimiter
	if d, rest, ok := sepLine(data); ok {
		if delim == 0 {
			delim = d
		}
		data, rd.lineShift = rest, 1
	}
	if !rd.validUTF8 {
		i := firstInvalidUTF8(string(data))
		rd.badLine = 1 + bytes.Count(data[:i], []byte{'\n'}) + rd.lineShift
		rd.badByte = data[i]
	}
	if delim == 0 {
		delim = detectDelimiter(data)
	}
	f := &File{Delimiter: delim}
	cr := newCSVReader(data, delim)

	if err := rd.readHeader(cr); err != nil {
		return nil, err
	}
	f.Header = rd.header

	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			// The fields before the one in error are complete; the
			// reader goes on at the line after the error.
			if err := rd.checkUTF8(cr, rec); err != nil {
				return nil, err
			}
			if rd.badLine > 0 && pe.StartLine <= rd.badLine && rd.badLine <= pe.Line {
				return nil, rd.notUTF8()
			}
			rows++
			if rows > opts.MaxRows {
				return nil, rd.tooManyRows(pe.StartLine)
			}
			f.Rows = append(f.Rows, Row{
				Line: pe.StartLine + rd.lineShift,
				Raw:  trimAll(rec),
				Errors: []CellError{{
					Line: pe.Line + rd.lineShift, Column: len(rec) + 1, Field: rd.fieldAt(len(rec)),
					Reason: quoteReason(pe.Err),
				}},
			})
			continue
		case err != nil:
			return nil, fmt.Errorf("read csv file: %w", err)
		}
		if err := rd.checkUTF8(cr, rec); err != nil {
			return nil, err
		}
		raw := trimAll(rec)
		if allEmpty(raw) {
			continue
		}
		rows++
		start, _ := cr.FieldPos(0)
		if rows > opts.MaxRows {
			return nil, rd.tooManyRows(start)
		}
		lines := make([]int, len(raw))
		for i := range raw {
			l, _ := cr.FieldPos(i)
			lines[i] = l + rd.lineShift
		}
		f.Rows = append(f.Rows, rd.row(start+rd.lineShift, lines, raw))
	}
	if !rd.validUTF8 {
		return nil, rd.notUTF8() // not reached: a safety net
	}
	return f, nil
}

// notUTF8 reports the first byte that is not UTF-8 by its line alone,
// when it sits in a record that did not parse into columns.
func (rd *reader) notUTF8() error {
	return fileErr(rd.badLine, 0, "", notUTF8Reason(rd.badByte))
}

func (rd *reader) tooManyRows(line int) error {
	return fileErr(line+rd.lineShift, 0, "", fmt.Sprintf("the file has more than %d rows: split it into several files", rd.opts.MaxRows))
}

// sniff recognises the files people send instead of CSV UTF-8.
func sniff(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")):
		return fileErr(1, 0, "", `the file is in UTF-16 ("Unicode text"): save it as "CSV UTF-8"`)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return fileErr(1, 0, "", `the file is a workbook (.xlsx or .ods), not CSV: save it as "CSV UTF-8"`)
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return fileErr(1, 0, "", `the file is an old Excel workbook (.xls), not CSV: save it as "CSV UTF-8"`)
	}
	return nil
}

// sepLine reads the "sep=;" line with which Excel names the delimiter.
func sepLine(data []byte) (rune, []byte, bool) {
	line, rest, found := bytes.Cut(data, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) != 5 || !bytes.EqualFold(line[:4], []byte("sep=")) {
		return 0, nil, false
	}
	d := rune(line[4])
	if !slices.Contains(delimiters, d) {
		return 0, nil, false
	}
	if !found {
		rest = nil
	}
	return d, rest, true
}

func newCSVReader(data []byte, delim rune) *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // counted per row, with a clearer message
	cr.LazyQuotes = false
	// `a, "b"` is common in hand-written files; with a tab delimiter the
	// trimming would eat empty fields.
	cr.TrimLeadingSpace = delim != '\t'
	return cr
}

// detectDelimiter returns the delimiter that splits the first non-empty
// record into the most distinct known field names, then the most fields.
func detectDelimiter(data []byte) rune {
	best, bestKnown, bestFields := delimiters[0], -1, -1
	for _, d := range delimiters {
		cr := newCSVReader(data, d)
		var rec []string
		for {
			r, err := cr.Read()
			var pe *csv.ParseError
			if err != nil && !errors.As(err, &pe) {
				break
			}
			if !blank(r) || err != nil {
				rec = r
				break
			}
		}
		known := map[string]bool{}
		for _, name := range rec {
			if f, ok := MatchHeader(name); ok {
				known[f] = true
			}
		}
		if len(known) > bestKnown || len(known) == bestKnown && len(rec) > bestFields {
			best, bestKnown, bestFields = d, len(known), len(rec)
		}
	}
	return best
}

// readHeader reads the first non-empty record and maps its columns,
// reporting every problem of the header at once.
func (rd *reader) readHeader(cr *csv.Reader) error {
	var rec []string
	for {
		r, err := cr.Read()
		if err == io.EOF {
			return fileErr(1+rd.lineShift, 0, "", "the file is empty: its first line must be the header naming the columns")
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fileErr(pe.Line+rd.lineShift, len(r)+1, "", "header: "+quoteReason(pe.Err))
		}
		if err != nil {
			return fmt.Errorf("read csv file: %w", err)
		}
		if err := rd.checkUTF8(cr, r); err != nil {
			return err
		}
		if !blank(r) {
			rec = r
			break
		}
	}
	line, _ := cr.FieldPos(0)
	rd.headerAt = line + rd.lineShift
	if len(rec) > MaxColumns {
		return fileErr(rd.headerAt, 0, "", fmt.Sprintf("the header has %d columns, more than %d: is this the right file, and are values separated by , ; | or tab?", len(rec), MaxColumns))
	}

	var problems []CellError
	at := map[string]int{} // field → column
	for i, raw := range rec {
		c := Column{Index: i + 1, Name: trim(raw)}
		l, _ := cr.FieldPos(i)
		l += rd.lineShift
		switch f, ok := MatchHeader(c.Name); {
		case c.Name == "":
			rd.unnamed = true
		case !ok:
			if !rd.opts.IgnoreUnknown {
				problems = append(problems, CellError{Line: l, Column: c.Index,
					Reason: fmt.Sprintf("unknown column %q: rename it to one of the documented names, or remove it", c.Name)})
			}
		case at[f] > 0:
			problems = append(problems, CellError{Line: l, Column: c.Index, Field: f,
				Reason: fmt.Sprintf("column %q is the same field (%s) as column %d (%q): keep only one", c.Name, f, at[f], rd.header[at[f]-1].Name)})
		default:
			c.Field = f
			at[f] = c.Index
		}
		rd.header = append(rd.header, c)
	}
	for _, f := range fields {
		if f.Required && at[f.Name] == 0 {
			problems = append(problems, CellError{Line: rd.headerAt, Field: f.Name,
				Reason: fmt.Sprintf("the required column %s is missing (it may also be named %s)", f.Name, aliasSample(f))})
		}
	}
	if at[FieldDebtorNIN] == 0 && at[FieldDebtorNIF] == 0 && at[FieldDebtorPhone] == 0 {
		problems = append(problems, CellError{Line: rd.headerAt,
			Reason: "the debtor must be identified: a column " + identifierFieldsText + " is required"})
	}
	if len(problems) > 0 {
		return &FileError{Problems: problems}
	}
	return nil
}

// aliasSample quotes a few aliases of a field for a message.
func aliasSample(f FieldInfo) string {
	a := f.Aliases
	if len(a) > 4 {
		a = a[:4]
	}
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// fieldAt is the field of the 0-based column i, if it has one.
func (rd *reader) fieldAt(i int) string {
	if i < len(rd.header) {
		return rd.header[i].Field
	}
	return ""
}

func quoteReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a double quote (") appears inside a value that does not start with one: put the whole value in double quotes and double the quote inside ("")`
	case errors.Is(err, csv.ErrQuote):
		return `a value in double quotes is not closed, or its closing quote is followed by other characters: double a quote inside a quoted value ("")`
	}
	return "is not valid CSV"
}

// checkUTF8 refuses a record holding bytes that are not UTF-8, naming the
// line and column of the first one. Files saved in a Windows code page
// (1252 for French, 1256 for Arabic) fail here, on their first accent.
func (rd *reader) checkUTF8(cr *csv.Reader, rec []string) error {
	if rd.validUTF8 {
		return nil
	}
	for i, v := range rec {
		j := firstInvalidUTF8(v)
		if j < 0 {
			continue
		}
		line, _ := cr.FieldPos(i)
		line += strings.Count(v[:j], "\n") + rd.lineShift
		return fileErr(line, i+1, rd.fieldAt(i), notUTF8Reason(v[j]))
	}
	return nil
}

func notUTF8Reason(b byte) string {
	return fmt.Sprintf(`the file is not UTF-8 text (byte 0x%02X): save it as "CSV UTF-8"; files in Windows-1252 or Windows-1256 (Arabic) are not accepted`, b)
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// trim removes spaces and the invisible marks that copy and paste leaves
// at the ends of a value: BOM, zero-width space, left-to-right and
// right-to-left marks.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' || r == '\u200e' || r == '\u200f'
	})
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, v := range rec {
		out[i] = trim(v)
	}
	return out
}

// blank tells a line that cannot be the header: only spaces and
// delimiters, whichever the delimiter ("  ", ";;;;", ",,,").
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.Trim(trim(v), ",;|\t ") != "" {
			return false
		}
	}
	return true
}

func allEmpty(rec []string) bool {
	for _, v := range rec {
		if v != "" {
			return false
		}
	}
	return true
}
