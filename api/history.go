package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
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
	owner, subject, err := s.keyOwner(ctx, agg, id)
	if err != nil {
		return err
	}
	erased, err := s.isErased(ctx, owner, subject)
	if err != nil {
		return err
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
			err := s.cfg.Sealer.Open(ctx, subject, r.Personal, &p)
			switch {
			case errors.Is(err, keyring.ErrErased):
				e.Erased = true
			case err != nil:
				return err
			default:
				e.Personal = p
			}
		}
		if erased && agg == collection.DebtAggregate {
			if err := s.hideClearText(&e, r); err != nil {
				return err
			}
		}
		out.Items = append(out.Items, e)
	}
	return c.JSON(http.StatusOK, out)
}

// keyOwner names whose data key seals an aggregate's personal parts: a
// party's own; for a debt, its debtor's (the names of its documents, the
// texts about the debtor).
func (s *Server) keyOwner(ctx context.Context, agg collection.AggregateType, id string) (collection.AggregateType, string, error) {
	if agg != collection.DebtAggregate {
		return agg, id, nil
	}
	row, err := s.q.DebtGet(ctx, store.DebtGetParams{ID: id})
	if err != nil {
		return "", "", fmt.Errorf("the debtor of debt %s: %w", id, err)
	}
	return collection.DebtorAggregate, row.DebtorID, nil
}

// isErased tells whether a party was erased, and then drops its key from
// this process's cache before anything of theirs is opened. The
// projections destroy the key and mark the row erased in one transaction,
// and forget it in their own process after the commit; an API replica
// elsewhere may still cache it, and would go on opening the person's
// parts. The read model is what every replica shares: once it says
// erased, the key is gone from the database too. Another aggregate type,
// or a party not (yet) in the read model, is not erased.
func (s *Server) isErased(ctx context.Context, agg collection.AggregateType, id string) (bool, error) {
	var (
		erased bool
		err    error
	)
	switch agg {
	case collection.CreditorAggregate:
		var row store.Creditor
		row, err = s.q.CreditorGet(ctx, store.CreditorGetParams{ID: id})
		erased = row.Erased
	case collection.DebtorAggregate:
		var row store.Debtor
		row, err = s.q.DebtorGet(ctx, store.DebtorGetParams{ID: id})
		erased = row.Erased
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, err
	}
	if erased {
		s.cfg.Keys.Forget(id)
	}
	return erased, nil
}

// creditorHistory: GET /api/v1/creditors/:id/history.
func (s *Server) creditorHistory(c echo.Context) error {
	return s.history(c, collection.CreditorAggregate, s.creditorExists)
}

// debtorHistory: GET /api/v1/debtors/:id/history.
func (s *Server) debtorHistory(c echo.Context) error {
	return s.history(c, collection.DebtorAggregate, s.debtorExists)
}
