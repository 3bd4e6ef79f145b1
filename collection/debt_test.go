package collection_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// The debt's fixtures: 10 000 DZD of principal and 500 DZD of fees, a
// balance of 1 050 000 centimes.
const (
	debtID      = "0193a1b2-0000-7000-8000-000000000010"
	debtMaker   = "0193a1b2-0000-7000-8000-0000000000a1"
	debtChecker = "0193a1b2-0000-7000-8000-0000000000a2"
	debtAgent   = "0193a1b2-0000-7000-8000-0000000000a3"
	debtAgent2  = "0193a1b2-0000-7000-8000-0000000000a4"

	debtPrincipal = 1_000_000
	debtFees      = 50_000
	debtBalance   = debtPrincipal + debtFees
)

var (
	debtDueOn = collection.DateOf(2025, time.March, 31)
	openDebt  = collection.OpenDebt{
		ID: debtID, Ref: "F-7KQ2M9", CreditorID: creditorID, DebtorID: debtorID, ExternalRef: "FAC-2025/0042",
		Type: collection.DebtTypeCommercial, Principal: debtPrincipal, Fees: debtFees, Currency: collection.DebtCurrency,
		AcknowledgedOn: collection.DateOf(2025, time.January, 12), OriginalDueOn: debtDueOn,
		Description: "Facture impayée\nlivraison de ciment", By: debtMaker,
	}
	debtOpened = collection.DebtOpened{
		ID: debtID, Ref: "F-7KQ2M9", CreditorID: creditorID, DebtorID: debtorID, ExternalRef: "FAC-2025/0042",
		Type: collection.DebtTypeCommercial, Principal: debtPrincipal, Fees: debtFees, Currency: collection.DebtCurrency,
		AcknowledgedOn: collection.DateOf(2025, time.January, 12), OriginalDueOn: debtDueOn, CurrentDueOn: debtDueOn,
		Description: "Facture impayée\nlivraison de ciment", Status: collection.DebtStatusOpen, By: debtMaker,
	}
)

// debtUUID returns the n-th id of the tests' payments, charges and proposals.
func debtUUID(n int) string { return fmt.Sprintf("0193a1b2-0000-7000-8000-%012x", 0xb00+n) }

func moved(from, to string) collection.DebtStatusChanged {
	e := collection.DebtStatusChanged{ID: debtID, From: from, To: to, By: debtMaker}
	switch to {
	case collection.DebtStatusOnHold:
		e.HoldReason, e.Reason = collection.HoldReasonHardship, "lost his job"
	case collection.DebtStatusWithdrawn, collection.DebtStatusUncollectible:
		e.Reason = "creditor's decision"
	}
	return e
}

func changeTo(to string) collection.ChangeDebtStatus {
	e := moved("", to)
	return collection.ChangeDebtStatus{ID: debtID, To: to, HoldReason: e.HoldReason, Reason: e.Reason, By: debtMaker}
}

func alloc(fees, principal, credit int64) collection.Allocation {
	return collection.Allocation{Fees: fees, Principal: principal, Credit: credit}
}

func payment(n int, amount int64, method, ref string) collection.RecordPayment {
	return collection.RecordPayment{ID: debtID, PaymentID: debtUUID(n), Amount: amount,
		ValueDate: collection.DateOf(2025, time.April, 2), Method: method, Reference: ref, By: debtAgent}
}

func cash(n int, amount int64) collection.RecordPayment {
	return payment(n, amount, collection.PaymentMethodCash, "")
}

func recorded(c collection.RecordPayment, a collection.Allocation) collection.PaymentRecorded {
	return collection.PaymentRecorded{ID: c.ID, PaymentID: c.PaymentID, Amount: c.Amount, ValueDate: c.ValueDate,
		Method: c.Method, Reference: c.Reference, Note: c.Note, Overpayment: c.Overpayment, Allocation: a, By: c.By,
		Personal: c.Personal}
}

func recoveredFrom(from string, by string) collection.DebtStatusChanged {
	return collection.DebtStatusChanged{ID: debtID, From: from, To: collection.DebtStatusRecovered, Reason: "balance paid", By: by}
}

func reverse(n int) collection.ReversePayment {
	return collection.ReversePayment{ID: debtID, PaymentID: debtUUID(n), Reason: "cheque bounced", By: debtAgent}
}

func reversed(n int, amount int64, a collection.Allocation) collection.PaymentReversed {
	return collection.PaymentReversed{ID: debtID, PaymentID: debtUUID(n), Amount: amount, Allocation: a, Reason: "cheque bounced", By: debtAgent}
}

func propose(n int, action string, discount int64) collection.ProposeAction {
	return collection.ProposeAction{ID: debtID, ProposalID: debtUUID(n), Action: action, Discount: discount,
		Reason: "debtor offers to settle", By: debtMaker}
}

func proposed(n int, action string, discount, balance int64) collection.ActionProposed {
	return collection.ActionProposed{ID: debtID, ProposalID: debtUUID(n), Action: action, Discount: discount,
		Balance: balance, Reason: "debtor offers to settle", By: debtMaker}
}

func approve(n int) collection.DecideProposal {
	return collection.DecideProposal{ID: debtID, ProposalID: debtUUID(n), Approve: true, By: debtChecker}
}

func refuse(n int) collection.DecideProposal {
	return collection.DecideProposal{ID: debtID, ProposalID: debtUUID(n), Reason: "too generous", By: debtChecker}
}

func approved(n int, action string) collection.ProposalApproved {
	return collection.ProposalApproved{ID: debtID, ProposalID: debtUUID(n), Action: action, By: debtChecker}
}

func charge(n int, kind string, amount int64) collection.AddCharge {
	return collection.AddCharge{ID: debtID, ChargeID: debtUUID(n), Kind: kind, Amount: amount,
		Reason: "bailiff's fee", On: collection.DateOf(2025, time.May, 4), By: debtAgent}
}

func debtEvents(evs ...[]collection.Event) []collection.Event { return slices.Concat(evs...) }

func evs(e ...collection.Event) []collection.Event { return e }

// debtHistories leads a debt to each status through the events the
// decider writes on the way.
func debtHistories() map[string][]collection.Event {
	full := cash(90, debtBalance)
	h := map[string][]collection.Event{
		collection.DebtStatusOpen:     evs(debtOpened),
		collection.DebtStatusAmicable: evs(debtOpened, moved("open", "amicable")),
		collection.DebtStatusPaymentPlan: evs(debtOpened, moved("open", "amicable"),
			moved("amicable", "payment_plan")),
		collection.DebtStatusLegal: evs(debtOpened, proposed(91, collection.ActionEscalateLegal, 0, debtBalance),
			approved(91, collection.ActionEscalateLegal),
			collection.DebtStatusChanged{ID: debtID, From: "open", To: "legal", Reason: "debtor offers to settle", By: debtChecker}),
		collection.DebtStatusRecovered: evs(debtOpened, recorded(full, alloc(debtFees, debtPrincipal, 0)),
			recoveredFrom("open", debtAgent)),
		collection.DebtStatusWrittenOff: evs(debtOpened, proposed(92, collection.ActionWriteOff, 0, debtBalance),
			approved(92, collection.ActionWriteOff),
			collection.DebtWrittenOff{ID: debtID, ProposalID: debtUUID(92), Amount: debtBalance,
				Allocation: alloc(debtFees, debtPrincipal, 0), By: debtChecker},
			collection.DebtStatusChanged{ID: debtID, From: "open", To: "written_off", Reason: "debtor offers to settle", By: debtChecker}),
		collection.DebtStatusWithdrawn:     evs(debtOpened, moved("open", "withdrawn")),
		collection.DebtStatusUncollectible: evs(debtOpened, moved("open", "uncollectible")),
	}
	h[collection.DebtStatusOnHold] = heldFrom(h, collection.DebtStatusOpen)
	return h
}

func heldFrom(h map[string][]collection.Event, status string) []collection.Event {
	return debtEvents(h[status], evs(moved(status, collection.DebtStatusOnHold)))
}

