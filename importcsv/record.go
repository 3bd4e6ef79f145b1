package importcsv

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/adc-dz/tahsil/collection"
)

// Currency is the only currency of an import: amounts are Algerian dinars.
const Currency = "DZD"

// Record is a row's debt and debtor, typed and normalised. Optional
// fields the row left empty are zero, except Currency (DZD) and
// Debtor.Kind (inferred, see FieldDebtorKind).
type Record struct {
	ExternalRef string
	// Type is a debt type code (commercial, personal, utility, loan, rent,
	// cheque, other), or "" when the file does not say: the caller then
	// chooses, as the domain requires one.
	Type string
	// Principal and Fees are in centimes of DZD.
	Principal int64
	Fees      int64
	Currency  string
	// AcknowledgedOn and OriginalDueOn are civil dates, YYYY-MM-DD;
	// AcknowledgedOn is "" when not given.
	AcknowledgedOn string
	OriginalDueOn  string
	Description    string
	Debtor         Debtor
}

// Debtor is the debtor of a Record, normalised as the domain's
// validators do (collection.DebtorInput), so that it can be registered or
// matched to a known debtor.
type Debtor struct {
	// Kind is collection.DebtorPerson or collection.DebtorCompany.
	Kind     string
	FullName string
	NIN      string // 18 digits, or ""
	NIF      string // 15 or 20 digits, or ""
	RC       string
	// Phones are mobile numbers in E.164 (+213…), distinct, at most
	// collection.MaxPhones.
	Phones  []string
	Email   string
	Address string
	// Wilaya is the wilaya code, 0 when not given.
	Wilaya int
	// Language is ar, fr or en, or "" when not given (the domain then
	// applies collection.DefaultLanguage).
	Language string
}

// Limits of free-text fields, in characters.
const (
	MaxExternalRefLength = 64
	MaxDescriptionLength = 2000
)

// cell is a non-empty value of a mapped column.
type cell struct {
	raw    string
	line   int
	column int
}

// row checks one record whose values are trimmed and not all empty.
// lines gives each value's physical line.
func (rd *reader) row(line int, lines []int, raw []string) Row {
	r := Row{Line: line, Raw: raw}
	width := len(rd.header)
	if len(raw) < width {
		r.Errors = append(r.Errors, CellError{Line: line, Column: len(raw) + 1, Field: rd.fieldAt(len(raw)),
			Reason: fmt.Sprintf("the row has %d values but the header has %d columns: a value is missing, or a line break in a value is not inside double quotes", len(raw), width)})
		return r
	}
	for i := width; i < len(raw); i++ {
		if raw[i] != "" {
			r.Errors = append(r.Errors, CellError{Line: lines[i], Column: i + 1,
				Reason: fmt.Sprintf("the row has a value beyond the %d columns of the header: a value containing the delimiter must be put in double quotes", width)})
			return r
		}
	}

	cells := map[string]cell{}
	for i, c := range rd.header {
		if raw[i] == "" {
			continue
		}
		if c.Field == "" {
			if rd.unnamed && c.Name == "" && !rd.opts.IgnoreUnknown {
				r.Errors = append(r.Errors, CellError{Line: lines[i], Column: c.Index,
					Reason: "the column has no name in the header: name it, or leave its values empty"})
			}
			continue
		}
		cells[c.Field] = cell{raw: raw[i], line: lines[i], column: c.Index}
	}
	v := &rowValues{rd: rd, row: &r, cells: cells, values: map[string]string{}}
	v.check()
	r.Values = v.values
	return r
}

// rowValues accumulates the cleaned values and the errors of one row.
type rowValues struct {
	rd     *reader
	row    *Row
	cells  map[string]cell
	values map[string]string
}

func (v *rowValues) fail(field string, c cell, reason string) {
	v.row.Errors = append(v.row.Errors, CellError{Line: c.line, Column: c.column, Field: field, Reason: reason})
}

// text runs check on the field's value; it returns "" when the cell is
// empty or wrong (the error then recorded).
func (v *rowValues) text(field string, check func(string) (string, error)) string {
	c, ok := v.cells[field]
	if !ok {
		return ""
	}
	out, err := check(c.raw)
	if err != nil {
		v.fail(field, c, reason(err))
		return ""
	}
	v.values[field] = out
	return out
}

// reason is the text of a validation error: a domain ValueError's reason
// as the API gives it; any other error is a bug, not the file's fault.
func reason(err error) string {
	var ve *collection.ValueError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return "is invalid"
}

func (v *rowValues) amount(field string, positive bool) int64 {
	c, ok := v.cells[field]
	if !ok {
		return 0
	}
	n, err := parseAmount(c.raw)
	if err == nil && positive && n == 0 {
		err = invalid("must be more than 0")
	}
	if err != nil {
		v.fail(field, c, reason(err))
		return 0
	}
	v.values[field] = formatAmount(n)
	return n
}

