// Package projections builds the PostgreSQL read models from the Kafka log.
//
// A Runner consumes one topic in a consumer group and applies each batch of
// records to its projections in one PostgreSQL transaction, together with
// each projection's (partition → next offset). The offsets live in
// PostgreSQL, not in Kafka, so a crash anywhere replays nothing twice and
// loses nothing. A record a projection cannot apply stops that projection on
// that partition (fail-stop) until an operator skips it explicitly.
//
// Every projection is rebuildable from offset zero and must then hold
// exactly what incremental application built: projections derive everything
// from the events (times from occurred_at, never from the clock).
package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// Record is one record of the consumed topic. For tahsil.events, Env and
// Event are decoded once by the runner for all its projections.
type Record struct {
	Partition int32
	Offset    int64
	Value     []byte
	Env       *events.Envelope
	Event     collection.Event

	decodeErr *ApplyError
}

// Projection maintains read-model tables from records.
type Projection interface {
	// Name identifies the projection's offsets. Renaming a projection
	// rebuilds it from offset zero.
	Name() string
	// Tables lists the tables the projection owns, emptied by a rebuild.
	Tables() []string
	// Apply applies records (in log order per partition) inside tx. When
	// one record cannot be applied it returns an *ApplyError naming it.
	Apply(ctx context.Context, tx pgx.Tx, recs []Record) error
}

// ApplyError names the record a projection could not apply.
type ApplyError struct {
	Partition int32
	Offset    int64
	EventID   string
	EventType string
	Err       error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("apply %s %s at %d/%d: %v", e.EventType, e.EventID, e.Partition, e.Offset, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// failAt builds the ApplyError of a record.
func failAt(r Record, err error) *ApplyError {
	ae := &ApplyError{Partition: r.Partition, Offset: r.Offset, Err: err}
	if r.Env != nil {
		ae.EventID, ae.EventType = r.Env.ID, r.Env.Type
	}
	return ae
}

// asApplyError unwraps an *ApplyError.
func asApplyError(err error) (*ApplyError, bool) {
	var ae *ApplyError
	ok := errors.As(err, &ae)
	return ae, ok
}

// ForEvents returns the read models built from tahsil.events, in the order
// a batch applies them: the one list the runners, rebuilds and the bus's
// read-your-writes wait share.
func ForEvents(p Personal) []Projection {
	return []Projection{NewCreditors(p), NewDebtors(p), NewAccounts(p), CreditorDebtors{}, NewDebts(p), Plans{}, NewCasework(p), NewLegal(p), Timeline{}}
}

// EventProjectionNames names the projections of ForEvents.
func EventProjectionNames() []string {
	var names []string
	for _, p := range ForEvents(nil) {
		names = append(names, p.Name())
	}
	return names
}