func TestDebtStatusTransitions(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	// The rules, written out independently of the decider.
	allowed := map[string][]string{
		"open":         {"amicable", "on_hold", "withdrawn", "uncollectible"},
		"amicable":     {"payment_plan", "on_hold", "withdrawn", "uncollectible"},
		"payment_plan": {"amicable", "on_hold", "withdrawn", "uncollectible"},
		"legal":        {"on_hold", "withdrawn", "uncollectible"},
	}
	type from struct {
		name     string
		status   string
		held     string // for on_hold: the status before the hold
		history  []collection.Event
		expected []string
	}
	var froms []from
	for _, st := range collection.DebtStatuses() {
		if st == collection.DebtStatusOnHold {
			for _, before := range []string{"open", "amicable", "payment_plan", "legal"} {
				froms = append(froms, from{"on_hold from " + before, st, before, heldFrom(h, before),
					[]string{before, "withdrawn", "uncollectible"}})
			}
			continue
		}
		froms = append(froms, from{st, st, "", h[st], allowed[st]})
	}
	var cases []deciderCase
	for _, f := range froms {
		for _, to := range collection.DebtStatuses() {
			tc := deciderCase{name: f.name + " → " + to, history: f.history, cmd: changeTo(to)}
			switch {
			case to == f.status:
				tc.code = collection.CodeNoChange
			case slices.Contains(f.expected, to):
				e := moved(f.status, to)
				tc.want = evs(e)
			default:
				tc.code = collection.CodeWrongStatus
			}
			cases = append(cases, tc)
		}
	}
	if len(cases) != 12*9 {
		t.Fatalf("%d transition cases, want every one of 12 starting points to each of 9 statuses", len(cases))
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtStatusTargets(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := debtHistories()
	for _, tc := range []struct {
		history []collection.Event
		want    []string
	}{
		{nil, nil},
		{h["open"], []string{"amicable", "on_hold", "withdrawn", "uncollectible"}},
		{h["amicable"], []string{"payment_plan", "on_hold", "withdrawn", "uncollectible"}},
		{h["payment_plan"], []string{"amicable", "on_hold", "withdrawn", "uncollectible"}},
		{h["legal"], []string{"on_hold", "withdrawn", "uncollectible"}},
		{heldFrom(h, "legal"), []string{"legal", "withdrawn", "uncollectible"}},
		{h["recovered"], nil},
		{h["written_off"], nil},
		{h["withdrawn"], nil},
		{h["uncollectible"], nil},
	} {
		s := collection.Fold(b, b.New(debtID), tc.history...).(collection.DebtState)
		if got := s.StatusTargets(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: StatusTargets() = %v, want %v", s.Status, got, tc.want)
		}
	}
}

func TestDebtWrongStatusNamesStatusAndTargets(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := debtHistories()
	for _, tc := range []struct {
		history []collection.Event
		cmd     collection.Command
		want    string
	}{
		{h["amicable"], changeTo("legal"), "debt " + debtID + " is amicable; it can move to payment_plan, on_hold, withdrawn or uncollectible only, not to legal (an escalation to legal needs an approved escalate_legal proposal)"},
		{h["open"], changeTo("written_off"), "debt " + debtID + " is open; it can move to amicable, on_hold, withdrawn or uncollectible only, not to written_off (a write-off needs an approved write_off proposal)"},
		{h["payment_plan"], changeTo("recovered"), "debt " + debtID + " is payment_plan; it can move to amicable, on_hold, withdrawn or uncollectible only, not to recovered (a debt is recovered when its balance is paid)"},
		{heldFrom(h, "amicable"), changeTo("open"), "debt " + debtID + " is on_hold; it can move to amicable, withdrawn or uncollectible only, not to open"},
		{h["withdrawn"], changeTo("open"), "debt " + debtID + " is withdrawn, which is final; its status can no longer change"},
		{h["recovered"], changeTo("open"), "debt " + debtID + " is recovered and closed; it reopens only when one of its payments is reversed"},
		{h["recovered"], cash(1, 100), "debt " + debtID + " is recovered, which is closed; no payment is recorded on a closed debt"},
		{h["written_off"], collection.AssignDebt{ID: debtID, AgentID: debtAgent, By: debtMaker},
			"debt " + debtID + " is written_off, which is closed; only an open debt is assigned"},
	} {
		_, err := collection.Handle(b, collection.Fold(b, b.New(debtID), tc.history...), collection.AnyVersion, tc.cmd)
		r, ok := collection.AsRejection(err)
		if !ok || r.Code != collection.CodeWrongStatus {
			t.Errorf("%s: %v, want %s", tc.cmd.CommandType(), err, collection.CodeWrongStatus)
			continue
		}
		if r.Reason != tc.want {
			t.Errorf("reason\n%q\nwant\n%q", r.Reason, tc.want)
		}
	}
}

func TestDebtDecide(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	open := h["open"]
	closed := []string{"recovered", "written_off", "withdrawn", "uncollectible"}

	withOpen := func(change func(*collection.OpenDebt)) collection.OpenDebt {
		c := openDebt
		change(&c)
		return c
	}
	openedAs := func(c collection.OpenDebt) []collection.Event {
		return evs(collection.DebtOpened{ID: c.ID, Ref: c.Ref, CreditorID: c.CreditorID, DebtorID: c.DebtorID,
			ExternalRef: c.ExternalRef, Type: c.Type, Principal: c.Principal, Fees: c.Fees, Currency: c.Currency,
			AcknowledgedOn: c.AcknowledgedOn, OriginalDueOn: c.OriginalDueOn, CurrentDueOn: c.OriginalDueOn,
			Description: c.Description, Status: collection.DebtStatusOpen, By: c.By})
	}
	minimal := withOpen(func(c *collection.OpenDebt) {
		c.AcknowledgedOn, c.Description, c.Fees, c.Type = collection.Date{}, "", 0, collection.DebtTypeCheque
	})
	largest := withOpen(func(c *collection.OpenDebt) {
		c.Principal, c.Fees = collection.MaxDebtAmount-1, 1
		c.ExternalRef = strings.Repeat("é", collection.MaxExternalRefLength)
		c.Description = strings.Repeat("x", collection.MaxDebtDescriptionLength)
	})
	assign := func(agent string) collection.AssignDebt {
		return collection.AssignDebt{ID: debtID, AgentID: agent, By: debtMaker}
	}
	assigned := collection.DebtAssigned{ID: debtID, AgentID: debtAgent, By: debtMaker}
	newDue := collection.DateOf(2025, time.June, 30)
	reschedule := collection.RescheduleDebt{ID: debtID, DueOn: newDue, Reason: "Ramadan", By: debtAgent}
	rescheduled := collection.DebtRescheduled{ID: debtID, From: debtDueOn, To: newDue, Reason: "Ramadan", By: debtAgent}
	fee := charge(1, collection.ChargeKindFee, 20_000)
	legalCost := charge(2, collection.ChargeKindLegalCost, 150_000)
	withCharge := func(change func(*collection.AddCharge)) collection.AddCharge {
		c := fee
		change(&c)
		return c
	}
	withStatus := func(c collection.ChangeDebtStatus, change func(*collection.ChangeDebtStatus)) collection.ChangeDebtStatus {
		change(&c)
		return c
	}

	reopenedOnHold := debtEvents(heldFrom(h, "amicable"), evs(
		recorded(cash(1, debtBalance), alloc(debtFees, debtPrincipal, 0)), recoveredFrom("on_hold", debtAgent),
		reversed(1, debtBalance, alloc(debtFees, debtPrincipal, 0)),
		collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "on_hold", Reason: "payment reversed", By: debtAgent}))

	var cases []deciderCase
	// Every command but the one that opens a debt, on a missing debt.
	for _, c := range []collection.Command{
		changeTo("amicable"), assign(debtAgent), reschedule, fee, propose(1, collection.ActionWriteOff, 0), approve(1),
		cash(1, 100), reverse(1),
	} {
		cases = append(cases, deciderCase{name: c.CommandType() + " on missing", cmd: c, code: collection.CodeNotFound})
	}
	// Every command that needs an open debt, on each closed status.
	for _, st := range closed {
		for _, c := range []collection.Command{
			assign(debtAgent), reschedule, fee, propose(1, collection.ActionWriteOff, 0),
			propose(1, collection.ActionSettlement, 100), propose(1, collection.ActionEscalateLegal, 0), cash(1, 100),
		} {
			cases = append(cases, deciderCase{name: c.CommandType() + " on " + st, history: h[st], cmd: c, code: collection.CodeWrongStatus})
		}
	}

	cases = append(cases, []deciderCase{
		// open
		{name: "open", cmd: openDebt, want: evs(debtOpened)},
		{name: "open expecting version 0", expect: version(0), cmd: openDebt, want: evs(debtOpened)},
		{name: "open minimal", cmd: minimal, want: openedAs(minimal)},
		{name: "open at the limits", cmd: largest, want: openedAs(largest)},
		{name: "open on existing", history: open, cmd: openDebt, code: collection.CodeAlreadyExists},
		{name: "open on withdrawn", history: h["withdrawn"], cmd: openDebt, code: collection.CodeAlreadyExists},
		{name: "open on existing expecting version 0", history: open, expect: version(0), cmd: openDebt, code: collection.CodeVersionConflict},
		{name: "open with everything missing", cmd: collection.OpenDebt{},
			code: collection.CodeInvalid, fields: []string{"id", "ref", "creditor_id", "debtor_id", "external_ref", "type",
				"principal", "currency", "original_due_on", "by"}},
		{name: "open with everything wrong", cmd: collection.OpenDebt{
			ID: strings.ToUpper(debtID), Ref: "F-\x00", CreditorID: "C-7KQ2M9", DebtorID: "00000000-0000-0000-0000-000000000000",
			ExternalRef: "two\nlines", Type: "Commercial", Principal: -5, Fees: -1, Currency: "EUR",
			Description: "\u202egnp.exe", By: "agent"},
			code: collection.CodeInvalid, fields: []string{"id", "ref", "creditor_id", "debtor_id", "external_ref", "type",
				"principal", "fees", "currency", "original_due_on", "description", "by"}},
		{name: "open with no principal", cmd: withOpen(func(c *collection.OpenDebt) { c.Principal = 0 }),
			code: collection.CodeInvalid, fields: []string{"principal"}},
		{name: "open above the maximum", cmd: withOpen(func(c *collection.OpenDebt) { c.Principal = collection.MaxDebtAmount + 1 }),
			code: collection.CodeInvalid, fields: []string{"principal"}},
		{name: "open with fees above the maximum", cmd: withOpen(func(c *collection.OpenDebt) { c.Fees = collection.MaxDebtAmount + 1 }),
			code: collection.CodeInvalid, fields: []string{"fees"}},
		{name: "open with principal and fees above the maximum", cmd: withOpen(func(c *collection.OpenDebt) {
			c.Principal, c.Fees = collection.MaxDebtAmount, 1
		}), code: collection.CodeInvalid, fields: []string{"fees"}},
		{name: "open with an external_ref too long", cmd: withOpen(func(c *collection.OpenDebt) {
			c.ExternalRef = strings.Repeat("é", collection.MaxExternalRefLength+1)
		}), code: collection.CodeInvalid, fields: []string{"external_ref"}},
		{name: "open with a blank external_ref", cmd: withOpen(func(c *collection.OpenDebt) { c.ExternalRef = "  " }),
			code: collection.CodeInvalid, fields: []string{"external_ref"}},
		{name: "open with a description too long", cmd: withOpen(func(c *collection.OpenDebt) {
			c.Description = strings.Repeat("x", collection.MaxDebtDescriptionLength+1)
		}), code: collection.CodeInvalid, fields: []string{"description"}},
		{name: "open with invalid UTF-8", cmd: withOpen(func(c *collection.OpenDebt) { c.Description = "ok\xff" }),
			code: collection.CodeInvalid, fields: []string{"description"}},
		{name: "open in lower-case dinars", cmd: withOpen(func(c *collection.OpenDebt) { c.Currency = "dzd" }),
			code: collection.CodeInvalid, fields: []string{"currency"}},
		{name: "open with a ref too long", cmd: withOpen(func(c *collection.OpenDebt) { c.Ref = strings.Repeat("F", 33) }),
			code: collection.CodeInvalid, fields: []string{"ref"}},

		// change status: what the transition table does not cover
		{name: "change to nothing", history: open, cmd: collection.ChangeDebtStatus{ID: debtID, By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"to"}},
		{name: "change to an unknown status", history: open, cmd: collection.ChangeDebtStatus{ID: debtID, To: "closed", By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"to"}},
		{name: "hold without a kind or a reason", history: open, cmd: collection.ChangeDebtStatus{ID: debtID, To: "on_hold", By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"hold_reason", "reason"}},
		{name: "hold of an unknown kind", history: open,
			cmd:  withStatus(changeTo("on_hold"), func(c *collection.ChangeDebtStatus) { c.HoldReason = "holiday" }),
			code: collection.CodeInvalid, fields: []string{"hold_reason"}},
		{name: "hold for a dispute", history: h["amicable"],
			cmd: withStatus(changeTo("on_hold"), func(c *collection.ChangeDebtStatus) { c.HoldReason = "dispute" }),
			want: evs(collection.DebtStatusChanged{ID: debtID, From: "amicable", To: "on_hold", HoldReason: "dispute",
				Reason: "lost his job", By: debtMaker})},
		{name: "hold for another reason", history: h["legal"],
			cmd: withStatus(changeTo("on_hold"), func(c *collection.ChangeDebtStatus) { c.HoldReason = "other" }),
			want: evs(collection.DebtStatusChanged{ID: debtID, From: "legal", To: "on_hold", HoldReason: "other",
				Reason: "lost his job", By: debtMaker})},
		{name: "withdraw without a reason", history: open, cmd: collection.ChangeDebtStatus{ID: debtID, To: "withdrawn", By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "uncollectible without a reason", history: h["on_hold"],
			cmd: collection.ChangeDebtStatus{ID: debtID, To: "uncollectible", Reason: " ", By: debtMaker}, code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "amicable with a reason", history: open,
			cmd:  collection.ChangeDebtStatus{ID: debtID, To: "amicable", Reason: "first call made", By: debtMaker},
			want: evs(collection.DebtStatusChanged{ID: debtID, From: "open", To: "amicable", Reason: "first call made", By: debtMaker})},
		{name: "amicable with a hold kind", history: open,
			cmd:  collection.ChangeDebtStatus{ID: debtID, To: "amicable", HoldReason: "dispute", By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"hold_reason"}},
		{name: "change with a reason too long", history: open,
			cmd:  collection.ChangeDebtStatus{ID: debtID, To: "withdrawn", Reason: strings.Repeat("é", 501), By: debtMaker},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "change by nobody", history: open, cmd: collection.ChangeDebtStatus{ID: debtID, To: "amicable"},
			code: collection.CodeInvalid, fields: []string{"by"}},
		{name: "change expecting an old version", history: h["amicable"], expect: version(1), cmd: changeTo("payment_plan"),
			code: collection.CodeVersionConflict},
		{name: "change expecting the current version", history: h["amicable"], expect: version(2), cmd: changeTo("payment_plan"),
			want: evs(moved("amicable", "payment_plan"))},
		{name: "release a recovered debt held before", history: debtEvents(heldFrom(h, "amicable"),
			evs(recorded(cash(1, debtBalance), alloc(debtFees, debtPrincipal, 0)), recoveredFrom("on_hold", debtAgent))),
			cmd: changeTo("amicable"), code: collection.CodeWrongStatus},
		{name: "release a debt reopened on hold to where it was held from", history: reopenedOnHold, cmd: changeTo("amicable"),
			want: evs(moved("on_hold", "amicable"))},
		{name: "release a debt reopened on hold to recovered", history: reopenedOnHold, cmd: changeTo("recovered"),
			code: collection.CodeWrongStatus},

		// assign
		{name: "assign", history: open, cmd: assign(debtAgent), want: evs(assigned)},
		{name: "assign on hold", history: h["on_hold"], cmd: assign(debtAgent), want: evs(assigned)},
		{name: "reassign", history: debtEvents(open, evs(assigned)), cmd: assign(debtAgent2),
			want: evs(collection.DebtAssigned{ID: debtID, AgentID: debtAgent2, Previous: debtAgent, By: debtMaker})},
		{name: "assign to the same agent", history: debtEvents(open, evs(assigned)), cmd: assign(debtAgent), code: collection.CodeNoChange},
		{name: "assign to nobody", history: open, cmd: assign(""), code: collection.CodeInvalid, fields: []string{"agent_id"}},
		{name: "assign to a malformed id, by nobody", history: open, cmd: collection.AssignDebt{ID: debtID, AgentID: "agent-7"},
			code: collection.CodeInvalid, fields: []string{"agent_id", "by"}},

		// reschedule
		{name: "reschedule", history: open, cmd: reschedule, want: evs(rescheduled)},
		{name: "reschedule in legal", history: h["legal"], cmd: reschedule, want: evs(rescheduled)},
		{name: "reschedule again", history: debtEvents(open, evs(rescheduled)),
			cmd:  collection.RescheduleDebt{ID: debtID, DueOn: debtDueOn, Reason: "back to the contract", By: debtAgent},
			want: evs(collection.DebtRescheduled{ID: debtID, From: newDue, To: debtDueOn, Reason: "back to the contract", By: debtAgent})},
		{name: "reschedule to the same date", history: open,
			cmd: collection.RescheduleDebt{ID: debtID, DueOn: debtDueOn, Reason: "no change", By: debtAgent}, code: collection.CodeNoChange},
		{name: "reschedule to no date, for no reason", history: open, cmd: collection.RescheduleDebt{ID: debtID, By: debtAgent},
			code: collection.CodeInvalid, fields: []string{"due_on", "reason"}},

		// add charge
		{name: "add a fee", history: open, cmd: fee, want: evs(collection.ChargeAdded(fee))},
		{name: "add a legal cost in legal", history: h["legal"], cmd: legalCost, want: evs(collection.ChargeAdded(legalCost))},
		{name: "add a charge on hold", history: h["on_hold"], cmd: fee, want: evs(collection.ChargeAdded(fee))},
		{name: "add a charge twice", history: debtEvents(open, evs(collection.ChargeAdded(fee))),
			cmd: withCharge(func(c *collection.AddCharge) { c.Amount = 1 }), code: collection.CodeAlreadyExists},
		{name: "add a charge of nothing", history: open, cmd: collection.AddCharge{ID: debtID},
			code: collection.CodeInvalid, fields: []string{"charge_id", "kind", "amount", "reason", "on", "by"}},
		{name: "add a negative charge of an unknown kind", history: open,
			cmd:  withCharge(func(c *collection.AddCharge) { c.Amount, c.Kind = -100, "interest" }),
			code: collection.CodeInvalid, fields: []string{"amount", "kind"}},
		{name: "add a charge above the maximum", history: open,
			cmd:  withCharge(func(c *collection.AddCharge) { c.Amount = collection.MaxDebtAmount + 1 }),
			code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "add a charge that takes the debt above the maximum", history: open,
			cmd:  withCharge(func(c *collection.AddCharge) { c.Amount = collection.MaxDebtAmount - debtBalance + 1 }),
			code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "add a charge that takes the debt to the maximum", history: open,
			cmd:  withCharge(func(c *collection.AddCharge) { c.Amount = collection.MaxDebtAmount - debtBalance }),
			want: evs(collection.ChargeAdded(withCharge(func(c *collection.AddCharge) { c.Amount = collection.MaxDebtAmount - debtBalance })))},

		// misrouted
		{name: "creditor command", history: open, cmd: collection.ArchiveCreditor{ID: debtID}, plain: true},
		{name: "unknown debt command", history: open, cmd: strayDebtCommand{}, plain: true},
	}...)
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

// strayDebtCommand claims the debt aggregate but is not one of its commands.
type strayDebtCommand struct{}

func (strayDebtCommand) CommandType() string                 { return "debt.merge" }
func (strayDebtCommand) Aggregate() collection.AggregateType { return collection.DebtAggregate }

func TestDebtProposals(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	open := h["open"]
	writeOff := propose(1, collection.ActionWriteOff, 0)
	settle := propose(2, collection.ActionSettlement, 300_000)
	escalate := propose(3, collection.ActionEscalateLegal, 0)
	writeOffProposed := proposed(1, collection.ActionWriteOff, 0, debtBalance)
	settleProposed := proposed(2, collection.ActionSettlement, 300_000, debtBalance)
	escalateProposed := proposed(3, collection.ActionEscalateLegal, 0, debtBalance)
	pendingWriteOff := debtEvents(open, evs(writeOffProposed))
	pendingSettle := debtEvents(open, evs(settleProposed))
	pendingEscalate := debtEvents(open, evs(escalateProposed))
	partly := recorded(cash(10, 100_000), alloc(debtFees, 50_000, 0)) // 950 000 left, all principal
	withProposal := func(c collection.ProposeAction, change func(*collection.ProposeAction)) collection.ProposeAction {
		change(&c)
		return c
	}
	withDecision := func(c collection.DecideProposal, change func(*collection.DecideProposal)) collection.DecideProposal {
		change(&c)
		return c
	}
	refused := collection.ProposalRefused{ID: debtID, ProposalID: debtUUID(2), Action: collection.ActionSettlement,
		Reason: "too generous", By: debtChecker}

	runDecider(t, collection.DebtAggregate, debtID, []deciderCase{
		// propose
		{name: "propose a write-off", history: open, cmd: writeOff, want: evs(writeOffProposed)},
		{name: "propose a settlement", history: open, cmd: settle, want: evs(settleProposed)},
		{name: "propose a settlement on hold", history: h["on_hold"], cmd: settle, want: evs(settleProposed)},
		{name: "propose a write-off in legal", history: h["legal"], cmd: writeOff, want: evs(writeOffProposed)},
		{name: "propose an escalation from open", history: open, cmd: escalate, want: evs(escalateProposed)},
		{name: "propose an escalation from amicable", history: h["amicable"], cmd: escalate, want: evs(escalateProposed)},
		{name: "propose an escalation from payment_plan", history: h["payment_plan"], cmd: escalate, want: evs(escalateProposed)},
		{name: "propose an escalation in legal", history: h["legal"], cmd: escalate, code: collection.CodeWrongStatus},
		{name: "propose an escalation on hold", history: h["on_hold"], cmd: escalate, code: collection.CodeWrongStatus},
		{name: "propose a settlement after a payment", history: debtEvents(open, evs(partly)), cmd: settle,
			want: evs(proposed(2, collection.ActionSettlement, 300_000, 950_000))},
		{name: "propose a settlement of the whole balance", history: open,
			cmd:  propose(2, collection.ActionSettlement, debtBalance),
			code: collection.CodeInvalid, fields: []string{"discount"}},
		{name: "propose a settlement of more than the balance", history: debtEvents(open, evs(partly)),
			cmd:  propose(2, collection.ActionSettlement, 950_001),
			code: collection.CodeInvalid, fields: []string{"discount"}},
		{name: "propose a settlement of one centime less than the balance", history: debtEvents(open, evs(partly)),
			cmd:  propose(2, collection.ActionSettlement, 949_999),
			want: evs(proposed(2, collection.ActionSettlement, 949_999, 950_000))},
		{name: "propose a settlement without discount", history: open, cmd: propose(2, collection.ActionSettlement, 0),
			code: collection.CodeInvalid, fields: []string{"discount"}},
		{name: "propose a negative settlement", history: open, cmd: propose(2, collection.ActionSettlement, -10),
			code: collection.CodeInvalid, fields: []string{"discount"}},
		{name: "propose a write-off with a discount", history: open, cmd: propose(1, collection.ActionWriteOff, 10),
			code: collection.CodeInvalid, fields: []string{"discount"}},
		{name: "propose an unknown action", history: open, cmd: propose(1, "forgive", 0),
			code: collection.CodeInvalid, fields: []string{"action"}},
		{name: "propose nothing", history: open, cmd: collection.ProposeAction{ID: debtID},
			code: collection.CodeInvalid, fields: []string{"proposal_id", "action", "reason", "by"}},
		{name: "propose without a reason", history: open, cmd: withProposal(writeOff, func(c *collection.ProposeAction) { c.Reason = "" }),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "propose a second write-off", history: pendingWriteOff,
			cmd: withProposal(writeOff, func(c *collection.ProposeAction) { c.ProposalID = debtUUID(4) }), code: collection.CodeAlreadyExists},
		{name: "propose with a used proposal id", history: debtEvents(pendingSettle, evs(refused)),
			cmd: withProposal(writeOff, func(c *collection.ProposeAction) { c.ProposalID = debtUUID(2) }), code: collection.CodeAlreadyExists},
		{name: "propose a settlement again after a refusal", history: debtEvents(pendingSettle, evs(refused)),
			cmd: withProposal(settle, func(c *collection.ProposeAction) { c.ProposalID = debtUUID(4) }),
			want: evs(collection.ActionProposed{ID: debtID, ProposalID: debtUUID(4), Action: collection.ActionSettlement, Discount: 300_000,
				Balance: debtBalance, Reason: "debtor offers to settle", By: debtMaker})},
		{name: "propose a settlement beside a pending write-off", history: pendingWriteOff, cmd: settle, want: evs(settleProposed)},

		// decide: write-off
		{name: "approve a write-off", history: pendingWriteOff, cmd: approve(1), want: evs(
			approved(1, collection.ActionWriteOff),
			collection.DebtWrittenOff{ID: debtID, ProposalID: debtUUID(1), Amount: debtBalance, Allocation: alloc(debtFees, debtPrincipal, 0), By: debtChecker},
			collection.DebtStatusChanged{ID: debtID, From: "open", To: "written_off", Reason: "debtor offers to settle", By: debtChecker})},
		{name: "approve a write-off after a payment, on hold", history: debtEvents(open, evs(partly, writeOffProposed, moved("open", "on_hold"))),
			cmd: withDecision(approve(1), func(c *collection.DecideProposal) { c.Reason = "agreed" }), want: evs(
				collection.ProposalApproved{ID: debtID, ProposalID: debtUUID(1), Action: collection.ActionWriteOff, Reason: "agreed", By: debtChecker},
				collection.DebtWrittenOff{ID: debtID, ProposalID: debtUUID(1), Amount: 950_000, Allocation: alloc(0, 950_000, 0), By: debtChecker},
				collection.DebtStatusChanged{ID: debtID, From: "on_hold", To: "written_off", Reason: "debtor offers to settle", By: debtChecker})},
		{name: "approve a write-off of a debt recovered since", history: debtEvents(pendingWriteOff,
			evs(recorded(cash(10, debtBalance), alloc(debtFees, debtPrincipal, 0)), recoveredFrom("open", debtAgent))),
			cmd: approve(1), code: collection.CodeWrongStatus},
		{name: "approve a write-off of a debt withdrawn since", history: debtEvents(pendingWriteOff, evs(moved("open", "withdrawn"))),
			cmd: approve(1), code: collection.CodeWrongStatus},
		{name: "refuse a write-off of a debt withdrawn since", history: debtEvents(pendingWriteOff, evs(moved("open", "withdrawn"))),
			cmd: refuse(1), want: evs(collection.ProposalRefused{ID: debtID, ProposalID: debtUUID(1), Action: collection.ActionWriteOff,
				Reason: "too generous", By: debtChecker})},

		// decide: settlement
		{name: "approve a settlement", history: pendingSettle, cmd: approve(2), want: evs(
			approved(2, collection.ActionSettlement),
			collection.DiscountGranted{ID: debtID, ProposalID: debtUUID(2), Amount: 300_000, Allocation: alloc(debtFees, 250_000, 0), By: debtChecker})},
		{name: "approve a settlement after a charge", history: debtEvents(pendingSettle, evs(collection.ChargeAdded(charge(5, "legal_cost", 400_000)))),
			cmd: approve(2), want: evs(
				approved(2, collection.ActionSettlement),
				collection.DiscountGranted{ID: debtID, ProposalID: debtUUID(2), Amount: 300_000, Allocation: alloc(300_000, 0, 0), By: debtChecker})},
		{name: "approve a settlement that clears the balance paid down since", history: debtEvents(pendingSettle,
			evs(recorded(cash(10, 750_000), alloc(debtFees, 700_000, 0)))),
			cmd: approve(2), want: evs(
				approved(2, collection.ActionSettlement),
				collection.DiscountGranted{ID: debtID, ProposalID: debtUUID(2), Amount: 300_000, Allocation: alloc(0, 300_000, 0), By: debtChecker},
				collection.DebtStatusChanged{ID: debtID, From: "open", To: "recovered", Reason: "balance settled", By: debtChecker})},
		{name: "approve a settlement above the balance paid down since", history: debtEvents(pendingSettle,
			evs(recorded(cash(10, 750_001), alloc(debtFees, 700_001, 0)))),
			cmd: approve(2), code: collection.CodeInvalid},
		{name: "refuse a settlement", history: pendingSettle, cmd: refuse(2), want: evs(refused)},
		{name: "refuse without a reason", history: pendingSettle,
			cmd:  withDecision(refuse(2), func(c *collection.DecideProposal) { c.Reason = "" }),
			code: collection.CodeInvalid, fields: []string{"reason"}},

		// decide: escalation
		{name: "approve an escalation", history: pendingEscalate, cmd: approve(3), want: evs(
			approved(3, collection.ActionEscalateLegal),
			collection.DebtStatusChanged{ID: debtID, From: "open", To: "legal", Reason: "debtor offers to settle", By: debtChecker})},
		{name: "approve an escalation from payment_plan", history: debtEvents(pendingEscalate, evs(moved("open", "amicable"), moved("amicable", "payment_plan"))),
			cmd: approve(3), want: evs(
				approved(3, collection.ActionEscalateLegal),
				collection.DebtStatusChanged{ID: debtID, From: "payment_plan", To: "legal", Reason: "debtor offers to settle", By: debtChecker})},
		{name: "approve an escalation of a debt held since", history: debtEvents(pendingEscalate, evs(moved("open", "on_hold"))),
			cmd: approve(3), code: collection.CodeWrongStatus},
		{name: "approve an escalation of a debt uncollectible since", history: debtEvents(pendingEscalate, evs(moved("open", "uncollectible"))),
			cmd: approve(3), code: collection.CodeWrongStatus},

		// decide: maker-checker and proposal status
		{name: "approve one's own proposal", history: pendingWriteOff,
			cmd: withDecision(approve(1), func(c *collection.DecideProposal) { c.By = debtMaker }), code: collection.CodeMakerChecker},
		{name: "refuse one's own proposal", history: pendingSettle,
			cmd: withDecision(refuse(2), func(c *collection.DecideProposal) { c.By = debtMaker }), code: collection.CodeMakerChecker},
		{name: "approve an unknown proposal", history: pendingWriteOff, cmd: approve(9), code: collection.CodeNotFound},
		{name: "approve an approved proposal", history: h["legal"], cmd: approve(91), code: collection.CodeWrongStatus},
		{name: "refuse an approved proposal", history: h["legal"], cmd: refuse(91), code: collection.CodeWrongStatus},
		{name: "approve a refused proposal", history: debtEvents(pendingSettle, evs(refused)), cmd: approve(2), code: collection.CodeWrongStatus},
		{name: "decide nothing", history: pendingSettle, cmd: collection.DecideProposal{ID: debtID},
			code: collection.CodeInvalid, fields: []string{"proposal_id", "reason", "by"}},
		{name: "approve by a malformed id", history: pendingSettle,
			cmd: withDecision(approve(2), func(c *collection.DecideProposal) { c.By = "checker" }), code: collection.CodeInvalid, fields: []string{"by"}},
	})
}

func TestDebtMakerCheckerReason(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	s := collection.Fold(b, b.New(debtID), debtOpened, proposed(1, collection.ActionWriteOff, 0, debtBalance))
	own := approve(1)
	own.By = debtMaker
	_, err := collection.Handle(b, s, collection.AnyVersion, own)
	r, ok := collection.AsRejection(err)
	if !ok || r.Code != collection.CodeMakerChecker || !strings.HasPrefix(r.Reason, "maker-checker: ") {
		t.Fatalf("approving one's own proposal: %v", err)
	}
}

func TestDebtPayments(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	open := h["open"]
	first := cash(1, 30_000)
	second := cash(2, 100_000)
	full := cash(3, debtBalance)
	cheque := payment(4, 200_000, collection.PaymentMethodCheque, "CHQ 0012345")
	chequeRecorded := recorded(cheque, alloc(debtFees, 150_000, 0))
	overpay := cash(5, debtBalance+25_000)
	overpay.Overpayment = true
	withPayment := func(c collection.RecordPayment, change func(*collection.RecordPayment)) collection.RecordPayment {
		change(&c)
		return c
	}
	afterCheque := debtEvents(open, evs(chequeRecorded))
	recoveredByCheque := debtEvents(open, evs(recorded(payment(4, debtBalance, "cheque", "CHQ 0012345"),
		alloc(debtFees, debtPrincipal, 0)), recoveredFrom("open", debtAgent)))

	runDecider(t, collection.DebtAggregate, debtID, []deciderCase{
		// record
		{name: "pay part of the fees", history: open, cmd: first, want: evs(recorded(first, alloc(30_000, 0, 0)))},
		{name: "pay the fees then principal", history: open, cmd: second, want: evs(recorded(second, alloc(debtFees, 50_000, 0)))},
		{name: "pay the rest of the fees then principal", history: debtEvents(open, evs(recorded(first, alloc(30_000, 0, 0)))), cmd: second,
			want: evs(recorded(second, alloc(20_000, 80_000, 0)))},
		{name: "pay charges before principal", history: debtEvents(open, evs(recorded(second, alloc(debtFees, 50_000, 0)),
			collection.ChargeAdded(charge(6, "legal_cost", 70_000)))), cmd: cash(7, 100_000),
			want: evs(recorded(cash(7, 100_000), alloc(70_000, 30_000, 0)))},
		{name: "pay after a discount", history: debtEvents(open, evs(proposed(8, "settlement", 80_000, debtBalance), approved(8, "settlement"),
			collection.DiscountGranted{ID: debtID, ProposalID: debtUUID(8), Amount: 80_000, Allocation: alloc(debtFees, 30_000, 0), By: debtChecker})),
			cmd:  cash(7, debtBalance-80_000),
			want: evs(recorded(cash(7, debtBalance-80_000), alloc(0, debtPrincipal-30_000, 0)), recoveredFrom("open", debtAgent))},
		{name: "pay the whole balance", history: open, cmd: full,
			want: evs(recorded(full, alloc(debtFees, debtPrincipal, 0)), recoveredFrom("open", debtAgent))},
		{name: "pay the whole balance in a payment plan", history: h["payment_plan"], cmd: full,
			want: evs(recorded(full, alloc(debtFees, debtPrincipal, 0)), recoveredFrom("payment_plan", debtAgent))},
		{name: "pay the whole balance on hold", history: h["on_hold"], cmd: full,
			want: evs(recorded(full, alloc(debtFees, debtPrincipal, 0)), recoveredFrom("on_hold", debtAgent))},
		{name: "pay the rest of the balance in legal", history: debtEvents(h["legal"], evs(chequeRecorded)), cmd: cash(6, debtBalance-200_000),
			want: evs(recorded(cash(6, debtBalance-200_000), alloc(0, debtPrincipal-150_000, 0)), recoveredFrom("legal", debtAgent))},
		{name: "overpay", history: open, cmd: overpay,
			want: evs(recorded(overpay, alloc(debtFees, debtPrincipal, 25_000)), recoveredFrom("open", debtAgent))},
		{name: "allow an overpayment that does not happen", history: open,
			cmd:  withPayment(second, func(c *collection.RecordPayment) { c.Overpayment = true }),
			want: evs(recorded(withPayment(second, func(c *collection.RecordPayment) { c.Overpayment = true }), alloc(debtFees, 50_000, 0)))},
		{name: "pay more than the balance", history: open, cmd: cash(5, debtBalance+1),
			code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "pay by cheque", history: open, cmd: cheque, want: evs(chequeRecorded)},
		{name: "pay by cheque with a note", history: open,
			cmd: withPayment(cheque, func(c *collection.RecordPayment) { c.Note = "remis à l'agence\nd'Oran" }),
			want: evs(recorded(withPayment(cheque, func(c *collection.RecordPayment) { c.Note = "remis à l'agence\nd'Oran" }),
				alloc(debtFees, 150_000, 0)))},
		{name: "pay by every method", history: open, cmd: payment(9, 100, "edahabia", "TX-1"),
			want: evs(recorded(payment(9, 100, "edahabia", "TX-1"), alloc(100, 0, 0)))},
		{name: "pay by other means without reference", history: open, cmd: payment(9, 100, "other", ""),
			want: evs(recorded(payment(9, 100, "other", ""), alloc(100, 0, 0)))},
		{name: "pay cash with a receipt number", history: open, cmd: payment(9, 100, "cash", "REÇU 12"),
			want: evs(recorded(payment(9, 100, "cash", "REÇU 12"), alloc(100, 0, 0)))},
		{name: "pay by cheque without reference", history: open, cmd: payment(9, 100, "cheque", ""),
			code: collection.CodeInvalid, fields: []string{"reference"}},
		{name: "pay by transfer with a blank reference", history: open, cmd: payment(9, 100, "bank_transfer", "   "),
			code: collection.CodeInvalid, fields: []string{"reference"}},
		{name: "pay with a reference too long", history: open, cmd: payment(9, 100, "ccp", strings.Repeat("9", 65)),
			code: collection.CodeInvalid, fields: []string{"reference"}},
		{name: "pay with a reference on two lines", history: open, cmd: payment(9, 100, "cib", "A\nB"),
			code: collection.CodeInvalid, fields: []string{"reference"}},
		{name: "pay with a note too long", history: open,
			cmd:  withPayment(second, func(c *collection.RecordPayment) { c.Note = strings.Repeat("n", 501) }),
			code: collection.CodeInvalid, fields: []string{"note"}},
		{name: "pay nothing", history: open, cmd: collection.RecordPayment{ID: debtID},
			code: collection.CodeInvalid, fields: []string{"payment_id", "amount", "value_date", "method", "by"}},
		{name: "pay a negative amount by an unknown method", history: open,
			cmd:  withPayment(second, func(c *collection.RecordPayment) { c.Amount, c.Method = -1, "bitcoin" }),
			code: collection.CodeInvalid, fields: []string{"amount", "method"}},
		{name: "pay above the maximum", history: open,
			cmd:  withPayment(overpay, func(c *collection.RecordPayment) { c.Amount = collection.MaxDebtAmount + 1 }),
			code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "record a payment twice", history: debtEvents(open, evs(recorded(second, alloc(debtFees, 50_000, 0)))),
			cmd: second, code: collection.CodeAlreadyExists},
		{name: "record a reversed payment's id again", history: debtEvents(afterCheque, evs(reversed(4, 200_000, alloc(debtFees, 150_000, 0)))),
			cmd: withPayment(cheque, func(c *collection.RecordPayment) { c.Reference = "CHQ 0012346" }), code: collection.CodeAlreadyExists},
		{name: "record a cheque twice", history: afterCheque,
			cmd: withPayment(cheque, func(c *collection.RecordPayment) { c.PaymentID = debtUUID(6) }), code: collection.CodeAlreadyExists},
		{name: "record a cheque twice, spelled otherwise", history: afterCheque,
			cmd: withPayment(cheque, func(c *collection.RecordPayment) { c.PaymentID, c.Reference = debtUUID(6), "chq0012345" }), code: collection.CodeAlreadyExists},
		{name: "record a bounced cheque presented again", history: debtEvents(afterCheque, evs(reversed(4, 200_000, alloc(debtFees, 150_000, 0)))),
			cmd:  withPayment(cheque, func(c *collection.RecordPayment) { c.PaymentID = debtUUID(6) }),
			want: evs(recorded(withPayment(cheque, func(c *collection.RecordPayment) { c.PaymentID = debtUUID(6) }), alloc(debtFees, 150_000, 0)))},
		{name: "record a transfer with a cheque's number", history: afterCheque,
			cmd:  payment(6, 100, "bank_transfer", "CHQ 0012345"),
			want: evs(recorded(payment(6, 100, "bank_transfer", "CHQ 0012345"), alloc(0, 100, 0)))},

		// reverse
		{name: "reverse a payment", history: afterCheque, cmd: reverse(4),
			want: evs(reversed(4, 200_000, alloc(debtFees, 150_000, 0)))},
		{name: "reverse an earlier payment: principal is taken back first", history: debtEvents(open,
			evs(recorded(first, alloc(30_000, 0, 0)), recorded(second, alloc(20_000, 80_000, 0)))),
			cmd:  collection.ReversePayment{ID: debtID, PaymentID: debtUUID(1), Reason: "cheque bounced", By: debtAgent},
			want: evs(reversed(1, 30_000, alloc(0, 30_000, 0)))},
		{name: "reverse the payment of a recovered debt", history: recoveredByCheque, cmd: reverse(4), want: evs(
			reversed(4, debtBalance, alloc(debtFees, debtPrincipal, 0)),
			collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "open", Reason: "payment " + debtUUID(4) + " reversed", By: debtAgent})},
		{name: "reverse a payment of a debt recovered in a payment plan", history: debtEvents(h["payment_plan"],
			evs(chequeRecorded, recorded(cash(5, debtBalance-200_000), alloc(0, debtPrincipal-150_000, 0)), recoveredFrom("payment_plan", debtAgent))),
			cmd: reverse(4), want: evs(
				reversed(4, 200_000, alloc(0, 200_000, 0)),
				collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "payment_plan", Reason: "payment " + debtUUID(4) + " reversed", By: debtAgent})},
		{name: "reverse a payment of a debt recovered on hold", history: debtEvents(h["on_hold"],
			evs(recorded(cash(4, debtBalance), alloc(debtFees, debtPrincipal, 0)), recoveredFrom("on_hold", debtAgent))),
			cmd: reverse(4), want: evs(
				reversed(4, debtBalance, alloc(debtFees, debtPrincipal, 0)),
				collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "on_hold", Reason: "payment " + debtUUID(4) + " reversed", By: debtAgent})},
		{name: "reverse an overpayment", history: debtEvents(open, evs(recorded(overpay, alloc(debtFees, debtPrincipal, 25_000)),
			recoveredFrom("open", debtAgent))),
			cmd: reverse(5), want: evs(
				reversed(5, debtBalance+25_000, alloc(debtFees, debtPrincipal, 25_000)),
				collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "open", Reason: "payment " + debtUUID(5) + " reversed", By: debtAgent})},
		{name: "reverse a payment the credit covers", history: debtEvents(open, evs(recorded(first, alloc(30_000, 0, 0)),
			recorded(overpay, alloc(20_000, debtPrincipal, 55_000)), recoveredFrom("open", debtAgent))),
			cmd:  collection.ReversePayment{ID: debtID, PaymentID: debtUUID(1), Reason: "cheque bounced", By: debtAgent},
			want: evs(reversed(1, 30_000, alloc(0, 0, 30_000)))},
		{name: "reverse a payment the credit covers in part", history: debtEvents(open, evs(recorded(second, alloc(debtFees, 50_000, 0)),
			recorded(overpay, alloc(0, 950_000, 125_000)), recoveredFrom("open", debtAgent))),
			cmd:  collection.ReversePayment{ID: debtID, PaymentID: debtUUID(2), Reason: "cheque bounced", By: debtAgent},
			want: evs(reversed(2, 100_000, alloc(0, 0, 100_000)))},
		{name: "reverse a reversed payment", history: debtEvents(afterCheque, evs(reversed(4, 200_000, alloc(debtFees, 150_000, 0)))),
			cmd: reverse(4), code: collection.CodeWrongStatus},
		{name: "reverse an unknown payment", history: afterCheque, cmd: reverse(7), code: collection.CodeNotFound},
		{name: "reverse a payment of a written-off debt", history: debtEvents(afterCheque, evs(proposed(8, "write_off", 0, 850_000), approved(8, "write_off"),
			collection.DebtWrittenOff{ID: debtID, ProposalID: debtUUID(8), Amount: 850_000, Allocation: alloc(0, 850_000, 0), By: debtChecker},
			moved("open", "written_off"))),
			cmd: reverse(4), code: collection.CodeWrongStatus},
		{name: "reverse a payment of a withdrawn debt", history: debtEvents(afterCheque, evs(moved("open", "withdrawn"))),
			cmd: reverse(4), code: collection.CodeWrongStatus},
		{name: "reverse a payment of an uncollectible debt", history: debtEvents(afterCheque, evs(moved("open", "uncollectible"))),
			cmd: reverse(4), code: collection.CodeWrongStatus},
		{name: "reverse without a reason", history: afterCheque,
			cmd: collection.ReversePayment{ID: debtID, PaymentID: debtUUID(4), By: debtAgent}, code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reverse nothing", history: afterCheque, cmd: collection.ReversePayment{ID: debtID},
			code: collection.CodeInvalid, fields: []string{"payment_id", "reason", "by"}},
	})
}

