package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// Personal opens sealed personal parts. Keys are preloaded per batch, so a
// batch costs one key query however many people it touches.
type Personal interface {
	Open(ctx context.Context, subject string, sealed []byte, v any) error
	Preload(ctx context.Context, subjects []string) error
}

// Forgetter is implemented by a Personal that caches data keys
// (keyring.Keyring). The party projections tell it, once their batch has
// committed, to forget the people the batch erased; without it a process
// keeps opening their parts from its cache until the key is evicted.
type Forgetter interface {
	Forget(subject string)
}

// openPersonal opens a sealed part; erased reports a destroyed key, which is
// not an error: the person shows as erased.
func openPersonal(ctx context.Context, p Personal, subject string, sealed []byte, v any) (erased bool, err error) {
	if len(sealed) == 0 {
		return false, nil
	}
	err = p.Open(ctx, subject, sealed, v)
	if errors.Is(err, keyring.ErrErased) {
		return true, nil
	}
	return false, err
}

func subjectsOf(recs []Record, agg collection.AggregateType) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range recs {
		if r.Env.Aggregate.Type == agg && !seen[r.Env.Aggregate.ID] {
			seen[r.Env.Aggregate.ID] = true
			ids = append(ids, r.Env.Aggregate.ID)
		}
	}
	return ids
}

// checkVersion guards the read model against a gap or a replay: each event
// must take its aggregate exactly one version further.
func checkVersion(have int64, r Record) error {
	if r.Env.Aggregate.Version != have+1 {
		return fmt.Errorf("aggregate %s at version %d cannot take event version %d", r.Env.Aggregate.ID, have, r.Env.Aggregate.Version)
	}
	return nil
}

// partyFold is what differs between the creditor and debtor projections:
// how their rows are loaded, changed by one event, and written.
type partyFold[R any] struct {
	agg     collection.AggregateType
	load    func(ctx context.Context, q *store.Queries, ids []string) ([]R, error)
	idOf    func(*R) string
	version func(*R) int64
	// apply changes row (nil before the registration) by one event and
	// returns it; it does not touch the version or updated_at.
	apply func(ctx context.Context, row *R, r Record) (*R, error)
	// finish sets version and updated_at, and derived columns.
	finish func(row *R, r Record)
	write  func(ctx context.Context, q *store.Queries, rows []*R) error
}

