package collection_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

// deciderCase is one command on one state, through Handle as the
// processor calls it.
type deciderCase struct {
	name    string
	history []collection.Event // folded into the new state first
	expect  *int64             // expected version; nil is AnyVersion
	cmd     collection.Command
	want    []collection.Event // accepted: exactly these events
	code    string             // rejected: this rejection code
	fields  []string           // rejected as invalid: exactly these fields
	reason  string             // rejected: the reason says this
	plain   bool               // refused with an error that is not a rejection
}

func runDecider(t *testing.T, typ collection.AggregateType, id string, cases []deciderCase) {
	t.Helper()
	b, ok := collection.BehaviourOf(typ)
	if !ok {
		t.Fatalf("no behaviour for %s", typ)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := collection.Fold(b, b.New(id), tc.history...)
			expected := collection.AnyVersion
			if tc.expect != nil {
				expected = *tc.expect
			}
			evs, err := collection.Handle(b, s, expected, tc.cmd)
			switch {
			case tc.plain:
				if err == nil {
					t.Fatalf("accepted with %v, want an error", evs)
				}
				if r, ok := collection.AsRejection(err); ok {
					t.Fatalf("got rejection %v, want a plain error (a bug, not a client's mistake)", r)
				}
			case tc.code != "":
				if err == nil {
					t.Fatalf("accepted with %v, want rejection %s", evs, tc.code)
				}
				r, ok := collection.AsRejection(err)
				if !ok {
					t.Fatalf("error %v is not a rejection", err)
				}
				if r.Code != tc.code {
					t.Fatalf("rejection %q (%s), want %q", r.Code, r.Reason, tc.code)
				}
				if r.Reason == "" {
					t.Error("rejection without a reason")
				}
				if !strings.Contains(r.Reason, tc.reason) {
					t.Errorf("rejection reason %q does not say %q", r.Reason, tc.reason)
				}
				var got []string
				for _, fe := range r.Errors {
					got = append(got, fe.Field)
				}
				slices.Sort(got)
				want := slices.Clone(tc.fields)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("rejected fields %q, want %q", got, want)
				}
				if evs != nil {
					t.Errorf("a rejection also returned events %v", evs)
				}
			default:
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if !reflect.DeepEqual(evs, tc.want) {
					t.Fatalf("events\n%#v\nwant\n%#v", evs, tc.want)
				}
				// Whatever Decide returns, Evolve accepts, one version each.
				next := collection.Fold(b, s, evs...)
				if next.Version() != s.Version()+int64(len(evs)) {
					t.Errorf("version %d after %d events on version %d", next.Version(), len(evs), s.Version())
				}
			}
		})
	}
}

func version(v int64) *int64 { return &v }

func TestBehaviours(t *testing.T) {
	t.Parallel()
	types := collection.AggregateTypes()
	if !slices.Equal(types, []collection.AggregateType{
		collection.AccountAggregate, collection.CreditorAggregate, collection.DebtAggregate, collection.DebtorAggregate,
	}) {
		t.Fatalf("AggregateTypes() = %v", types)
	}
	if !slices.IsSorted(types) {
		t.Errorf("AggregateTypes() not sorted: %v", types)
	}
	for _, typ := range types {
		b, ok := collection.BehaviourOf(typ)
		if !ok || b.Type != typ || b.New == nil || b.Decide == nil || b.Evolve == nil {
			t.Errorf("BehaviourOf(%s) = %+v, %v", typ, b, ok)
			continue
		}
		if v := b.New("x").Version(); v != 0 {
			t.Errorf("%s: a new aggregate has version %d, want 0", typ, v)
		}
	}
	if _, ok := collection.BehaviourOf("invoice"); ok {
		t.Error("BehaviourOf(invoice) found a behaviour")
	}
}

