package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

func sampleEvent() *events.Envelope {
	id := newID()
	return &events.Envelope{
		ID: newID(), Type: "creditor.registered", V: 1,
		Aggregate:  events.AggregateRef{Type: collection.CreditorAggregate, ID: id, Version: 1},
		OccurredAt: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC),
		Actor:      events.Actor{UserID: newID(), Role: "agent", IP: "192.0.2.7", UserAgent: "curl/8.5"},
		CommandID:  newID(), CorrelationID: newID(),
		Data:     json.RawMessage(`{"id":"` + id + `","ref":"C-7KQ2M9","profile":{"wilaya":16,"commission_bps":1250}}`),
		Personal: []byte{1, 0xde, 0xad, 0xbe, 0xef},
	}
}

func sampleCommand() *events.CommandEnvelope {
	id := newID()
	return &events.CommandEnvelope{
		ID: newID(), Type: "creditor.update", V: 1,
		Aggregate:       events.AggregateRef{Type: collection.CreditorAggregate, ID: id},
		ExpectedVersion: 3,
		IssuedAt:        time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		Actor:           events.Actor{UserID: newID(), Role: "creditor"},
		CorrelationID:   newID(),
		Data:            json.RawMessage(`{"id":"` + id + `","changes":{"wilaya":31}}`),
		Personal:        []byte{1, 2, 3},
	}
}

func header(r *kgo.Record, key string) (string, int) {
	var v string
	n := 0
	for _, h := range r.Headers {
		if h.Key == key {
			v, n = string(h.Value), n+1
		}
	}
	return v, n
}

func checkHeaders(t *testing.T, r *kgo.Record, typ, v string) {
	t.Helper()
	for key, want := range map[string]string{events.HeaderType: typ, events.HeaderVersion: v, events.HeaderContentType: "application/json"} {
		if got, n := header(r, key); n != 1 || got != want {
			t.Errorf("%s record: header %q = %q (%d times), want %q once", r.Topic, key, got, n, want)
		}
	}
	if len(r.Headers) != 3 {
		t.Errorf("%s record has headers %v, want exactly type, v and content-type", r.Topic, r.Headers)
	}
}