// foldParties folds a batch into the stored rows of one aggregate type and
// writes each changed row once, whatever the number of its events.
func foldParties[R any](ctx context.Context, tx pgx.Tx, personal Personal, recs []Record, f partyFold[R]) error {
	ids := subjectsOf(recs, f.agg)
	if len(ids) == 0 {
		return nil
	}
	q := store.New(tx)
	existing, err := f.load(ctx, q, ids)
	if err != nil {
		return fmt.Errorf("load %ss: %w", f.agg, err)
	}
	rows := make(map[string]*R, len(ids))
	for i := range existing {
		rows[f.idOf(&existing[i])] = &existing[i]
	}
	if err := personal.Preload(ctx, ids); err != nil {
		return err
	}
	changed := make([]*R, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	var erasures []Record
	for _, r := range recs {
		if r.Env.Aggregate.Type != f.agg {
			continue
		}
		id := r.Env.Aggregate.ID
		row := rows[id]
		var have int64
		if row != nil {
			have = f.version(row)
		}
		if err := checkVersion(have, r); err != nil {
			return failAt(r, err)
		}
		if row, err = f.apply(ctx, row, r); err != nil {
			return failAt(r, err)
		}
		f.finish(row, r)
		rows[id] = row
		if !seen[id] {
			seen[id] = true
			changed = append(changed, row)
		}
		if _, ok := r.Event.(collection.PersonalErasure); ok {
			erasures = append(erasures, r)
		}
	}
	if err := f.write(ctx, q, changed); err != nil {
		return fmt.Errorf("write %ss: %w", f.agg, err)
	}
	for _, r := range erasures {
		if err := shred(ctx, q, r); err != nil {
			return err
		}
	}
	return nil
}

// shred crypto-shreds the person an erasure names, in the transaction that
// writes their row as erased: the data key is destroyed with the row's
// blanking, or neither happens, so a crash cannot leave a readable person
// shown as erased, nor the reverse. A replay (a rebuild) finds the key
// already destroyed and changes nothing. The person's NIN and NIF claims
// are released too (UniqueClaimsReleaseErased), so that they can be
// registered again as a new record; the time is the event's, never the
// clock's.
func shred(ctx context.Context, q *store.Queries, r Record) error {
	subject := r.Event.(collection.PersonalErasure).ErasedSubject()
	at := r.Env.OccurredAt
	if _, err := q.DataKeyDestroy(ctx, store.DataKeyDestroyParams{SubjectID: subject, DestroyedAt: &at}); err != nil {
		return fmt.Errorf("destroy the data key of %s: %w", subject, err)
	}
	if err := q.UniqueClaimsReleaseErased(ctx, subject); err != nil {
		return fmt.Errorf("release the claims of %s: %w", subject, err)
	}
	return nil
}

// forgetErased implements Committer for the party projections: the keys
// the batch destroyed leave the cache only now. Forgotten before the
// commit, a concurrent reader could load the key, still live in its
// snapshot, and cache it again.
func forgetErased(p Personal, agg collection.AggregateType, recs []Record) {
	f, ok := p.(Forgetter)
	if !ok {
		return
	}
	for _, r := range recs {
		if e, ok := r.Event.(collection.PersonalErasure); ok && r.Env.Aggregate.Type == agg {
			f.Forget(e.ErasedSubject())
		}
	}
}

// Creditors projects creditor events into the creditors table.
type Creditors struct{ personal Personal }

// NewCreditors returns the creditors projection.
func NewCreditors(p Personal) *Creditors { return &Creditors{personal: p} }

// Name implements Projection.
func (*Creditors) Name() string { return "creditors" }

// Tables implements Projection.
func (*Creditors) Tables() []string { return []string{"creditors"} }

// Committed implements Committer.
func (c *Creditors) Committed(recs []Record) {
	forgetErased(c.personal, collection.CreditorAggregate, recs)
}

// Apply implements Projection: it folds the batch in memory, starting from
// the stored rows, and writes each changed row once.
func (c *Creditors) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	return foldParties(ctx, tx, c.personal, recs, partyFold[store.Creditor]{
		agg: collection.CreditorAggregate,
		load: func(ctx context.Context, q *store.Queries, ids []string) ([]store.Creditor, error) {
			return q.CreditorsGetMany(ctx, ids)
		},
		idOf:    func(r *store.Creditor) string { return r.ID },
		version: func(r *store.Creditor) int64 { return r.Version },
		apply:   c.apply,
		finish: func(row *store.Creditor, r Record) {
			row.Version, row.UpdatedAt = r.Env.Aggregate.Version, r.Env.OccurredAt
			if row.Erased {
				blankCreditor(row)
			}
			row.Search = collection.SearchText(append([]string{row.Ref, row.Name, row.ContactName, row.Nif, row.Email},
				collection.PhoneSearchForms(row.Phone)...)...)
		},
		write: writeCreditors,
	})
}

func (c *Creditors) apply(ctx context.Context, row *store.Creditor, r Record) (*store.Creditor, error) {
	switch e := r.Event.(type) {
	case collection.CreditorRegistered:
		var p collection.CreditorPersonal
		erased, err := openPersonal(ctx, c.personal, e.ID, e.Personal, &p)
		if err != nil {
			return nil, err
		}
		row = &store.Creditor{
			ID: e.ID, Ref: e.Ref, Status: collection.StatusActive, CreatedAt: r.Env.OccurredAt,
			LegalForm: e.Profile.LegalForm, Sector: e.Profile.Sector, Wilaya: int32(e.Profile.Wilaya),
			CommissionBps: int32(e.Profile.CommissionBPS), Erased: erased,
		}
		setCreditorPersonal(row, p, collection.CreditorPersonalFields())
	case collection.CreditorUpdated:
		if row == nil {
			return nil, errors.New("update of an unknown creditor")
		}
		ch := e.Changes
		if ch.LegalForm != nil {
			row.LegalForm = *ch.LegalForm
		}
		if ch.Sector != nil {
			row.Sector = *ch.Sector
		}
		if ch.Wilaya != nil {
			row.Wilaya = int32(*ch.Wilaya)
		}
		if ch.CommissionBPS != nil {
			row.CommissionBps = int32(*ch.CommissionBPS)
		}
		var p collection.CreditorPersonal
		erased, err := openPersonal(ctx, c.personal, e.ID, e.Personal, &p)
		if err != nil {
			return nil, err
		}
		row.Erased = row.Erased || erased
		setCreditorPersonal(row, p, e.PersonalFields)
	case collection.CreditorArchived:
		if row == nil {
			return nil, errors.New("archive of an unknown creditor")
		}
		row.Status = collection.StatusArchived
	case collection.CreditorErased:
		if row == nil {
			return nil, errors.New("erasure of an unknown creditor")
		}
		row.Erased = true
	default:
		return nil, fmt.Errorf("creditors projection cannot apply %T", r.Event)
	}
	return row, nil
}

