package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Header names carried by every record, so that any Kafka client can route
// and filter without parsing the value.
const (
	HeaderType        = "type"
	HeaderVersion     = "v"
	HeaderContentType = "content-type"
)

func headers(typ string, v int) []kgo.RecordHeader {
	return []kgo.RecordHeader{
		{Key: HeaderType, Value: []byte(typ)},
		{Key: HeaderVersion, Value: []byte(strconv.Itoa(v))},
		{Key: HeaderContentType, Value: []byte(ContentType)},
	}
}

// EventRecord builds the tahsil.events record of an envelope, keyed by the
// aggregate id so that all of an aggregate's events share a partition.
func EventRecord(e *Envelope) (*kgo.Record, error) {
	value, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.ID, err)
	}
	return &kgo.Record{Topic: EventsTopic, Key: []byte(e.Aggregate.ID), Value: value, Headers: headers(e.Type, e.V)}, nil
}

// CommandRecord builds the tahsil.commands record of a command envelope.
func CommandRecord(c *CommandEnvelope) (*kgo.Record, error) {
	value, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("marshal command %s: %w", c.ID, err)
	}
	return &kgo.Record{Topic: CommandsTopic, Key: []byte(c.Aggregate.ID), Value: value, Headers: headers(c.Type, c.V)}, nil
}

// OutcomeRecord builds the tahsil.outcomes record of an outcome. It is keyed
// by the aggregate id, like its command, so outcome partition i holds the
// outcomes of command partition i: the decider rebuilds its memory of applied
// command ids from one partition.
func OutcomeRecord(o *Outcome) (*kgo.Record, error) {
	value, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("marshal outcome %s: %w", o.CommandID, err)
	}
	return &kgo.Record{Topic: OutcomesTopic, Key: []byte(o.Aggregate.ID), Value: value, Headers: headers(OutcomeType, OutcomeVersion)}, nil
}

// ErrMalformed wraps every decoding failure of a record's value.
var ErrMalformed = errors.New("malformed record")

// unmarshal decodes one JSON value. Commands come from request handlers of
// the same release and are decoded strictly; events and outcomes are read
// for years, so their envelopes tolerate fields a newer writer added.
func unmarshal(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// More alone lets a stray '}' or ']' through: only the end of the
	// input may follow the value.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrMalformed)
	}
	return nil
}

// isObject reports whether data is a JSON object: "data": null would
// otherwise decode as the zero value of the record's type.
func isObject(data json.RawMessage) bool { return len(data) > 0 && data[0] == '{' }

// ParseEvent decodes a tahsil.events record value and checks the envelope's
// required fields. It never panics, whatever the input.
func ParseEvent(value []byte) (*Envelope, error) {
	var e Envelope
	if err := unmarshal(value, &e, false); err != nil {
		return nil, err
	}
	switch {
	case e.ID == "":
		return nil, fmt.Errorf("%w: event without id", ErrMalformed)
	case e.Type == "" || e.V < 1:
		return nil, fmt.Errorf("%w: event %s without type or version", ErrMalformed, e.ID)
	case e.Aggregate.Type == "" || e.Aggregate.ID == "" || e.Aggregate.Version < 1:
		return nil, fmt.Errorf("%w: event %s without its aggregate", ErrMalformed, e.ID)
	case !isObject(e.Data):
		return nil, fmt.Errorf("%w: event %s without data", ErrMalformed, e.ID)
	}
	return &e, nil
}

// ParseCommand decodes a tahsil.commands record value.
func ParseCommand(value []byte) (*CommandEnvelope, error) {
	var c CommandEnvelope
	if err := unmarshal(value, &c, true); err != nil {
		return nil, err
	}
	switch {
	case c.ID == "":
		return nil, fmt.Errorf("%w: command without id", ErrMalformed)
	case c.Type == "" || c.V < 1:
		return nil, fmt.Errorf("%w: command %s without type or version", ErrMalformed, c.ID)
	case c.Aggregate.Type == "" || c.Aggregate.ID == "":
		return nil, fmt.Errorf("%w: command %s without its aggregate", ErrMalformed, c.ID)
	case !isObject(c.Data):
		return nil, fmt.Errorf("%w: command %s without data", ErrMalformed, c.ID)
	case !canonicalUUID(c.ID) || !canonicalUUID(c.Aggregate.ID):
		return nil, fmt.Errorf("%w: command or aggregate id is not a UUID", ErrMalformed)
	}
	return &c, nil
}

// ParseOutcome decodes a tahsil.outcomes record value.
func ParseOutcome(value []byte) (*Outcome, error) {
	var o Outcome
	if err := unmarshal(value, &o, false); err != nil {
		return nil, err
	}
	if o.CommandID == "" || (o.Status != Accepted && o.Status != Rejected) {
		return nil, fmt.Errorf("%w: outcome without command id or status", ErrMalformed)
	}
	return &o, nil
}

// canonicalUUID accepts only the lower-case hyphenated form the system
// writes, so one id has one spelling in keys, partitions and tables.
func canonicalUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}
