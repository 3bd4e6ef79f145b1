// Package embedded runs the Kafka broker and the PostgreSQL server that
// `tahsil serve` uses when no external ones are configured, so that a
// developer or a small office gets a working system with no setup.
//
// Both speak their real wire protocols: the rest of Tahsil connects to them
// exactly as it would to Apache Kafka and a managed PostgreSQL, and moving to
// production changes addresses only.
//
//   - [StartKafka] runs franz-go's in-process broker (kfake) persisted under a
//     data directory. Topics, records, consumer-group offsets and
//     transactional state survive a restart.
//   - [StartPostgres] runs the machine's own initdb and postgres binaries as a
//     child process, in a private data directory, reachable only through a
//     unix socket, so that it never clashes with a system PostgreSQL or with
//     another Tahsil.
//
// Shut down in reverse order of dependency: stop consumers and producers,
// then [Kafka.Close], then close database pools, then [Postgres.Stop].
package embedded