func writeCreditors(ctx context.Context, q *store.Queries, rows []*store.Creditor) error {
	var up store.CreditorsUpsertParams
	for _, row := range rows {
		up.ID = append(up.ID, row.ID)
		up.Ref = append(up.Ref, row.Ref)
		up.Status = append(up.Status, row.Status)
		up.Name = append(up.Name, row.Name)
		up.LegalForm = append(up.LegalForm, row.LegalForm)
		up.Nif = append(up.Nif, row.Nif)
		up.Rc = append(up.Rc, row.Rc)
		up.Sector = append(up.Sector, row.Sector)
		up.Wilaya = append(up.Wilaya, row.Wilaya)
		up.Address = append(up.Address, row.Address)
		up.Phone = append(up.Phone, row.Phone)
		up.Email = append(up.Email, row.Email)
		up.ContactName = append(up.ContactName, row.ContactName)
		up.CommissionBps = append(up.CommissionBps, row.CommissionBps)
		up.Erased = append(up.Erased, row.Erased)
		up.Search = append(up.Search, row.Search)
		up.Version = append(up.Version, row.Version)
		up.CreatedAt = append(up.CreatedAt, row.CreatedAt)
		up.UpdatedAt = append(up.UpdatedAt, row.UpdatedAt)
	}
	return q.CreditorsUpsert(ctx, up)
}

func setCreditorPersonal(row *store.Creditor, p collection.CreditorPersonal, fields []string) {
	for _, f := range fields {
		switch f {
		case "name":
			row.Name = p.Name
		case "nif":
			row.Nif = p.NIF
		case "rc":
			row.Rc = p.RC
		case "address":
			row.Address = p.Address
		case "phone":
			row.Phone = p.Phone
		case "email":
			row.Email = p.Email
		case "contact_name":
			row.ContactName = p.ContactName
		}
	}
}

func blankCreditor(row *store.Creditor) {
	row.Name, row.Nif, row.Rc, row.Address, row.Phone, row.Email, row.ContactName = "", "", "", "", "", "", ""
}

// Debtors projects debtor events into the debtors table.
type Debtors struct{ personal Personal }

// NewDebtors returns the debtors projection.
func NewDebtors(p Personal) *Debtors { return &Debtors{personal: p} }

// Name implements Projection.
func (*Debtors) Name() string { return "debtors" }

// Tables implements Projection.
func (*Debtors) Tables() []string { return []string{"debtors"} }

// Committed implements Committer.
func (d *Debtors) Committed(recs []Record) {
	forgetErased(d.personal, collection.DebtorAggregate, recs)
}

// Apply implements Projection, like Creditors.Apply.
func (d *Debtors) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	return foldParties(ctx, tx, d.personal, recs, partyFold[store.Debtor]{
		agg: collection.DebtorAggregate,
		load: func(ctx context.Context, q *store.Queries, ids []string) ([]store.Debtor, error) {
			return q.DebtorsGetMany(ctx, ids)
		},
		idOf:    func(r *store.Debtor) string { return r.ID },
		version: func(r *store.Debtor) int64 { return r.Version },
		apply:   d.apply,
		finish: func(row *store.Debtor, r Record) {
			row.Version, row.UpdatedAt = r.Env.Aggregate.Version, r.Env.OccurredAt
			if row.Erased {
				blankDebtor(row)
			}
			parts := []string{row.Ref, row.FullName, row.Nin, row.Nif, row.Rc, row.Email}
			for _, ph := range row.Phones {
				parts = append(parts, collection.PhoneSearchForms(ph)...)
			}
			row.Search = collection.SearchText(parts...)
		},
		write: writeDebtors,
	})
}

