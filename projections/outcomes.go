package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// Outcomes stores the decider's outcomes (tahsil.outcomes) so that
// GET /api/v1/commands/{id} answers after the caller stopped waiting. A
// repeated outcome (a redelivered command) keeps the first.
type Outcomes struct{}

// Name implements Projection.
func (Outcomes) Name() string { return "outcomes" }

// Tables implements Projection.
func (Outcomes) Tables() []string { return []string{"command_outcomes"} }

// Apply implements Projection.
func (Outcomes) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	var p store.CommandOutcomesInsertParams
	seen := map[string]bool{}
	for _, r := range recs {
		o, err := events.ParseOutcome(r.Value)
		if err != nil {
			return failAt(r, err)
		}
		// Malformed commands get outcomes without a usable id or aggregate;
		// they are in the log and the decider's log output, not here.
		if o.Aggregate.Type == "" || seen[o.CommandID] {
			continue
		}
		seen[o.CommandID] = true
		var rejection []byte
		if o.Rejection != nil {
			if rejection, err = json.Marshal(o.Rejection); err != nil {
				return failAt(r, err)
			}
		}
		p.CommandID = append(p.CommandID, o.CommandID)
		p.CommandType = append(p.CommandType, o.CommandType)
		p.Status = append(p.Status, o.Status)
		p.AggregateType = append(p.AggregateType, string(o.Aggregate.Type))
		p.AggregateID = append(p.AggregateID, o.Aggregate.ID)
		p.AggregateVersion = append(p.AggregateVersion, o.Aggregate.Version)
		p.Rejection = append(p.Rejection, rejection)
		p.EventPartition = append(p.EventPartition, o.Partition)
		p.LastEventOffset = append(p.LastEventOffset, o.LastOffset)
		p.DecidedAt = append(p.DecidedAt, o.DecidedAt)
		actor, err := json.Marshal(o.Actor)
		if err != nil {
			return failAt(r, err)
		}
		p.Actor = append(p.Actor, actor)
	}
	if len(p.CommandID) == 0 {
		return nil
	}
	if err := store.New(tx).CommandOutcomesInsert(ctx, p); err != nil {
		return fmt.Errorf("write outcomes: %w", err)
	}
	return nil
}
