package events

import (
	"encoding/json"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// Topic names. Renaming one orphans everything already written to it.
const (
	CommandsTopic = "tahsil.commands"
	EventsTopic   = "tahsil.events"
	OutcomesTopic = "tahsil.outcomes"
)

// ContentType is the content-type header of every record.
const ContentType = "application/json"

// Actor says who caused a command, and from where.
type Actor struct {
	UserID string `json:"user_id,omitempty"`
	Role   string `json:"role,omitempty"`
	// CreditorID and DebtorID name the tenant a creditor or debtor account
	// acts for; APIKeyID the key a creditor's integration used.
	CreditorID string `json:"creditor_id,omitempty"`
	DebtorID   string `json:"debtor_id,omitempty"`
	APIKeyID   string `json:"api_key_id,omitempty"`
	IP         string `json:"ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
}

// AggregateRef names one aggregate instance, and for events the version the
// aggregate reached with that event.
type AggregateRef struct {
	Type    collection.AggregateType `json:"type"`
	ID      string                   `json:"id"`
	Version int64                    `json:"version,omitempty"`
}

// Envelope is an event as written to tahsil.events. Data is the event's
// non-personal JSON; Personal, when present, is sealed (see Sealer).
type Envelope struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	V             int             `json:"v"`
	Aggregate     AggregateRef    `json:"aggregate"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Actor         Actor           `json:"actor"`
	CommandID     string          `json:"command_id"`
	CorrelationID string          `json:"correlation_id"`
	Data          json.RawMessage `json:"data"`
	Personal      []byte          `json:"personal,omitempty"`
}

// CommandEnvelope is a command as written to tahsil.commands.
// ExpectedVersion is collection.AnyVersion unless the caller sent If-Match.
type CommandEnvelope struct {
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	V               int             `json:"v"`
	Aggregate       AggregateRef    `json:"aggregate"`
	ExpectedVersion int64           `json:"expected_version"`
	IssuedAt        time.Time       `json:"issued_at"`
	Actor           Actor           `json:"actor"`
	CorrelationID   string          `json:"correlation_id"`
	Data            json.RawMessage `json:"data"`
	Personal        []byte          `json:"personal,omitempty"`
}

// Outcome statuses.
const (
	Accepted = "accepted"
	Rejected = "rejected"
)

// Outcome is the decider's answer to one command, written to tahsil.outcomes
// in the same transaction as the events. For an accepted command that
// produced events, Partition and LastOffset locate the last of them in
// tahsil.events, which is what a reader waits for the projections to reach.
type Outcome struct {
	CommandID   string                `json:"command_id"`
	CommandType string                `json:"command_type"`
	Status      string                `json:"status"`
	Aggregate   AggregateRef          `json:"aggregate"`
	Rejection   *collection.Rejection `json:"rejection,omitempty"`
	// Actor is who issued the command: the audit of rejected commands and
	// the scoping of GET /api/v1/commands/{id} read it.
	Actor      Actor     `json:"actor"`
	Partition  int32     `json:"partition"`
	LastOffset int64     `json:"last_offset"`
	EventCount int       `json:"event_count"`
	DecidedAt  time.Time `json:"decided_at"`
}

// OutcomeType and OutcomeVersion label outcome records.
const (
	OutcomeType    = "command.outcome"
	OutcomeVersion = 1
)