func TestDebtEvolve(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := debtHistories()
	type ledger struct {
		Status, HeldFrom, RecoveredFrom                    string
		Balance, Fees, Principal, Credit, Paid             int64
		Charges, LegalCosts, Discount, WrittenOff, Pending int64
	}
	view := func(s collection.DebtState) ledger {
		return ledger{s.Status, s.HeldFrom, s.RecoveredFrom, s.Balance(), s.FeesOutstanding(), s.PrincipalOutstanding(),
			s.Credit(), s.Paid(), s.Charges(), s.LegalCosts(), s.Discount(), s.WrittenOff(), int64(len(s.PendingProposals()))}
	}
	overpay := cash(5, debtBalance+25_000)
	overpay.Overpayment = true
	for _, tc := range []struct {
		name    string
		history []collection.Event
		version int64
		want    ledger
	}{
		{"new", nil, 0, ledger{}},
		{"opened", h["open"], 1, ledger{Status: "open", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal}},
		{"charged", debtEvents(h["open"], evs(collection.ChargeAdded(charge(1, "fee", 10)), collection.ChargeAdded(charge(2, "legal_cost", 300)))), 3,
			ledger{Status: "open", Balance: debtBalance + 310, Fees: debtFees + 310, Principal: debtPrincipal, Charges: 310, LegalCosts: 300}},
		{"paid in part", debtEvents(h["open"], evs(recorded(cash(1, 60_000), alloc(debtFees, 10_000, 0)))), 2,
			ledger{Status: "open", Balance: debtBalance - 60_000, Principal: debtPrincipal - 10_000, Paid: 60_000}},
		{"held from legal", heldFrom(h, "legal"), 5,
			ledger{Status: "on_hold", HeldFrom: "legal", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal}},
		{"released", debtEvents(heldFrom(h, "legal"), evs(moved("on_hold", "legal"))), 6,
			ledger{Status: "legal", HeldFrom: "legal", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal}},
		{"recovered", h["recovered"], 3, ledger{Status: "recovered", RecoveredFrom: "open", Paid: debtBalance}},
		{"overpaid", debtEvents(h["amicable"], evs(recorded(overpay, alloc(debtFees, debtPrincipal, 25_000)), recoveredFrom("amicable", debtAgent))), 4,
			ledger{Status: "recovered", RecoveredFrom: "amicable", Credit: 25_000, Paid: debtBalance + 25_000}},
		{"reopened", debtEvents(h["recovered"], evs(reversed(90, debtBalance, alloc(debtFees, debtPrincipal, 0)),
			collection.DebtStatusChanged{ID: debtID, From: "recovered", To: "open", By: debtAgent})), 5,
			ledger{Status: "open", RecoveredFrom: "open", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal}},
		{"settlement pending", debtEvents(h["open"], evs(proposed(1, "settlement", 100, debtBalance))), 2,
			ledger{Status: "open", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal, Pending: 1}},
		{"settled in part", debtEvents(h["open"], evs(proposed(1, "settlement", 70_000, debtBalance), approved(1, "settlement"),
			collection.DiscountGranted{ID: debtID, ProposalID: debtUUID(1), Amount: 70_000, Allocation: alloc(debtFees, 20_000, 0)})), 4,
			ledger{Status: "open", Balance: debtBalance - 70_000, Principal: debtPrincipal - 20_000, Discount: 70_000}},
		{"written off", h["written_off"], 5, ledger{Status: "written_off", WrittenOff: debtBalance}},
		{"withdrawn", h["withdrawn"], 2, ledger{Status: "withdrawn", Balance: debtBalance, Fees: debtFees, Principal: debtPrincipal}},
	} {
		s := collection.Fold(b, b.New(debtID), tc.history...).(collection.DebtState)
		if got := view(s); s.Version() != tc.version || s.ID != debtID || got != tc.want {
			t.Errorf("%s: %+v (version %d), want %+v (version %d)", tc.name, got, s.Version(), tc.want, tc.version)
		}
	}

	s := collection.Fold(b, b.New(debtID), debtEvents(h["open"], evs(
		collection.DebtAssigned{ID: debtID, AgentID: debtAgent, By: debtMaker},
		collection.DebtRescheduled{ID: debtID, From: debtDueOn, To: debtDueOn.AddDays(30), Reason: "x", By: debtAgent},
		recorded(payment(1, 100, "cheque", "C1"), alloc(100, 0, 0)),
		recorded(cash(2, 200), alloc(200, 0, 0)),
		reversed(1, 100, alloc(100, 0, 0)),
	))...).(collection.DebtState)
	if s.Ref != "F-7KQ2M9" || s.CreditorID != creditorID || s.DebtorID != debtorID || s.ExternalRef != "FAC-2025/0042" ||
		s.Type != "commercial" || s.Currency != "DZD" || s.AgentID != debtAgent || s.Principal() != debtPrincipal || s.Fees() != debtFees ||
		!s.OriginalDueOn.Equal(debtDueOn) || !s.CurrentDueOn.Equal(debtDueOn.AddDays(30)) ||
		!s.AcknowledgedOn.Equal(collection.DateOf(2025, time.January, 12)) {
		t.Errorf("state %+v", s)
	}
	p, ok := s.Payment(debtUUID(1))
	if !ok || !p.Reversed || p.Amount != 100 || p.Method != "cheque" || p.Reference != "C1" {
		t.Errorf("Payment(1) = %+v, %v", p, ok)
	}
	if ps := s.Payments(); len(ps) != 2 || ps[0].ID != debtUUID(1) || ps[1].ID != debtUUID(2) || ps[1].Reversed {
		t.Errorf("Payments() = %+v", ps)
	}
	if _, ok := s.Payment(debtUUID(3)); ok {
		t.Error("Payment found an unknown payment")
	}
}

