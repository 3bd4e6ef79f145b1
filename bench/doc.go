// Package bench measures Tahsil against baselines on one machine and
// reports the figures for docs/PERFORMANCE.md. The program that runs it is
// bench/cmd/tahsil-bench (`make bench`).
//
// Every measurement runs the production components, configured as
// `tahsil serve` configures them, on the embedded brokers with their
// durable defaults: a private PostgreSQL with fsync on and the embedded
// kfake broker with an fsync per produced batch. Nothing is mocked and no
// durability setting is relaxed, so the baselines (a plain CRUD handler, a
// raw COPY) run on the very same PostgreSQL server. All traffic stays on
// 127.0.0.1 and a unix socket.
//
// Three scenarios:
//
//   - write path: POST /api/v1/debtors end to end, read-your-writes
//     included, at a fixed concurrency, against a synchronous CRUD handler
//     doing the same validation and one INSERT;
//   - rebuild: projections.Rebuild over a log of debtor.registered events
//     against a COPY of the resulting rows;
//   - decider: commands per second through events.Processor, its memory per
//     aggregate, and the time it takes to rebuild its state on assignment.
//
// The in-process kfake broker shares the Go heap with the code measured;
// memory figures are therefore taken as what is released when the measured
// component is closed, not as the heap's growth.
package bench
