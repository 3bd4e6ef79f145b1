package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/store"
)

// ErrNotYetApplied means the wait for the projections ended first.
var ErrNotYetApplied = errors.New("projections have not applied the event yet")

// Progress tells request handlers when the read models reflect an event
// (read-your-writes). It follows the runners through PostgreSQL's
// LISTEN/NOTIFY, so an API replica waits for projections running in any
// process, and re-reads the offsets table when a notification may have
// been missed.
type Progress struct {
	pool     *pgxpool.Pool
	required []string
	log      *slog.Logger

	mu      sync.Mutex
	next    map[slot]int64
	changed chan struct{} // closed and replaced on every advance
}

// NewProgress follows the given projections' offsets.
func NewProgress(pool *pgxpool.Pool, required []string, log *slog.Logger) *Progress {
	if log == nil {
		log = slog.Default()
	}
	return &Progress{pool: pool, required: required, log: log, next: map[slot]int64{}, changed: make(chan struct{})}
}

// Run listens for notifications until ctx ends, reconnecting on failure.
func (p *Progress) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := p.listen(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("progress: listen failed; reconnecting", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func (p *Progress) listen(ctx context.Context) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN tahsil_projections"); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *") //nolint:errcheck // the connection is released either way
	// Anything committed before LISTEN took effect is in the table.
	if err := p.refresh(ctx); err != nil {
		return err
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// Large batches skip the notification; the table says all.
			if err := p.refresh(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		var notes []progressNote
		if err := json.Unmarshal([]byte(n.Payload), &notes); err != nil {
			p.log.Warn("progress: bad notification", "err", err)
			continue
		}
		p.advance(notes)
	}
}

func (p *Progress) refresh(ctx context.Context) error {
	rows, err := store.New(p.pool).ProjectionOffsetsList(ctx, p.required)
	if err != nil {
		return fmt.Errorf("progress: read offsets: %w", err)
	}
	notes := make([]progressNote, len(rows))
	for i, r := range rows {
		notes[i] = progressNote{r.Projection, r.Partition, r.NextOffset}
	}
	p.advance(notes)
	return nil
}

func (p *Progress) advance(notes []progressNote) {
	p.mu.Lock()
	defer p.mu.Unlock()
	moved := false
	for _, n := range notes {
		s := slot{n.Projection, n.Partition}
		if n.NextOffset > p.next[s] {
			p.next[s] = n.NextOffset
			moved = true
		}
	}
	if moved {
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// Wait returns when every required projection has applied the record at
// offset of partition, or ErrNotYetApplied when ctx ends first.
func (p *Progress) Wait(ctx context.Context, partition int32, offset int64) error {
	for {
		p.mu.Lock()
		done := true
		for _, name := range p.required {
			if p.next[slot{name, partition}] <= offset {
				done = false
				break
			}
		}
		changed := p.changed
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ErrNotYetApplied
		}
	}
}
