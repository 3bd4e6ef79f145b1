package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/importcsv"
	"github.com/adc-dz/tahsil/store"
)

// The last step of an import: the rows to create get their claims, keys
// and commands, submitted by a pool of workers.

// apply opens the debts of rows (step 3): a planner claims and keys them
// chunk by chunk while the workers submit the commands.
func (r *importRun) apply(ctx context.Context, rows []*importRow) error {
	// Commands in flight when ctx ends are given importDrainGrace to be
	// decided: a row is then either applied and counted, or not sent.
	rowCtx, cancelRows := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRows()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(importDrainGrace, cancelRows) })
	defer stopDrain()

	tasks := make(chan *importRow, importChunk)
	var wg sync.WaitGroup
	for range r.im.cfg.Workers {
		wg.Go(func() {
			for row := range tasks {
				r.openDebt(ctx, rowCtx, row)
			}
		})
	}
	var planErr error
	var unsent []*importRow
plan:
	for start := 0; start < len(rows); start += importChunk {
		chunk := rows[start:min(start+importChunk, len(rows))]
		if ctx.Err() != nil {
			unsent = rows[start:]
			break
		}
		// A chunk once begun is prepared whole, so that what it claimed is
		// known, and given back if its rows are not sent.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		err := r.prepareChunk(pctx, chunk)
		cancel()
		if err != nil {
			planErr = err
			unsent = rows[start:]
			break
		}
		for i, row := range chunk {
			if row.skip {
				continue
			}
			select {
			case tasks <- row:
			case <-ctx.Done():
				unsent = rows[start+i:]
				break plan
			}
		}
	}
	close(tasks)
	wg.Wait()
	// What was claimed for rows never sent, or for debtors never
	// registered, is given back, so that the next run claims it at once.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, row := range unsent {
		r.release(rctx, row.claims)
	}
	for _, row := range rows {
		if g := row.group; g != nil {
			g.once.Do(func() {
				g.err = "not registered: the import was stopped"
				r.release(rctx, g.claims)
			})
		}
	}
	return planErr
}

func (r *importRun) release(ctx context.Context, claims []claimed) {
	for _, c := range claims {
		r.s.release(ctx, c.kind, c.value, c.aggregateID)
	}
}

// prepareChunk gives the rows of a chunk, and the new debtors they are the
// first to name, their ids, references, claims, data keys and sealed
// personal parts. A row whose reference was taken meanwhile gets its
// result and is skipped.
func (r *importRun) prepareChunk(ctx context.Context, chunk []*importRow) error {
	type want struct {
		claimed
		row    *importRow
		debtor *importDebtor
	}
	var wants []want
	var newDebtors []*importDebtor
	for _, row := range chunk {
		if g := row.group; g != nil && g.id == "" {
			g.id = newID()
			ref, err := newRef("D")
			if err != nil {
				return err
			}
			g.ref = ref
			newDebtors = append(newDebtors, g)
			wants = append(wants, want{claimed: claimed{"ref", ref, g.id}, debtor: g})
			for field, v := range debtorClaims(g.personal.NIN, g.personal.NIF) {
				wants = append(wants, want{claimed: claimed{"debtor_" + field, v, g.id}, debtor: g})
			}
		}
		row.id = newID()
		ref, err := newRef("F")
		if err != nil {
			return err
		}
		row.ref = ref
		wants = append(wants, want{claimed: claimed{"debt_external_ref", row.extKey, row.id}, row: row},
			want{claimed: claimed{"ref", ref, row.id}, row: row})
	}
	claims := make([]claimed, len(wants))
	for i, w := range wants {
		claims[i] = w.claimed
	}
	won, err := claimBatch(ctx, r.s.q, r.s.digest, r.im.cfg.Now().UTC(), claims)
	if err != nil {
		return err
	}
	var lost []want
	for i, w := range wants {
		switch {
		case !won[i]:
			lost = append(lost, w)
		case w.row != nil:
			w.row.claims = append(w.row.claims, w.claimed)
		default:
			w.debtor.claims = append(w.debtor.claims, w.claimed)
		}
	}
	// Taken meanwhile, or held by an aggregate that never came to be:
	// claimed alone, with the API's rules.
	for _, w := range lost {
		if err := r.claimAlone(ctx, w.claimed, w.row, w.debtor); err != nil {
			return err
		}
	}

	var keyed []string
	for _, g := range newDebtors {
		if g.lost == "" {
			keyed = append(keyed, g.id)
		}
	}
	if err := r.s.cfg.Keys.CreateMany(ctx, keyed); err != nil {
		return err
	}
	if err := r.s.cfg.Keys.Preload(ctx, keyed); err != nil {
		return err
	}
	for _, g := range newDebtors {
		if g.lost != "" {
			continue
		}
		if g.sealed, err = r.s.cfg.Sealer.Seal(ctx, g.id, g.personal); err != nil {
			return err
		}
	}
	return nil
}

