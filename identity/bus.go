package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/wait"
	"github.com/adc-dz/tahsil/store"
)

// The command line, the demo loader, the benchmarks and the test
// application submit account commands outside an HTTP request; the API
// submits with the request's actor instead (api.accountSubmitter).

// CommandBus is what BusSubmitter needs of events.Bus.
type CommandBus interface {
	Submit(ctx context.Context, cmd *events.CommandEnvelope) (*events.Outcome, error)
}

// BusSubmitter decides account commands through bus as act, and
// returns once the account is in the read models, so that it can sign in.
// A rejection is returned as the error (*collection.Rejection). An outcome
// later than the bus's wait is looked up in the outcomes read model until
// ctx ends: the command is in the log and will be decided.
func BusSubmitter(bus CommandBus, reg *events.Registry, pool *pgxpool.Pool, act events.Actor) Submit {
	return func(ctx context.Context, cmd collection.Command, id string) error {
		typ, v, data, err := reg.Encode(cmd)
		if err != nil {
			return err
		}
		var personal []byte
		if pc, ok := cmd.(collection.PersonalCarrier); ok {
			personal = pc.PersonalPart()
		}
		env := &events.CommandEnvelope{
			ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v, Aggregate: events.AggregateRef{Type: cmd.Aggregate(), ID: id},
			ExpectedVersion: collection.AnyVersion, IssuedAt: time.Now().UTC(), Actor: act, Data: data, Personal: personal,
		}
		q := store.New(pool)
		out, err := bus.Submit(ctx, env)
		switch {
		case errors.Is(err, events.ErrPending):
			if err := wait.Until(ctx, func() (bool, error) {
				row, err := q.CommandOutcomeGet(ctx, env.ID)
				if errors.Is(err, pgx.ErrNoRows) {
					return false, nil
				}
				if err != nil {
					return false, err
				}
				if row.Status == events.Rejected {
					rej := collection.Reject(collection.CodeInvalid, "rejected")
					_ = json.Unmarshal(row.Rejection, rej)
					return false, rej
				}
				return true, nil
			}); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("command %s is in the log but no decider has decided it yet: is `tahsil serve` running (with its decider)? %w", env.ID, err)
				}
				return err
			}
		case err != nil:
			return err
		case out.Status == events.Rejected:
			if out.Rejection == nil {
				return collection.Reject(collection.CodeInvalid, "rejected")
			}
			return out.Rejection
		}
		err = wait.Until(ctx, func() (bool, error) {
			_, err := q.AccountGet(ctx, id)
			if errors.Is(err, pgx.ErrNoRows) {
				return false, nil
			}
			return err == nil, err
		})
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("account %s was created, but the read models do not show it yet: are the projections running? %w", id, err)
		}
		return err
	}
}
