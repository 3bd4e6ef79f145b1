package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// eraser is what erasing differs in between creditors and debtors, beside
// what it shares with archiving.
type eraser struct {
	archiver
	// openDebts counts the party's debts not closed.
	openDebts func(ctx context.Context, id string) (int64, error)
}

// erasureRequest is the body of POST /{id}/erasure.
type erasureRequest struct {
	Reason string `json:"reason"`
}

// erase erases a party's personal data for good (crypto-shredding):
// POST /{id}/erasure with {"reason"}. The decider allows it once, on an
// archived party; the projections destroy the data key in the transaction
// that blanks the row. A party whose debts are still worked is refused
// here (409 open-debts), since working them needs the person: the debts
// read model is another aggregate's, out of the decider's sight. With
// If-Match, a stale version answers 412.
func (s *Server) erase(c echo.Context, e eraser) error {
	return s.closeParty(c, e.archiver, erasureReason, func(ctx context.Context, id string) error {
		n, err := e.openDebts(ctx, id)
		if err != nil {
			return fmt.Errorf("count the open debts of %s %s: %w", e.kind, id, err)
		}
		if n == 0 {
			return nil
		}
		return problem(http.StatusConflict, "open-debts", "The record still has debts not closed",
			fmt.Sprintf("%s %s has %s not closed (%s); close them before erasing", e.kind, id,
				plural(n, "debt"), strings.Join(collection.OpenDebtStatuses(), ", ")))
	})
}

// erasureReason reads the body of an erasure: its reason, required, checked
// with the decider's rule before anything is submitted.
func erasureReason(c echo.Context) (string, error) {
	body, err := readBody(c)
	if err != nil {
		return "", err
	}
	var in erasureRequest
	if err := decodeJSON(c, body, &in); err != nil {
		return "", err
	}
	if err := collection.ValidateErasureReason(in.Reason); err != nil {
		return "", err
	}
	return in.Reason, nil
}

// refuseErased refuses a change to an erased party before the change
// claims or seals anything: the decider would refuse it as archived, but
// only after the API had sealed with a key that is gone (an error) or
// claimed a NIN the person's next record needs.
func refuseErased(kind, id string, erased bool) error {
	if !erased {
		return nil
	}
	return fromDomain(collection.Reject(collection.CodeArchived, fmt.Sprintf("%s %s is archived and erased", kind, id)))
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// creditorErase: POST /api/v1/creditors/:id/erasure.
func (s *Server) creditorErase(c echo.Context) error {
	a := s.creditorArchiver()
	a.command = func(id, reason string) collection.Command { return collection.EraseCreditor{ID: id, Reason: reason} }
	return s.erase(c, eraser{archiver: a, openDebts: func(ctx context.Context, id string) (int64, error) {
		return s.q.CreditorOpenDebtCount(ctx, store.CreditorOpenDebtCountParams{CreditorID: id, OpenStatuses: collection.OpenDebtStatuses()})
	}})
}

// debtorErase: POST /api/v1/debtors/:id/erasure. Once the read models show
// the debtor erased, and before answering, the files of their documents
// are deleted (eraseDocumentFiles); a request for a debtor already erased
// (409) deletes what an earlier one left.
func (s *Server) debtorErase(c echo.Context) error {
	a := s.debtorArchiver()
	a.command = func(id, reason string) collection.Command { return collection.EraseDebtor{ID: id, Reason: reason} }
	render := a.render
	a.render = func(c echo.Context, status int, id string) error {
		s.eraseDocumentFiles(c.Request().Context(), id)
		return render(c, status, id)
	}
	if id, err := pathID(c, "debtor"); err == nil {
		s.eraseDocumentFiles(c.Request().Context(), id)
	}
	return s.erase(c, eraser{archiver: a, openDebts: func(ctx context.Context, id string) (int64, error) {
		return s.q.DebtorOpenDebtCount(ctx, store.DebtorOpenDebtCountParams{DebtorID: id, OpenStatuses: collection.OpenDebtStatuses()})
	}})
}
