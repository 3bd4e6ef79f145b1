package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// commandView is what GET /api/v1/commands/:id says of a command.
type commandView struct {
	CommandID string                `json:"command_id"`
	Type      string                `json:"type,omitempty"`
	Status    string                `json:"status"`
	Aggregate *events.AggregateRef  `json:"aggregate,omitempty"`
	Rejection *collection.Rejection `json:"rejection,omitempty"`
	DecidedAt *time.Time            `json:"decided_at,omitempty"`
	// Href is the resource the command created or changed, once visible.
	Href string `json:"href,omitempty"`
}

// commandGet reports a command's outcome: pending until the decider and
// the read models have it.
func (s *Server) commandGet(c echo.Context) error {
	id, err := pathID(c, "command")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var out *events.Outcome
	row, err := s.q.CommandOutcomeGet(ctx, id)
	switch {
	case err == nil:
		out = outcomeFromRow(row)
	case errors.Is(err, pgx.ErrNoRows):
		if o, ok := s.cfg.Bus.Recent(id); ok {
			out = o
		}
	default:
		return err
	}
	if out == nil {
		// Unknown here: not yet decided, or never submitted. Both read as
		// pending for a short while; the caller retries.
		return c.JSON(http.StatusOK, commandView{CommandID: id, Status: "pending"})
	}
	// A tenant's account sees only the commands it issued; any other reads
	// as unknown, like an id never submitted.
	if p := principalOf(c); !p.Role.Staff() && out.Actor.UserID != p.AccountID {
		return c.JSON(http.StatusOK, commandView{CommandID: id, Status: "pending"})
	}
	v := commandView{CommandID: id, Type: out.CommandType, Status: out.Status, Aggregate: &out.Aggregate,
		Rejection: out.Rejection, DecidedAt: &out.DecidedAt}
	if out.Status == events.Accepted {
		res, _ := s.settle(ctx, out)
		if !res.visible {
			v.Status = "pending"
		} else {
			v.Href = resourceHref(out.Aggregate)
		}
	}
	return c.JSON(http.StatusOK, v)
}

func resourceHref(a events.AggregateRef) string {
	switch a.Type {
	case collection.CreditorAggregate:
		return "/api/v1/creditors/" + a.ID
	case collection.DebtorAggregate:
		return "/api/v1/debtors/" + a.ID
	case collection.DebtAggregate:
		return "/api/v1/debts/" + a.ID
	}
	return ""
}
