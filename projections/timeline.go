package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/store"
)

// Timeline keeps every event, its personal part still sealed, for the
// history endpoints and the audit log. Opening happens at read time, so an
// erased person's past shows as erased without rewriting anything.
type Timeline struct{}

// Name implements Projection.
func (Timeline) Name() string { return "timeline" }

// Tables implements Projection.
func (Timeline) Tables() []string { return []string{"event_log"} }

// Apply implements Projection with one COPY per batch.
func (Timeline) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	rows := make([]store.EventLogInsertParams, 0, len(recs))
	for _, r := range recs {
		actor, err := json.Marshal(r.Env.Actor)
		if err != nil {
			return failAt(r, err)
		}
		rows = append(rows, store.EventLogInsertParams{
			EventID: r.Env.ID, AggregateType: string(r.Env.Aggregate.Type), AggregateID: r.Env.Aggregate.ID,
			AggregateVersion: r.Env.Aggregate.Version, Type: r.Env.Type, SchemaVersion: int32(r.Env.V),
			OccurredAt: r.Env.OccurredAt, Actor: actor, CommandID: r.Env.CommandID,
			CorrelationID: r.Env.CorrelationID, Data: r.Env.Data, Personal: r.Env.Personal,
			Partition: r.Partition, KafkaOffset: r.Offset,
		})
	}
	if _, err := store.New(tx).EventLogInsert(ctx, rows); err != nil {
		return fmt.Errorf("write event log: %w", err)
	}
	return nil
}