func (d *Debtors) apply(ctx context.Context, row *store.Debtor, r Record) (*store.Debtor, error) {
	switch e := r.Event.(type) {
	case collection.DebtorRegistered:
		var p collection.DebtorPersonal
		erased, err := openPersonal(ctx, d.personal, e.ID, e.Personal, &p)
		if err != nil {
			return nil, err
		}
		row = &store.Debtor{
			ID: e.ID, Ref: e.Ref, Status: collection.StatusActive, Kind: e.Profile.Kind,
			Wilaya: int32(e.Profile.Wilaya), PreferredChannel: e.Profile.PreferredChannel,
			Language: e.Profile.Language, Phones: []string{}, Erased: erased, CreatedAt: r.Env.OccurredAt,
		}
		setDebtorPersonal(row, p, collection.DebtorPersonalFields())
	case collection.DebtorUpdated:
		if row == nil {
			return nil, errors.New("update of an unknown debtor")
		}
		ch := e.Changes
		if ch.Wilaya != nil {
			row.Wilaya = int32(*ch.Wilaya)
		}
		if ch.PreferredChannel != nil {
			row.PreferredChannel = *ch.PreferredChannel
		}
		if ch.Language != nil {
			row.Language = *ch.Language
		}
		var p collection.DebtorPersonal
		erased, err := openPersonal(ctx, d.personal, e.ID, e.Personal, &p)
		if err != nil {
			return nil, err
		}
		row.Erased = row.Erased || erased
		setDebtorPersonal(row, p, e.PersonalFields)
	case collection.DebtorArchived:
		if row == nil {
			return nil, errors.New("archive of an unknown debtor")
		}
		row.Status = collection.StatusArchived
	case collection.DebtorErased:
		if row == nil {
			return nil, errors.New("erasure of an unknown debtor")
		}
		row.Erased = true
	default:
		return nil, fmt.Errorf("debtors projection cannot apply %T", r.Event)
	}
	return row, nil
}

func writeDebtors(ctx context.Context, q *store.Queries, rows []*store.Debtor) error {
	var up store.DebtorsUpsertParams
	for _, row := range rows {
		up.ID = append(up.ID, row.ID)
		up.Ref = append(up.Ref, row.Ref)
		up.Status = append(up.Status, row.Status)
		up.Kind = append(up.Kind, row.Kind)
		up.FullName = append(up.FullName, row.FullName)
		up.Nin = append(up.Nin, row.Nin)
		up.Nif = append(up.Nif, row.Nif)
		up.Rc = append(up.Rc, row.Rc)
		// unnest flattens nested arrays: phones travel newline-joined.
		up.Phones = append(up.Phones, strings.Join(row.Phones, "\n"))
		up.Email = append(up.Email, row.Email)
		up.Address = append(up.Address, row.Address)
		up.Wilaya = append(up.Wilaya, row.Wilaya)
		up.PreferredChannel = append(up.PreferredChannel, row.PreferredChannel)
		up.Language = append(up.Language, row.Language)
		up.Erased = append(up.Erased, row.Erased)
		up.Search = append(up.Search, row.Search)
		up.Version = append(up.Version, row.Version)
		up.CreatedAt = append(up.CreatedAt, row.CreatedAt)
		up.UpdatedAt = append(up.UpdatedAt, row.UpdatedAt)
	}
	return q.DebtorsUpsert(ctx, up)
}

func setDebtorPersonal(row *store.Debtor, p collection.DebtorPersonal, fields []string) {
	for _, f := range fields {
		switch f {
		case "full_name":
			row.FullName = p.FullName
		case "nin":
			row.Nin = p.NIN
		case "nif":
			row.Nif = p.NIF
		case "rc":
			row.Rc = p.RC
		case "phones":
			row.Phones = append([]string{}, p.Phones...)
		case "email":
			row.Email = p.Email
		case "address":
			row.Address = p.Address
		}
	}
}

func blankDebtor(row *store.Debtor) {
	row.FullName, row.Nin, row.Nif, row.Rc, row.Email, row.Address = "", "", "", "", "", ""
	row.Phones = []string{}
}