func TestDebtEvolveSharesNoMaps(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	// Two states grown from one: what one records must not show in the
	// other, nor in the state they came from.
	base := collection.Fold(b, b.New(debtID), debtOpened, recorded(cash(1, 100), alloc(100, 0, 0)),
		proposed(2, "write_off", 0, debtBalance), collection.ChargeAdded(charge(3, "fee", 5)))
	one := collection.Fold(b, base, reversed(1, 100, alloc(100, 0, 0)), approved(2, "write_off"),
		recorded(cash(4, 100), alloc(100, 0, 0)), collection.ChargeAdded(charge(5, "fee", 5))).(collection.DebtState)
	other := collection.Fold(b, base, collection.ProposalRefused{ID: debtID, ProposalID: debtUUID(2), Action: "write_off"}).(collection.DebtState)
	bs := base.(collection.DebtState)
	if p, _ := bs.Payment(debtUUID(1)); p.Reversed {
		t.Error("a reversal leaked into the state before it")
	}
	if _, ok := bs.Payment(debtUUID(4)); ok {
		t.Error("a payment leaked into the state before it")
	}
	if p, _ := bs.Proposal(debtUUID(2)); p.Status != collection.ProposalStatusPending {
		t.Errorf("a decision leaked into the state before it: %+v", p)
	}
	if p, _ := one.Proposal(debtUUID(2)); p.Status != collection.ProposalStatusApproved || p.DecidedBy != debtChecker {
		t.Errorf("approved proposal: %+v", p)
	}
	if p, _ := other.Proposal(debtUUID(2)); p.Status != collection.ProposalStatusRefused {
		t.Errorf("refused proposal: %+v", p)
	}
	// A charge id added to one state is free in the other.
	if _, err := collection.Handle(b, other, collection.AnyVersion, charge(5, "fee", 5)); err != nil {
		t.Errorf("charge 5 leaked into a sibling state: %v", err)
	}
}