func TestRecordsCarryTopicKeyAndHeaders(t *testing.T) {
	t.Parallel()
	e := sampleEvent()
	er, err := events.EventRecord(e)
	if err != nil {
		t.Fatal(err)
	}
	if er.Topic != events.EventsTopic || string(er.Key) != e.Aggregate.ID {
		t.Errorf("event record on %s keyed %q, want %s keyed by the aggregate id", er.Topic, er.Key, events.EventsTopic)
	}
	checkHeaders(t, er, "creditor.registered", "1")
	got, err := events.ParseEvent(er.Value)
	if err != nil {
		t.Fatalf("ParseEvent of EventRecord: %v", err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Errorf("event round trip:\n got  %+v\n want %+v", got, e)
	}

	c := sampleCommand()
	c.V = 7
	cr, err := events.CommandRecord(c)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Topic != events.CommandsTopic || string(cr.Key) != c.Aggregate.ID {
		t.Errorf("command record on %s keyed %q, want %s keyed by the aggregate id", cr.Topic, cr.Key, events.CommandsTopic)
	}
	checkHeaders(t, cr, "creditor.update", "7")
	gotc, err := events.ParseCommand(cr.Value)
	if err != nil {
		t.Fatalf("ParseCommand of CommandRecord: %v", err)
	}
	if !reflect.DeepEqual(gotc, c) {
		t.Errorf("command round trip:\n got  %+v\n want %+v", gotc, c)
	}

	o := &events.Outcome{CommandID: c.ID, CommandType: c.Type, Status: events.Rejected,
		Aggregate: events.AggregateRef{Type: collection.CreditorAggregate, ID: c.Aggregate.ID, Version: 2},
		Rejection: collection.Reject(collection.CodeVersionConflict, "expected version 3, current version is 2"),
		Partition: 2, LastOffset: -1, DecidedAt: time.Date(2025, 3, 14, 9, 27, 0, 0, time.UTC)}
	or, err := events.OutcomeRecord(o)
	if err != nil {
		t.Fatal(err)
	}
	if or.Topic != events.OutcomesTopic || string(or.Key) != c.Aggregate.ID {
		t.Errorf("outcome record on %s keyed %q, want %s keyed by the aggregate id", or.Topic, or.Key, events.OutcomesTopic)
	}
	checkHeaders(t, or, events.OutcomeType, "1")
	gotOutcome, err := events.ParseOutcome(or.Value)
	if err != nil || !reflect.DeepEqual(gotOutcome, o) {
		t.Errorf("outcome round trip: %+v, %v; want %+v", gotOutcome, err, o)
	}
}

// mutate returns the JSON of v after f changed its generic form.
func mutate(t *testing.T, v any, f func(m map[string]any)) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

func agg(m map[string]any) map[string]any { return m["aggregate"].(map[string]any) }

func TestParseEventRejectsMalformedValues(t *testing.T) {
	t.Parallel()
	valid, err := json.Marshal(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"empty", nil},
		{"not JSON", []byte("creditor.registered")},
		{"JSON null", []byte("null")},
		{"JSON array", []byte(`[{"id":"x"}]`)},
		{"truncated", valid[:len(valid)/2]},
		{"missing id", mutate(t, sampleEvent(), func(m map[string]any) { delete(m, "id") })},
		{"empty id", mutate(t, sampleEvent(), func(m map[string]any) { m["id"] = "" })},
		{"missing type", mutate(t, sampleEvent(), func(m map[string]any) { delete(m, "type") })},
		{"missing version", mutate(t, sampleEvent(), func(m map[string]any) { delete(m, "v") })},
		{"version zero", mutate(t, sampleEvent(), func(m map[string]any) { m["v"] = 0 })},
		{"negative version", mutate(t, sampleEvent(), func(m map[string]any) { m["v"] = -1 })},
		{"fractional version", mutate(t, sampleEvent(), func(m map[string]any) { m["v"] = 1.5 })},
		{"version as string", mutate(t, sampleEvent(), func(m map[string]any) { m["v"] = "1" })},
		{"missing aggregate", mutate(t, sampleEvent(), func(m map[string]any) { delete(m, "aggregate") })},
		{"aggregate without type", mutate(t, sampleEvent(), func(m map[string]any) { delete(agg(m), "type") })},
		{"aggregate without id", mutate(t, sampleEvent(), func(m map[string]any) { delete(agg(m), "id") })},
		{"aggregate without version", mutate(t, sampleEvent(), func(m map[string]any) { delete(agg(m), "version") })},
		{"missing data", mutate(t, sampleEvent(), func(m map[string]any) { delete(m, "data") })},
		{"null data", mutate(t, sampleEvent(), func(m map[string]any) { m["data"] = nil })},
		{"data not an object", mutate(t, sampleEvent(), func(m map[string]any) { m["data"] = "x" })},
		{"bad occurred_at", mutate(t, sampleEvent(), func(m map[string]any) { m["occurred_at"] = "yesterday" })},
		{"personal not base64", mutate(t, sampleEvent(), func(m map[string]any) { m["personal"] = "%%%" })},
		{"trailing value", append(append([]byte{}, valid...), `{"id":"x"}`...)},
		{"trailing garbage", append(append([]byte{}, valid...), " x"...)},
		{"trailing brace", append(append([]byte{}, valid...), '}')},
		{"trailing bracket", append(append([]byte{}, valid...), " ]"...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := events.ParseEvent(tc.value)
			if !errors.Is(err, events.ErrMalformed) || e != nil {
				t.Errorf("ParseEvent(%s) = %+v, %v; want ErrMalformed", tc.value, e, err)
			}
		})
	}
}

func TestParseEventToleratesNewerWriters(t *testing.T) {
	t.Parallel()
	want := sampleEvent()
	for name, value := range map[string][]byte{
		"unknown field": mutate(t, want, func(m map[string]any) { m["schema_hint"] = "v2" }),
		"unknown nested field": mutate(t, want, func(m map[string]any) {
			agg(m)["tenant"] = "adc"
			m["actor"].(map[string]any)["device"] = "kiosk"
		}),
		"trailing whitespace": append(mutate(t, want, func(map[string]any) {}), " \n\t"...),
	} {
		got, err := events.ParseEvent(value)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if normObject(t, got.Data) != normObject(t, want.Data) {
			t.Errorf("%s: data %s, want %s", name, got.Data, want.Data)
		}
		g, w := *got, *want
		g.Data, w.Data = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %+v, want %+v", name, g, w)
		}
	}
}

