package api

import (
	"encoding/json"
	"testing"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// TestHideClearText: once the debtor is erased, the history drops the
// text a version 1 record carried in clear, as the read models do, and
// leaves every other record alone.
func TestHideClearText(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{Registry: events.NewRegistry()}}
	id := "0193a1b2-0000-7000-8000-000000000010"
	for _, tc := range []struct {
		typ    string
		v      int32
		data   string
		want   string
		erased bool
	}{
		{"debt.interaction_logged", 1,
			`{"id":"` + id + `","interaction_id":"` + id + `","channel":"note","summary":"épouse hospitalisée","occurred_at":"2025-04-20T09:30:00Z","by":"` + id + `"}`,
			`{"by":"` + id + `","channel":"note","id":"` + id + `","interaction_id":"` + id + `","occurred_at":"2025-04-20T09:30:00Z"}`, true},
		{"debt.payment_recorded", 1,
			`{"id":"` + id + `","payment_id":"` + id + `","amount":5,"value_date":"2025-03-31","method":"cash","allocation":{"fees":0,"principal":5,"credit":0},"by":"` + id + `"}`,
			"", false},
		{"debt.interaction_logged", 2,
			`{"id":"` + id + `","interaction_id":"` + id + `","channel":"note","occurred_at":"2025-04-20T09:30:00Z","by":"` + id + `"}`,
			"", false},
		// A legal step's note was in its details; the other details stay.
		{"debt.legal_step_recorded", 1,
			`{"id":"` + id + `","procedure_id":"` + id + `","step_id":"` + id + `","seq":1,"step":"filed","on":"2025-03-31","details":{"case_number":"25/04417","note":"renvoi: il est hospitalisé"},"by":"` + id + `"}`,
			`{"by":"` + id + `","details":{"case_number":"25/04417"},"id":"` + id + `","on":"2025-03-31","procedure_id":"` + id + `","seq":1,"step":"filed","step_id":"` + id + `"}`, true},
		{"debt.legal_step_recorded", 2,
			`{"id":"` + id + `","procedure_id":"` + id + `","step_id":"` + id + `","seq":1,"step":"filed","on":"2025-03-31","details":{"case_number":"25/04417"},"by":"` + id + `"}`,
			"", false},
		{"debt.status_changed", 1, `{"id":"` + id + `","from":"open","to":"withdrawn","reason":"retrait","by":"` + id + `"}`, "", false},
	} {
		e := historyEntry{Data: json.RawMessage(tc.data)}
		if err := s.hideClearText(&e, store.EventLog{Type: tc.typ, SchemaVersion: tc.v, Data: []byte(tc.data)}); err != nil {
			t.Fatalf("%s v%d: %v", tc.typ, tc.v, err)
		}
		want := tc.want
		if want == "" {
			want = tc.data
		}
		if string(e.Data) != want || e.Erased != tc.erased {
			t.Errorf("%s v%d: %s erased=%v, want %s erased=%v", tc.typ, tc.v, e.Data, e.Erased, want, tc.erased)
		}
	}
}