func TestDebtLists(t *testing.T) {
	t.Parallel()
	if got := collection.DebtStatuses(); !slices.Equal(got, []string{"open", "amicable", "payment_plan", "legal", "on_hold",
		"recovered", "written_off", "withdrawn", "uncollectible"}) {
		t.Errorf("DebtStatuses() = %v", got)
	}
	open := collection.OpenDebtStatuses()
	if !slices.Equal(open, []string{"open", "amicable", "payment_plan", "legal", "on_hold"}) {
		t.Errorf("OpenDebtStatuses() = %v", open)
	}
	open[0] = "closed"
	if collection.OpenDebtStatuses()[0] != "open" || !collection.IsOpenDebtStatus("open") {
		t.Error("OpenDebtStatuses() returned the package's own slice")
	}
	for _, st := range collection.DebtStatuses() {
		if want := slices.Contains(collection.OpenDebtStatuses(), st); collection.IsOpenDebtStatus(st) != want {
			t.Errorf("IsOpenDebtStatus(%q) = %v", st, !want)
		}
	}
	if collection.IsOpenDebtStatus("") || collection.IsOpenDebtStatus("Open") {
		t.Error("IsOpenDebtStatus accepted an unknown status")
	}
	for name, got := range map[string][]string{
		"DebtTypes":       collection.DebtTypes(),
		"HoldReasons":     collection.HoldReasons(),
		"ChargeKinds":     collection.ChargeKinds(),
		"ProposalActions": collection.ProposalActions(),
		"PaymentMethods":  collection.PaymentMethods(),
	} {
		want := map[string][]string{
			"DebtTypes":       {"commercial", "personal", "utility", "loan", "rent", "cheque", "other"},
			"HoldReasons":     {"dispute", "hardship", "other"},
			"ChargeKinds":     {"fee", "legal_cost"},
			"ProposalActions": {"write_off", "settlement", "escalate_legal"},
			"PaymentMethods":  {"cash", "cheque", "bank_transfer", "ccp", "baridimob", "cib", "edahabia", "other"},
		}[name]
		if !slices.Equal(got, want) {
			t.Errorf("%s() = %v, want %v", name, got, want)
		}
	}
	for _, m := range collection.PaymentMethods() {
		if want := m != "cash" && m != "other"; collection.PaymentNeedsReference(m) != want {
			t.Errorf("PaymentNeedsReference(%q) = %v", m, !want)
		}
	}
}

