package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// historyEntry is one event of an aggregate's timeline, personal part opened.
type historyEntry struct {
	EventID    string          `json:"event_id"`
	Type       string          `json:"type"`
	Version    int64           `json:"version"`
	OccurredAt time.Time       `json:"occurred_at"`
	Actor      events.Actor    `json:"actor"`
	CommandID  string          `json:"command_id"`
	Data       json.RawMessage `json:"data"`
	Personal   map[string]any  `json:"personal,omitempty"`
	Erased     bool            `json:"personal_erased,omitempty"`
}

// history answers the timeline of one aggregate, oldest first.
func (s *Server) history(c echo.Context, agg collection.AggregateType, exists func(context.Context, string) (bool, error)) error {
	id, err := pathID(c, string(agg))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, err := s.q.EventLogByAggregate(ctx, store.EventLogByAggregateParams{AggregateType: string(agg), AggregateID: id})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		if ok, err := exists(ctx, id); err != nil || !ok {
			if err != nil {
				return err
			}
			return notFound(string(agg), id)
		}
	}
	out := listBody[historyEntry]{Items: make([]historyEntry, 0, len(rows))}
	for _, r := range rows {
		e := historyEntry{EventID: r.EventID, Type: r.Type, Version: r.AggregateVersion, OccurredAt: r.OccurredAt,
			CommandID: r.CommandID, Data: r.Data}
		if err := json.Unmarshal(r.Actor, &e.Actor); err != nil {
			return err
		}
		if len(r.Personal) > 0 {
			var p map[string]any
			err := s.cfg.Sealer.Open(ctx, r.AggregateID, r.Personal, &p)
			switch {
			case errors.Is(err, keyring.ErrErased):
				e.Erased = true
			case err != nil:
				return err
			default:
				e.Personal = p
			}
		}
		out.Items = append(out.Items, e)
	}
	return c.JSON(http.StatusOK, out)
}

// creditorHistory: GET /api/v1/creditors/:id/history.
func (s *Server) creditorHistory(c echo.Context) error {
	return s.history(c, collection.CreditorAggregate, s.creditorExists)
}

// debtorHistory: GET /api/v1/debtors/:id/history.
func (s *Server) debtorHistory(c echo.Context) error {
	return s.history(c, collection.DebtorAggregate, s.debtorExists)
}