// claimBatch claims many values in one statement and says, for each,
// whether its aggregate got it. A value held already is lost, and so is a
// value given twice in the batch for all but one aggregate (two random
// references can be drawn alike): matching the result on the value alone
// would hand the same reference to both, and their read-model rows would
// then collide.
func claimBatch(ctx context.Context, q *store.Queries, digest func(kind, value string) []byte, now time.Time, claims []claimed) ([]bool, error) {
	p := store.ImportClaimsInsertParams{ClaimedAt: now}
	for _, c := range claims {
		p.Kind = append(p.Kind, c.kind)
		p.Digest = append(p.Digest, digest(c.kind, c.value))
		p.AggregateID = append(p.AggregateID, c.aggregateID)
	}
	got, err := q.ImportClaimsInsert(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("claim unique values: %w", err)
	}
	key := func(kind string, digest []byte, aggregateID string) string {
		return kind + "\x00" + string(digest) + "\x00" + aggregateID
	}
	holders := make(map[string]bool, len(got))
	for _, g := range got {
		holders[key(g.Kind, g.Digest, g.AggregateID)] = true
	}
	won := make([]bool, len(claims))
	for i, c := range claims {
		won[i] = holders[key(c.kind, p.Digest[i], c.aggregateID)]
	}
	return won, nil
}

// claimAlone claims one value the batch did not get.
func (r *importRun) claimAlone(ctx context.Context, c claimed, row *importRow, d *importDebtor) error {
	switch {
	case row != nil && row.skip: // its debt exists meanwhile: nothing more to claim
	case c.kind == "ref":
		prefix, _, _ := strings.Cut(c.value, "-")
		ref, err := r.s.reserveRef(ctx, prefix, c.aggregateID)
		if err != nil {
			return err
		}
		c.value = ref
		if row != nil {
			row.ref, row.claims = ref, append(row.claims, c)
		} else {
			d.ref, d.claims = ref, append(d.claims, c)
		}
	case row != nil: // the debt's reference
		holder, err := r.s.claim(ctx, c.kind, c.value, c.aggregateID, r.s.debtExists)
		if err != nil {
			return err
		}
		if holder == "" {
			row.claims = append(row.claims, c)
			return nil
		}
		row.skip = true
		r.release(ctx, row.claims)
		row.claims = nil
		if ok, err := r.s.debtExists(ctx, holder); err != nil {
			return err
		} else if ok {
			r.rowDone(false)
		} else {
			r.failRow(r.cellError(row.line, importcsv.FieldExternalRef,
				"a debt with this reference is being opened right now (by another import or request): import the file again in a few minutes"))
		}
	default: // the debtor's NIN or NIF
		holder, err := r.s.claim(ctx, c.kind, c.value, c.aggregateID, r.s.debtorExists)
		if err != nil {
			return err
		}
		if holder == "" {
			d.claims = append(d.claims, c)
			return nil
		}
		d.lost = "a debtor with this " + strings.ToUpper(strings.TrimPrefix(c.kind, "debtor_")) +
			" was registered while the file was being imported: import the file again"
	}
	return nil
}

// openDebt opens one row's debt, registering its debtor first when the
// row is the first of that debtor's to get there.
func (r *importRun) openDebt(ctx, rowCtx context.Context, row *importRow) {
	if ctx.Err() != nil { // stopped: not sent (its debtor's claims are released by apply)
		r.release(rowCtx, row.claims)
		return
	}
	debtorID := row.debtorID
	if g := row.group; g != nil {
		g.once.Do(func() { g.err = r.registerDebtor(rowCtx, g) })
		if g.err != "" {
			r.release(rowCtx, row.claims)
			r.failRow(ImportError{Line: row.line, Reason: g.err})
			return
		}
		debtorID = g.id
	}
	cmd := row.cmd
	cmd.ID, cmd.Ref, cmd.DebtorID, cmd.By = row.id, row.ref, debtorID, r.p.req.By
	var err error
	if cmd.Personal, err = r.s.sealDebtText(rowCtx, debtorID, row.text); err != nil {
		r.release(rowCtx, row.claims)
		var p *Problem
		if !errors.As(err, &p) {
			r.im.cfg.Logger.Error("debt import: seal description", "import", r.p.ID, "line", row.line, "err", err)
			p = &Problem{Detail: "the description could not be sealed (an internal error, logged): import the file again in a few minutes"}
		}
		r.failRow(ImportError{Line: row.line, Reason: p.Detail})
		return
	}
	out, err := r.decide(rowCtx, cmd, row.id)
	switch {
	case errors.Is(err, events.ErrPending):
		// In the log, and it will be decided: its claims are kept.
		r.failRow(ImportError{Line: row.line, Reason: "the debt was sent but not confirmed in time: " +
			"import the file again later to see its result (unchanged once it is opened)"})
	case err != nil:
		// The command may have reached the log all the same: its claims
		// are kept, so that a re-run cannot open the debt twice (a claim
		// whose debt never comes to be is taken over after claimGrace).
		r.im.cfg.Logger.Error("debt import: open debt", "import", r.p.ID, "line", row.line, "err", err)
		r.failRow(ImportError{Line: row.line, Reason: "the debt could not be confirmed (an internal error, logged): import the file again in a few minutes"})
	case out.Status == events.Rejected:
		r.release(rowCtx, row.claims)
		r.failRow(ImportError{Line: row.line, Reason: "the debt was refused: " + rejectionReason(out)})
	default:
		r.rowDone(true)
	}
}

