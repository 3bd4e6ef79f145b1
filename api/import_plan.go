package api

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/importcsv"
	"github.com/adc-dz/tahsil/store"
)

// The first two steps of an import: every row validated, then matched to
// the debts and debtors that exist, with a few batched queries.

// debtFields and debtorFields name the file's column of each input field
// of collection.DebtInput and DebtorInput.
var (
	debtFields = map[string]string{
		"external_ref": importcsv.FieldExternalRef, "type": importcsv.FieldType, "principal": importcsv.FieldPrincipal,
		"fees": importcsv.FieldFees, "currency": importcsv.FieldCurrency, "acknowledged_on": importcsv.FieldAcknowledgedOn,
		"original_due_on": importcsv.FieldOriginalDueOn, "description": importcsv.FieldDescription,
	}
	debtorFields = map[string]string{
		"kind": importcsv.FieldDebtorKind, "full_name": importcsv.FieldDebtorFullName, "nin": importcsv.FieldDebtorNIN,
		"nif": importcsv.FieldDebtorNIF, "rc": importcsv.FieldDebtorRC, "phones": importcsv.FieldDebtorPhone,
		"email": importcsv.FieldDebtorEmail, "address": importcsv.FieldDebtorAddress, "wilaya": importcsv.FieldDebtorWilaya,
		"language": importcsv.FieldDebtorLanguage,
	}
)

// inputErrors turns a validation error into the row's cell errors.
func (r *importRun) inputErrors(line int, err error, columns map[string]string) []ImportError {
	rej, ok := collection.AsRejection(err)
	if !ok || len(rej.Errors) == 0 {
		return []ImportError{{Line: line, Reason: "is invalid"}}
	}
	out := make([]ImportError, 0, len(rej.Errors))
	for _, fe := range rej.Errors {
		name, _, _ := strings.Cut(fe.Field, "[") // phones[1] is the phone column
		field := columns[name]
		reason := fe.Reason
		if field == "" && fe.Field != "" {
			reason = fe.Field + ": " + reason
		}
		out = append(out, r.cellError(line, field, reason))
	}
	return out
}

// plan validates and matches every row (steps 1 and 2) and returns the
// rows to create, in file order; every other row has its result.
func (r *importRun) plan(ctx context.Context) ([]*importRow, error) {
	var cands []*importRow
	seen := map[string]int{} // debt key → line of its first row
	for i := range r.p.file.Rows {
		row := &r.p.file.Rows[i]
		if !row.OK() {
			errs := make([]ImportError, len(row.Errors))
			for j, e := range row.Errors {
				errs[j] = ImportError{Line: e.Line, Column: e.Column, Field: e.Field, Reason: e.Reason}
			}
			r.failRow(errs...)
			continue
		}
		rec := &row.Record
		typ := rec.Type
		if typ == "" {
			typ = collection.DebtTypeOther
		}
		cmd, text, err := collection.DebtInput{
			// The debtor is resolved below; the creditor's id stands in
			// for it so that the rest is validated now.
			CreditorID: r.creditor, DebtorID: r.creditor,
			ExternalRef: rec.ExternalRef, Type: typ, Principal: rec.Principal, Fees: rec.Fees, Currency: rec.Currency,
			AcknowledgedOn: rec.AcknowledgedOn, OriginalDueOn: rec.OriginalDueOn, Description: rec.Description,
		}.Validate()
		if err != nil {
			r.failRow(r.inputErrors(row.Line, err, debtFields)...)
			continue
		}
		key := r.creditor + "|" + strings.ToLower(cmd.ExternalRef)
		if at, dup := seen[key]; dup {
			r.failRow(r.cellError(row.Line, importcsv.FieldExternalRef,
				fmt.Sprintf("is the same reference as the row on line %d (letter case aside): each debt appears once", at)))
			continue
		}
		seen[key] = row.Line
		cands = append(cands, &importRow{line: row.Line, rec: rec, cmd: cmd, text: text, extKey: key})
	}

	// Debts that exist: their rows are unchanged.
	keys := make([]string, len(cands))
	for i, c := range cands {
		keys[i] = c.extKey
	}
	holders, err := r.claimHolders(ctx, "debt_external_ref", keys)
	if err != nil {
		return nil, err
	}
	var debtIDs []string
	for _, h := range holders {
		debtIDs = append(debtIDs, h.AggregateID)
	}
	existing := map[string]bool{}
	for ids := range slices.Chunk(debtIDs, importLookupBatch) {
		debts, err := r.s.q.DebtsGetMany(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("match debts: %w", err)
		}
		for _, d := range debts {
			existing[d.ID] = true
		}
	}
	now := r.im.cfg.Now().UTC()
	var creates []*importRow
	for _, c := range cands {
		h, held := holders[c.extKey]
		switch {
		case !held:
			creates = append(creates, c)
		case existing[h.AggregateID]:
			r.rowDone(false)
		case now.Sub(h.ClaimedAt) < claimGrace:
			r.failRow(r.cellError(c.line, importcsv.FieldExternalRef,
				"a debt with this reference is being opened right now (by another import or request): import the file again in a few minutes"))
		default: // claimed by a debt that never came to be: taken over when applying
			creates = append(creates, c)
		}
	}
	return r.matchDebtors(ctx, creates)
}

