package api

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// registration is what registering differs in between creditors and
// debtors; the claims, data key, sealing, submission and idempotency are
// the same.
type registration struct {
	kind      string            // "creditor" | "debtor", also the claims' namespace
	refPrefix string            // of the short reference: "C" | "D"
	claims    map[string]string // field → value that must be unique among kind
	exists    func(ctx context.Context, id string) (bool, error)
	personal  any // sealed under the new record's data key
	command   func(id, ref string, sealed collection.Sealed) collection.Command
	render    func(c echo.Context, status int, id string) error
}

// register creates a party from a validated body: POST /creditors and
// POST /debtors. Unique values are claimed before the command is written,
// so two concurrent requests cannot both pass; every claim is released
// again when the command is not accepted.
func (s *Server) register(c echo.Context, body []byte, r registration) error {
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	render := func(_ context.Context, id string) error { return r.render(c, http.StatusCreated, id) }
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	ctx := c.Request().Context()
	id := idem.aggregateID
	claimed := map[string]string{} // claim kind → value
	// Once the command is submitted the key stays: a retry replays its
	// outcome. The claims stay only when the command may have been accepted.
	submitted, accepted := false, false
	defer func() {
		if !accepted {
			for kind, v := range claimed {
				s.release(ctx, kind, v, id)
			}
		}
		if !submitted {
			s.forgetKey(ctx, idem)
		}
	}()
	if err := s.claimAll(c, r, id, claimed); err != nil {
		return err
	}
	ref, err := s.reserveRef(ctx, r.refPrefix, id)
	if err != nil {
		return err
	}
	claimed["ref"] = ref
	if err := s.cfg.Keys.Create(ctx, id); err != nil {
		return err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, r.personal)
	if err != nil {
		return err
	}
	submitted = true
	res, err := s.submit(c, idem.commandID, collection.AnyVersion, r.command(id, ref, sealed), id)
	if errors.Is(err, events.ErrPending) {
		accepted = true
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	accepted = true
	if !res.visible {
		return pending(c, idem.commandID)
	}
	return render(ctx, id)
}

// claimAll claims r's unique values for id, recording each in claimed so
// the caller can release them; a value another record holds is a 409.
func (s *Server) claimAll(c echo.Context, r registration, id string, claimed map[string]string) error {
	fields := make([]string, 0, len(r.claims))
	for field := range r.claims {
		fields = append(fields, field)
	}
	sort.Strings(fields) // a stable order: two requests never wait on each other's claims in turn
	for _, field := range fields {
		kind, v := r.kind+"_"+field, r.claims[field]
		holder, err := s.claim(c.Request().Context(), kind, v, id, r.exists)
		if err != nil {
			return err
		}
		if holder != "" {
			if r.kind == "debtor" && !principalOf(c).Role.Staff() {
				return takenUnseen(field)
			}
			return taken(r.kind, field, holder)
		}
		claimed[kind] = v
	}
	return nil
}

// taken is the 409 for a unique value another record holds.
func taken(kind, field, holder string) *Problem {
	p := problem(http.StatusConflict, "duplicate", "Already registered",
		"another "+kind+" already has this "+field+": "+holder,
		collection.FieldError{Field: field, Reason: "already used by " + kind + " " + holder})
	p.ExistingID = holder
	return p
}

// takenUnseen is the duplicate answer to a creditor's account: the debtor
// may belong to another creditor's portfolio, so its id is not given (the
// account could not read it anyway). ADC links it on request.
func takenUnseen(field string) *Problem {
	return problem(http.StatusConflict, "duplicate", "Already registered",
		"a debtor with this "+field+" is already registered with ADC; ask ADC to add it to your portfolio",
		collection.FieldError{Field: field, Reason: "already registered"})
}