// registerDebtor registers a new debtor and returns "" or why it failed.
func (r *importRun) registerDebtor(ctx context.Context, g *importDebtor) string {
	if g.lost != "" {
		r.release(ctx, g.claims)
		return g.lost
	}
	out, err := r.decide(ctx, collection.RegisterDebtor{ID: g.id, Ref: g.ref, Profile: g.profile, Personal: g.sealed}, g.id)
	switch {
	case errors.Is(err, events.ErrPending):
		// In the log, and it will be decided: its claims are kept.
		return "the debtor was sent but not confirmed in time: import the file again later"
	case err != nil: // the claims are kept, as for a debt (openDebt)
		r.im.cfg.Logger.Error("debt import: register debtor", "import", r.p.ID, "line", g.line, "err", err)
		return "the debtor could not be confirmed (an internal error, logged): import the file again in a few minutes"
	case out.Status == events.Rejected:
		r.release(ctx, g.claims)
		return "the debtor was refused: " + rejectionReason(out)
	}
	return ""
}

func rejectionReason(out *events.Outcome) string {
	if out.Rejection == nil {
		return "rejected"
	}
	reason := out.Rejection.Reason
	for _, fe := range out.Rejection.Errors {
		reason += "; " + fe.Field + ": " + fe.Reason
	}
	return reason
}

// decide submits a command and waits for its outcome: the bus's wait,
// then, when the decider is slower than that (a large import keeps it
// busy), the outcome as the bus or the outcomes read model later has it,
// until OutcomeWait.
func (r *importRun) decide(ctx context.Context, cmd collection.Command, aggID string) (*events.Outcome, error) {
	env, err := r.s.envelope(r.p.req.Actor, newID(), collection.AnyVersion, cmd, aggID, r.p.ID)
	if err != nil {
		return nil, err
	}
	out, err := r.s.cfg.Bus.Submit(ctx, env)
	if errors.Is(err, events.ErrPending) {
		out, err = r.awaitOutcome(ctx, env.ID)
	}
	if err != nil {
		return nil, err
	}
	if out.Status == events.Accepted && out.LastOffset >= 0 {
		r.mu.Lock()
		if off, ok := r.offsets[out.Partition]; !ok || out.LastOffset > off {
			r.offsets[out.Partition] = out.LastOffset
		}
		r.mu.Unlock()
	}
	return out, nil
}

func (r *importRun) awaitOutcome(ctx context.Context, commandID string) (*events.Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, r.im.cfg.OutcomeWait)
	defer cancel()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if o, ok := r.s.cfg.Bus.Recent(commandID); ok {
			return o, nil
		}
		row, err := r.s.q.CommandOutcomeGet(ctx, commandID)
		switch {
		case err == nil:
			return outcomeFromRow(row), nil
		case ctx.Err() != nil:
			return nil, events.ErrPending
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, events.ErrPending
		case <-t.C:
		}
	}
}

// waitReadModels waits, bounded, until the read models show what the
// import did, so that its lists are complete when it reads done, and a
// re-run of an interrupted import finds what it created.
func (r *importRun) waitReadModels(ctx context.Context) {
	limit := r.im.cfg.ProjectionWait
	if ctx.Err() != nil {
		limit = importDrainGrace
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	r.mu.Lock()
	offsets := maps.Clone(r.offsets)
	r.mu.Unlock()
	for p, off := range offsets {
		if err := r.s.cfg.Progress.Wait(ctx, p, off); err != nil {
			r.im.cfg.Logger.Warn("debt import: read models late", "import", r.p.ID, "partition", p, "err", err)
			return
		}
	}
}