// claimHolders returns the claims held on values of a kind, by value.
func (r *importRun) claimHolders(ctx context.Context, kind string, values []string) (map[string]store.UniqueClaim, error) {
	out := map[string]store.UniqueClaim{}
	for chunk := range slices.Chunk(values, importLookupBatch) {
		kinds := make([]string, len(chunk))
		digests := make([][]byte, len(chunk))
		byDigest := make(map[string]string, len(chunk))
		for i, v := range chunk {
			kinds[i], digests[i] = kind, r.s.digest(kind, v)
			byDigest[string(digests[i])] = v
		}
		rows, err := r.s.q.ImportClaimsGet(ctx, store.ImportClaimsGetParams{Kind: kinds, Digest: digests})
		if err != nil {
			return nil, fmt.Errorf("look up %s claims: %w", kind, err)
		}
		for _, row := range rows {
			out[byDigest[string(row.Digest)]] = row
		}
	}
	return out, nil
}

// matchDebtors finds each row's debtor: the one holding its NIN or NIF;
// without either, the one debtor with one of its phone numbers; else a
// new debtor, shared by the rows of the file that name it alike. It
// returns the rows that go on.
func (r *importRun) matchDebtors(ctx context.Context, rows []*importRow) ([]*importRow, error) {
	var nins, nifs, phones []string
	for _, row := range rows {
		d := row.rec.Debtor
		switch {
		case d.NIN != "" || d.NIF != "":
			if d.NIN != "" {
				nins = append(nins, d.NIN)
			}
			if d.NIF != "" {
				nifs = append(nifs, d.NIF)
			}
		default:
			phones = append(phones, d.Phones...)
		}
	}
	ninHolders, err := r.claimHolders(ctx, "debtor_nin", nins)
	if err != nil {
		return nil, err
	}
	nifHolders, err := r.claimHolders(ctx, "debtor_nif", nifs)
	if err != nil {
		return nil, err
	}
	byPhone := map[string][]string{} // phone → debtor ids
	var ids []string
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(phones))), importLookupBatch) {
		var scope *string
		if r.p.req.CreditorScoped {
			scope = &r.creditor
		}
		found, err := r.s.q.ImportDebtorsByPhone(ctx, store.ImportDebtorsByPhoneParams{Phones: chunk, ScopeCreditor: scope})
		if err != nil {
			return nil, fmt.Errorf("match debtors by phone: %w", err)
		}
		for _, d := range found {
			for _, p := range d.Phones {
				byPhone[p] = append(byPhone[p], d.ID)
			}
			ids = append(ids, d.ID)
		}
	}
	for _, h := range ninHolders {
		ids = append(ids, h.AggregateID)
	}
	for _, h := range nifHolders {
		ids = append(ids, h.AggregateID)
	}
	debtors := map[string]store.Debtor{}
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), importLookupBatch) {
		found, err := r.s.q.DebtorsGetMany(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("match debtors: %w", err)
		}
		for _, d := range found {
			debtors[d.ID] = d
		}
	}

	now := r.im.cfg.Now().UTC()
	// holder is the existing debtor holding a value; inFlight says one is
	// being registered (its claim is recent, the read model lacks it).
	holder := func(claims map[string]store.UniqueClaim, v string) (id string, inFlight bool) {
		c, ok := claims[v]
		if !ok {
			return "", false
		}
		if _, ok := debtors[c.AggregateID]; ok {
			return c.AggregateID, false
		}
		return "", now.Sub(c.ClaimedAt) < claimGrace
	}
	g := &debtorGroups{index: map[string]*importDebtor{}}
	var out []*importRow
	for _, row := range rows {
		d := row.rec.Debtor
		if d.NIN != "" || d.NIF != "" {
			byNIN, ninFlight := holder(ninHolders, d.NIN)
			byNIF, nifFlight := holder(nifHolders, d.NIF)
			switch {
			case byNIN != "" && byNIF != "" && byNIN != byNIF:
				r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIF, "the NIN and the NIF are those of two different debtors"))
				continue
			case ninFlight && byNIF == "" || nifFlight && byNIN == "":
				field := importcsv.FieldDebtorNIN
				if !ninFlight {
					field = importcsv.FieldDebtorNIF
				}
				r.failRow(r.cellError(row.line, field,
					"a debtor with this identifier is being registered right now: import the file again in a few minutes"))
				continue
			case byNIN != "" || byNIF != "":
				if r.useExisting(row, debtors[cmp.Or(byNIN, byNIF)], byNIN != "") {
					out = append(out, row)
				}
				continue
			}
		} else {
			var found []string
			for _, p := range d.Phones {
				for _, id := range byPhone[p] {
					if !slices.Contains(found, id) {
						found = append(found, id)
					}
				}
			}
			switch {
			case len(found) > 1:
				r.failRow(r.cellError(row.line, importcsv.FieldDebtorPhone,
					"several debtors have this phone number: give the debtor's NIN or NIF"))
				continue
			case len(found) == 1:
				if r.useExisting(row, debtors[found[0]], false) {
					out = append(out, row)
				}
				continue
			}
		}
		if r.join(g, row) {
			out = append(out, row)
		}
	}

	// A new debtor is registered from the first of its rows whose debtor
	// fields pass the rules of a debtor's registration; its other rows
	// name it and need not (a known debtor's fields are not read either).
	// When no row passes, every row of it fails with its own problems.
	failed := map[*importDebtor]bool{}
	for _, nd := range g.list {
		problems := map[*importRow][]ImportError{}
		for _, m := range nd.members {
			d := m.rec.Debtor
			profile, personal, err := collection.DebtorInput{
				Kind: d.Kind, FullName: d.FullName, NIN: d.NIN, NIF: d.NIF, RC: d.RC, Phones: d.Phones,
				Email: d.Email, Address: d.Address, Wilaya: d.Wilaya, Language: d.Language,
			}.Validate()
			if err == nil {
				nd.founded, nd.profile, nd.personal = true, profile, personal
				break
			}
			problems[m] = r.inputErrors(m.line, err, debtorFields)
		}
		if !nd.founded {
			failed[nd] = true
			for _, m := range nd.members {
				r.failRow(problems[m]...)
			}
		}
	}
	return slices.DeleteFunc(out, func(row *importRow) bool { return row.group != nil && failed[row.group] }), nil
}