// normObject spells a JSON object with sorted keys.
func normObject(t *testing.T, d json.RawMessage) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(d, &m); err != nil {
		t.Fatalf("data %s: %v", d, err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestParseCommandRejectsMalformedValues(t *testing.T) {
	t.Parallel()
	valid, err := json.Marshal(sampleCommand())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"empty", nil},
		{"not JSON", []byte("\x00\x01garbage")},
		{"JSON null", []byte("null")},
		{"missing id", mutate(t, sampleCommand(), func(m map[string]any) { delete(m, "id") })},
		{"missing type", mutate(t, sampleCommand(), func(m map[string]any) { delete(m, "type") })},
		{"missing version", mutate(t, sampleCommand(), func(m map[string]any) { delete(m, "v") })},
		{"missing aggregate", mutate(t, sampleCommand(), func(m map[string]any) { delete(m, "aggregate") })},
		{"aggregate without type", mutate(t, sampleCommand(), func(m map[string]any) { agg(m)["type"] = "" })},
		{"aggregate without id", mutate(t, sampleCommand(), func(m map[string]any) { delete(agg(m), "id") })},
		{"missing data", mutate(t, sampleCommand(), func(m map[string]any) { delete(m, "data") })},
		{"null data", mutate(t, sampleCommand(), func(m map[string]any) { m["data"] = nil })},
		{"data not an object", mutate(t, sampleCommand(), func(m map[string]any) { m["data"] = []any{1} })},
		{"unknown field", mutate(t, sampleCommand(), func(m map[string]any) { m["priority"] = "high" })},
		{"unknown field in aggregate", mutate(t, sampleCommand(), func(m map[string]any) { agg(m)["tenant"] = "adc" })},
		{"unknown field in actor", mutate(t, sampleCommand(), func(m map[string]any) { m["actor"].(map[string]any)["admin"] = true })},
		{"trailing value", append(append([]byte{}, valid...), "{}"...)},
		{"trailing brace", append(append([]byte{}, valid...), "}"...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := events.ParseCommand(tc.value)
			if !errors.Is(err, events.ErrMalformed) || c != nil {
				t.Errorf("ParseCommand(%s) = %+v, %v; want ErrMalformed", tc.value, c, err)
			}
		})
	}
}

func TestParseCommandWantsCanonicalUUIDs(t *testing.T) {
	t.Parallel()
	canonical := newID()
	for name, spelling := range map[string]string{
		"upper case":  strings.ToUpper(canonical),
		"braces":      "{" + canonical + "}",
		"urn":         "urn:uuid:" + canonical,
		"no hyphens":  strings.ReplaceAll(canonical, "-", ""),
		"not a uuid":  "creditor-42",
		"surrounding": " " + canonical,
	} {
		for _, field := range []string{"id", "aggregate.id"} {
			value := mutate(t, sampleCommand(), func(m map[string]any) {
				if field == "id" {
					m["id"] = spelling
				} else {
					agg(m)["id"] = spelling
				}
			})
			if c, err := events.ParseCommand(value); !errors.Is(err, events.ErrMalformed) {
				t.Errorf("%s %s %q: ParseCommand = %+v, %v; want ErrMalformed", name, field, spelling, c, err)
			}
		}
	}
	// The canonical spelling passes, and events (read for years, written
	// by the decider) are not held to it.
	if _, err := events.ParseCommand(mutate(t, sampleCommand(), func(m map[string]any) { m["id"] = canonical })); err != nil {
		t.Errorf("canonical id refused: %v", err)
	}
}

func TestParseOutcome(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"no command id":  `{"status":"accepted"}`,
		"unknown status": `{"command_id":"c","status":"maybe"}`,
		"trailing data":  `{"command_id":"c","status":"accepted"} {}`,
		"garbage":        `ok`,
	} {
		if o, err := events.ParseOutcome([]byte(value)); !errors.Is(err, events.ErrMalformed) {
			t.Errorf("%s: ParseOutcome = %+v, %v; want ErrMalformed", name, o, err)
		}
	}
	o, err := events.ParseOutcome([]byte(`{"command_id":"c","status":"rejected","rejection":{"code":"archived","reason":"r"},"added_later":1}`))
	if err != nil || o.Rejection == nil || o.Rejection.Code != collection.CodeArchived {
		t.Errorf("ParseOutcome = %+v, %v", o, err)
	}
}

// normData gives raw JSON the spelling json.Marshal writes.
func normData(t *testing.T, d json.RawMessage) string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("marshal data %q: %v", d, err)
	}
	return string(b)
}

func emptyToNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func seedEvents(f *testing.F) {
	for _, e := range []*events.Envelope{sampleEvent(), {
		ID: "not-a-uuid-but-tolerated", Type: "debtor.archived", V: 3,
		Aggregate: events.AggregateRef{Type: collection.DebtorAggregate, ID: "d", Version: 9},
		Data:      json.RawMessage(`{"id":"d","reason":"<décédé> & \u2028"}`),
	}} {
		r, err := events.EventRecord(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(r.Value)
		f.Add(r.Value[:len(r.Value)-1])
		f.Add(append(append([]byte{}, r.Value...), '}'))
	}
	for _, s := range []string{"", "{}", "null", "[]", `{"id":1}`, "\xff\xfe", `{"id":"x","type":"t","v":1,"aggregate":{"type":"a","id":"b","version":1},"data":{},"occurred_at":"2025-01-01T00:00:00+01:00","personal":""}`} {
		f.Add([]byte(s))
	}
}

func FuzzParseEvent(f *testing.F) {
	seedEvents(f)
	f.Fuzz(func(t *testing.T, value []byte) {
		e, err := events.ParseEvent(value)
		if err != nil {
			if e != nil || !errors.Is(err, events.ErrMalformed) {
				t.Fatalf("failed parse returned %+v, %v", e, err)
			}
			return
		}
		if e.ID == "" || e.Type == "" || e.V < 1 || e.Aggregate.Type == "" || e.Aggregate.ID == "" || e.Aggregate.Version < 1 || len(e.Data) == 0 || e.Data[0] != '{' {
			t.Fatalf("parsed event lacks a required field: %+v", e)
		}
		b1, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("parsed event does not marshal: %v", err)
		}
		e2, err := events.ParseEvent(b1)
		if err != nil {
			t.Fatalf("re-marshalled event %s does not parse: %v", b1, err)
		}
		if !e.OccurredAt.Equal(e2.OccurredAt) || e.OccurredAt.Format(time.RFC3339Nano) != e2.OccurredAt.Format(time.RFC3339Nano) {
			t.Fatalf("occurred_at %v became %v", e.OccurredAt, e2.OccurredAt)
		}
		if normData(t, e.Data) != normData(t, e2.Data) {
			t.Fatalf("data %s became %s", e.Data, e2.Data)
		}
		a, b := *e, *e2
		a.OccurredAt, b.OccurredAt = time.Time{}, time.Time{}
		a.Data, b.Data = nil, nil
		a.Personal, b.Personal = emptyToNil(a.Personal), emptyToNil(b.Personal)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("re-parsed event differs:\n %+v\n %+v", a, b)
		}
		if b2, err := json.Marshal(e2); err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("marshalling is not stable:\n %s\n %s (%v)", b1, b2, err)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, c := range []*events.CommandEnvelope{sampleCommand(), {
		ID: newID(), Type: "debtor.register", V: 1, ExpectedVersion: collection.AnyVersion,
		Aggregate: events.AggregateRef{Type: collection.DebtorAggregate, ID: newID()},
		Data:      json.RawMessage(`{"profile":{"kind":"person"}}`),
	}} {
		r, err := events.CommandRecord(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(r.Value)
		f.Add(bytes.ToUpper(r.Value))
		f.Add(append(append([]byte{}, r.Value...), "{}"...))
	}
	for _, s := range []string{"", "{}", "null", "\x00", `{"id":"018f3c1e-0000-7000-8000-000000000000"}`, `{"extra":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		c, err := events.ParseCommand(value)
		if err != nil {
			if c != nil || !errors.Is(err, events.ErrMalformed) {
				t.Fatalf("failed parse returned %+v, %v", c, err)
			}
			return
		}
		if c.ID == "" || c.Type == "" || c.V < 1 || c.Aggregate.Type == "" || c.Aggregate.ID == "" || len(c.Data) == 0 || c.Data[0] != '{' {
			t.Fatalf("parsed command lacks a required field: %+v", c)
		}
		for _, id := range []string{c.ID, c.Aggregate.ID} {
			if u, err := uuid.Parse(id); err != nil || u.String() != id {
				t.Fatalf("parsed command has a non-canonical id %q", id)
			}
		}
		b1, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("parsed command does not marshal: %v", err)
		}
		c2, err := events.ParseCommand(b1)
		if err != nil {
			t.Fatalf("re-marshalled command %s does not parse: %v", b1, err)
		}
		if !c.IssuedAt.Equal(c2.IssuedAt) || c.IssuedAt.Format(time.RFC3339Nano) != c2.IssuedAt.Format(time.RFC3339Nano) {
			t.Fatalf("issued_at %v became %v", c.IssuedAt, c2.IssuedAt)
		}
		if normData(t, c.Data) != normData(t, c2.Data) {
			t.Fatalf("data %s became %s", c.Data, c2.Data)
		}
		a, b := *c, *c2
		a.IssuedAt, b.IssuedAt = time.Time{}, time.Time{}
		a.Data, b.Data = nil, nil
		a.Personal, b.Personal = emptyToNil(a.Personal), emptyToNil(b.Personal)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("re-parsed command differs:\n %+v\n %+v", a, b)
		}
		if b2, err := json.Marshal(c2); err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("marshalling is not stable:\n %s\n %s (%v)", b1, b2, err)
		}
	})
}