func (v *rowValues) check() {
	rec := &v.row.Record
	d := &rec.Debtor

	rec.ExternalRef = v.text(FieldExternalRef, plainText(MaxExternalRefLength))
	rec.Type = v.text(FieldType, parseType)
	rec.Principal = v.amount(FieldPrincipal, true)
	rec.Fees = v.amount(FieldFees, false)
	if rec.Principal+rec.Fees > MaxAmount {
		v.fail(FieldFees, v.cells[FieldFees], "principal and fees together must be at most "+formatAmount(MaxAmount)+" DZD")
		delete(v.values, FieldFees)
		rec.Fees = 0
	}
	rec.Currency = Currency
	v.text(FieldCurrency, parseCurrency)
	rec.AcknowledgedOn = v.text(FieldAcknowledgedOn, parseDate)
	rec.OriginalDueOn = v.text(FieldOriginalDueOn, parseDate)
	rec.Description = v.text(FieldDescription, multiline(MaxDescriptionLength))

	kind := v.text(FieldDebtorKind, parseKind)
	_, kindGiven := v.cells[FieldDebtorKind]
	if !kindGiven {
		kind = inferKind(v.cells)
	}
	d.Kind = kind
	switch kind {
	case collection.DebtorPerson:
		d.FullName = v.text(FieldDebtorFullName, collection.ValidatePersonName)
	default: // a company, or a kind in error: the laxer rule avoids a second error
		d.FullName = v.text(FieldDebtorFullName, collection.ValidateCompanyName)
	}
	d.NIN = v.text(FieldDebtorNIN, func(s string) (string, error) {
		if kind == collection.DebtorCompany {
			return "", invalid("a company has no NIN; give its NIF")
		}
		return spreadsheetNumber(s, "NIN", collection.ValidateNIN)
	})
	d.NIF = v.text(FieldDebtorNIF, func(s string) (string, error) {
		return spreadsheetNumber(s, "NIF", collection.ValidateNIF)
	})
	d.RC = v.text(FieldDebtorRC, func(s string) (string, error) {
		if kind == collection.DebtorPerson {
			return "", invalid("a person has no RC: record a trader registered at the CNRC as a company")
		}
		return validateRC(s)
	})
	if p := v.text(FieldDebtorPhone, parsePhones); p != "" {
		d.Phones = splitPhones(p)
	}
	d.Email = v.text(FieldDebtorEmail, collection.NormalizeEmail)
	d.Address = v.text(FieldDebtorAddress, plainText(collection.MaxAddressLength))
	if w := v.text(FieldDebtorWilaya, parseWilaya); w != "" {
		d.Wilaya, _ = strconv.Atoi(w)
	}
	d.Language = v.text(FieldDebtorLanguage, parseLanguage)

	v.checkRow()
	slices.SortStableFunc(v.row.Errors, func(a, b CellError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// checkRow checks what concerns several cells: required values, the
// debtor's identification and the uniqueness of the reference.
func (v *rowValues) checkRow() {
	line := v.row.Line
	for _, f := range fields {
		if !f.Required {
			continue
		}
		if _, ok := v.cells[f.Name]; !ok {
			col := v.rd.columnOf(f.Name)
			v.row.Errors = append(v.row.Errors, CellError{Line: line, Column: col, Field: f.Name, Reason: "is required"})
		}
	}
	identified := false
	first := ""
	for _, f := range []string{FieldDebtorNIN, FieldDebtorNIF, FieldDebtorPhone} {
		if _, ok := v.cells[f]; ok {
			identified = true
		}
		if first == "" && v.rd.columnOf(f) > 0 {
			first = f
		}
	}
	if !identified {
		v.row.Errors = append(v.row.Errors, CellError{Line: line, Column: v.rd.columnOf(first), Field: first,
			Reason: "the debtor must be identified: give a NIN, a NIF or a phone number"})
	}
	if ref := v.row.Record.ExternalRef; ref != "" {
		if at, dup := v.rd.seenRefs[ref]; dup {
			c := v.cells[FieldExternalRef]
			v.fail(FieldExternalRef, c, fmt.Sprintf("is the same reference as the row on line %d: each debt appears once", at))
		} else {
			v.rd.seenRefs[ref] = line
		}
	}
}

// columnOf is the 1-based column of a field, 0 when the header lacks it.
func (rd *reader) columnOf(field string) int {
	for _, c := range rd.header {
		if c.Field == field {
			return c.Index
		}
	}
	return 0
}

// inferKind guesses the kind of a debtor whose row does not say: only a
// company has an RC, and a NIF without a NIN is a company's.
func inferKind(cells map[string]cell) string {
	_, rc := cells[FieldDebtorRC]
	_, nif := cells[FieldDebtorNIF]
	_, nin := cells[FieldDebtorNIN]
	if rc || nif && !nin {
		return collection.DebtorCompany
	}
	return collection.DebtorPerson
}