// useExisting makes an existing debtor the row's, when it may receive a
// debt and its identifiers agree with the row's.
func (r *importRun) useExisting(row *importRow, d store.Debtor, byNIN bool) bool {
	in := row.rec.Debtor
	field := importcsv.FieldDebtorPhone
	switch {
	case byNIN:
		field = importcsv.FieldDebtorNIN
	case in.NIF != "":
		field = importcsv.FieldDebtorNIF
	}
	switch {
	case d.Status != collection.StatusActive:
		r.failRow(r.cellError(row.line, field, "the debtor with this identifier is "+d.Status+": it cannot receive new debts"))
		return false
	case in.NIN != "" && d.Nin != "" && d.Nin != in.NIN:
		r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIN, "the debtor found by its NIF has another NIN"))
		return false
	case in.NIF != "" && d.Nif != "" && d.Nif != in.NIF:
		r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIF, "the debtor found by its NIN has another NIF"))
		return false
	}
	row.debtorID = d.ID
	return true
}

// debtorGroups gathers the rows naming the same new debtor.
type debtorGroups struct {
	index map[string]*importDebtor // "nin:…", "nif:…", "tel:…" → debtor
	list  []*importDebtor
}

// join adds a row to the new debtor it names, by NIN or NIF or, without
// either, by phone, or starts one.
func (r *importRun) join(g *debtorGroups, row *importRow) bool {
	d := row.rec.Debtor
	var lookup []string
	if d.NIN != "" {
		lookup = append(lookup, "nin:"+d.NIN)
	}
	if d.NIF != "" {
		lookup = append(lookup, "nif:"+d.NIF)
	}
	byPhone := len(lookup) == 0
	if byPhone {
		for _, p := range d.Phones {
			lookup = append(lookup, "tel:"+p)
		}
	}
	var nd *importDebtor
	for _, k := range lookup {
		other := g.index[k]
		switch {
		case other == nil:
		case nd == nil:
			nd = other
		case other != nd:
			if byPhone {
				r.failRow(r.cellError(row.line, importcsv.FieldDebtorPhone, fmt.Sprintf(
					"these phone numbers are those of two different debtors of this file (lines %d and %d): give the debtor's NIN or NIF",
					nd.line, other.line)))
			} else {
				r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIF, fmt.Sprintf(
					"the NIN and the NIF are those of two different debtors of this file (lines %d and %d)", nd.line, other.line)))
			}
			return false
		}
	}
	if nd != nil {
		switch {
		case d.NIN != "" && nd.nin != "" && d.NIN != nd.nin:
			r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIN,
				fmt.Sprintf("the debtor of line %d has the same NIF but another NIN", nd.line)))
			return false
		case d.NIF != "" && nd.nif != "" && d.NIF != nd.nif:
			r.failRow(r.cellError(row.line, importcsv.FieldDebtorNIF,
				fmt.Sprintf("the debtor of line %d has the same NIN but another NIF", nd.line)))
			return false
		}
	} else {
		nd = &importDebtor{line: row.line}
		g.list = append(g.list, nd)
	}
	nd.nin, nd.nif = cmp.Or(nd.nin, d.NIN), cmp.Or(nd.nif, d.NIF)
	nd.members = append(nd.members, row)
	row.group = nd
	for _, k := range lookup {
		g.index[k] = nd
	}
	if !byPhone {
		// A later row without NIN or NIF names this debtor by its phone,
		// as it would once the debtor is registered.
		for _, p := range d.Phones {
			if g.index["tel:"+p] == nil {
				g.index["tel:"+p] = nd
			}
		}
	}
	return true
}