func TestRecordNames(t *testing.T) {
	t.Parallel()
	// Names are the Kafka "type" header: unique, and prefixed by the
	// aggregate so that a consumer can route on them.
	commands := []collection.Command{
		collection.RegisterCreditor{}, collection.UpdateCreditor{}, collection.ArchiveCreditor{}, collection.EraseCreditor{},
		collection.RegisterDebtor{}, collection.UpdateDebtor{}, collection.ArchiveDebtor{}, collection.EraseDebtor{},
		collection.OpenDebt{}, collection.ChangeDebtStatus{}, collection.AssignDebt{}, collection.RescheduleDebt{},
		collection.AddCharge{}, collection.ProposeAction{}, collection.DecideProposal{},
		collection.RecordPayment{}, collection.ReversePayment{},
	}
	events := []collection.Event{
		collection.CreditorRegistered{}, collection.CreditorUpdated{}, collection.CreditorArchived{}, collection.CreditorErased{},
		collection.DebtorRegistered{}, collection.DebtorUpdated{}, collection.DebtorArchived{}, collection.DebtorErased{},
		collection.DebtOpened{}, collection.DebtStatusChanged{}, collection.DebtAssigned{}, collection.DebtRescheduled{},
		collection.ChargeAdded{}, collection.ActionProposed{}, collection.ProposalApproved{}, collection.ProposalRefused{},
		collection.DiscountGranted{}, collection.DebtWrittenOff{}, collection.PaymentRecorded{}, collection.PaymentReversed{},
	}
	seen := map[string]bool{}
	check := func(name string, agg collection.AggregateType) {
		if seen[name] {
			t.Errorf("record name %q used twice", name)
		}
		seen[name] = true
		if !strings.HasPrefix(name, string(agg)+".") {
			t.Errorf("record name %q does not start with its aggregate %q", name, agg)
		}
	}
	for _, c := range commands {
		check(c.CommandType(), c.Aggregate())
	}
	for _, e := range events {
		check(e.EventType(), e.Aggregate())
	}
	// Every record that can carry personal data says so.
	for _, v := range []any{
		collection.RegisterCreditor{}, collection.UpdateCreditor{}, collection.CreditorRegistered{}, collection.CreditorUpdated{},
		collection.RegisterDebtor{}, collection.UpdateDebtor{}, collection.DebtorRegistered{}, collection.DebtorUpdated{},
	} {
		if _, ok := v.(collection.PersonalCarrier); !ok {
			t.Errorf("%T does not carry its personal part", v)
		}
	}
	// An erasure names the person whose key goes, and carries nothing
	// personal itself: the log keeps it for good.
	for _, e := range []collection.PersonalErasure{
		collection.DebtorErased{ID: debtorID}, collection.CreditorErased{ID: creditorID},
	} {
		if id := e.ErasedSubject(); id != debtorID && id != creditorID {
			t.Errorf("%T erases %q", e, id)
		}
		if _, ok := e.(collection.PersonalCarrier); ok {
			t.Errorf("%T carries a personal part", e)
		}
	}
	for _, e := range events {
		if _, ok := e.(collection.PersonalErasure); ok && !strings.HasSuffix(e.EventType(), ".erased") {
			t.Errorf("%s erases a person but is not named *.erased", e.EventType())
		}
	}
}

func TestRejection(t *testing.T) {
	t.Parallel()
	r := collection.Reject(collection.CodeNotFound, "debtor d1 does not exist")
	if r.Error() != "not_found: debtor d1 does not exist" {
		t.Errorf("Error() = %q", r.Error())
	}
	wrapped := fmt.Errorf("handle command c1: %w", r)
	got, ok := collection.AsRejection(wrapped)
	if !ok || got != r {
		t.Errorf("AsRejection through %%w = %v, %v", got, ok)
	}
	if _, ok := collection.AsRejection(fmt.Errorf("broker down")); ok {
		t.Error("AsRejection found a rejection in a plain error")
	}
	if _, ok := collection.AsRejection(nil); ok {
		t.Error("AsRejection(nil) found a rejection")
	}

	var fe collection.FieldErrors
	if fe.Err() != nil {
		t.Error("no field errors must be no error")
	}
	fe.Add("wilaya", "is required")
	fe.Add("phones[1]", "is a landline number")
	r, ok = collection.AsRejection(fe.Err())
	if !ok || r.Code != collection.CodeInvalid || len(r.Errors) != 2 || r.Errors[1].Field != "phones[1]" {
		t.Errorf("FieldErrors.Err() = %+v", r)
	}
}

func TestHandleWrongAggregate(t *testing.T) {
	t.Parallel()
	cb, _ := collection.BehaviourOf(collection.CreditorAggregate)
	db, _ := collection.BehaviourOf(collection.DebtorAggregate)
	for _, tc := range []struct {
		b   collection.Behaviour
		cmd collection.Command
	}{
		{cb, collection.RegisterDebtor{ID: "x"}},
		{cb, collection.ArchiveDebtor{ID: "x"}},
		{cb, collection.EraseDebtor{ID: "x", Reason: "r"}},
		{db, collection.RegisterCreditor{ID: "x"}},
		{db, collection.UpdateCreditor{ID: "x"}},
		{db, collection.EraseCreditor{ID: "x", Reason: "r"}},
	} {
		// Even with a version conflict, the misrouting is what is reported.
		for _, expected := range []int64{collection.AnyVersion, 0, 7} {
			evs, err := collection.Handle(tc.b, tc.b.New("x"), expected, tc.cmd)
			if err == nil {
				t.Errorf("%s accepted %s: %v", tc.b.Type, tc.cmd.CommandType(), evs)
				continue
			}
			if _, ok := collection.AsRejection(err); ok {
				t.Errorf("%s refused %s with a rejection; a misrouted command is a bug", tc.b.Type, tc.cmd.CommandType())
			}
		}
	}
}

func TestFoldNothing(t *testing.T) {
	t.Parallel()
	for _, typ := range collection.AggregateTypes() {
		b, _ := collection.BehaviourOf(typ)
		s := b.New("x")
		if got := collection.Fold(b, s); !reflect.DeepEqual(got, s) {
			t.Errorf("%s: folding no event changed the state: %+v → %+v", typ, s, got)
		}
	}
}