// TestDebtRecordsPersonalParts: the debt's records are named debt.*; those
// with free text about the debtor (a description, a note) carry it in a
// personal part, the others none: their reasons stay in clear
// (docs/SECURITY.md).
func TestDebtRecordsPersonalParts(t *testing.T) {
	t.Parallel()
	for _, v := range []any{
		collection.OpenDebt{}, collection.ChangeDebtStatus{}, collection.AssignDebt{}, collection.RescheduleDebt{},
		collection.AddCharge{}, collection.ProposeAction{}, collection.DecideProposal{}, collection.RecordPayment{},
		collection.ReversePayment{}, collection.DebtOpened{}, collection.DebtStatusChanged{}, collection.DebtAssigned{},
		collection.DebtRescheduled{}, collection.ChargeAdded{}, collection.ActionProposed{}, collection.ProposalApproved{},
		collection.ProposalRefused{}, collection.DiscountGranted{}, collection.DebtWrittenOff{}, collection.PaymentRecorded{},
		collection.PaymentReversed{},
	} {
		_, personal := v.(collection.PersonalCarrier)
		switch v.(type) {
		case collection.OpenDebt, collection.DebtOpened, collection.RecordPayment, collection.PaymentRecorded:
			if !personal {
				t.Errorf("%s carries no personal part", recordName(v))
			}
		default:
			if personal {
				t.Errorf("%s carries a personal part", recordName(v))
			}
		}
		switch r := v.(type) {
		case collection.Command:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.CommandType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.CommandType(), r.Aggregate())
			}
		case collection.Event:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.EventType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.EventType(), r.Aggregate())
			}
		}
	}
}
