package collection_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// The ledger property: whatever sequence of payments, reversals, charges,
// discounts, write-offs and status changes a debt goes through, its
// Balance() is what the accepted events add up to, computed here without
// the state:
//
//	owed    = principal + fees + Σ charges − Σ discounts − Σ write-offs
//	paid    = Σ payments − Σ reversals
//	balance = max(0, owed − paid), credit = max(0, paid − owed)
//
// never negative, and credit comes only from a payment marked as an
// overpayment. ledgerRun reads its commands from bytes, so that the
// seeded property test and the fuzz target share it.

// ledgerBytes reads the commands' choices; past the end it reads zeros.
type ledgerBytes struct {
	b []byte
}

func (r *ledgerBytes) more() bool { return len(r.b) > 0 }

func (r *ledgerBytes) u8() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *ledgerBytes) u16() int { return r.u8()<<8 | r.u8() }

func (r *ledgerBytes) pick(n int) int { return r.u8() % n }

// ledgerModel sums the accepted events, independently of DebtState.
type ledgerModel struct {
	principal, fees, charges, discount, writtenOff, paid int64
	status                                               string
	payments                                             map[string]*modelPayment
	// seen counts what happened, so the property test can tell that it
	// reached every path.
	seen map[string]int
}

type modelPayment struct {
	amount      int64
	overpayment bool
	reversed    bool
}

func (m *ledgerModel) owed() int64 {
	return m.principal + m.fees + m.charges - m.discount - m.writtenOff
}

func (m *ledgerModel) balance() int64 { return max(0, m.owed()-m.paid) }
func (m *ledgerModel) credit() int64  { return max(0, m.paid-m.owed()) }

func checkAllocation(t *testing.T, what string, amount int64, a collection.Allocation) {
	t.Helper()
	if a.Fees < 0 || a.Principal < 0 || a.Credit < 0 || a.Total() != amount {
		t.Fatalf("%s of %d allocated %+v", what, amount, a)
	}
}

func (m *ledgerModel) apply(t *testing.T, e collection.Event) {
	t.Helper()
	m.seen[e.EventType()]++
	switch e := e.(type) {
	case collection.DebtOpened:
		m.principal, m.fees, m.status = e.Principal, e.Fees, e.Status
	case collection.ChargeAdded:
		m.charges += e.Amount
	case collection.DiscountGranted:
		checkAllocation(t, "discount", e.Amount, e.Allocation)
		if e.Allocation.Credit != 0 || e.Amount > m.balance() {
			t.Fatalf("discount %+v on a balance of %d", e, m.balance())
		}
		m.discount += e.Amount
	case collection.DebtWrittenOff:
		checkAllocation(t, "write-off", e.Amount, e.Allocation)
		if e.Amount != m.balance() || e.Allocation.Credit != 0 {
			t.Fatalf("write-off %+v of a balance of %d", e, m.balance())
		}
		m.writtenOff += e.Amount
	case collection.PaymentRecorded:
		checkAllocation(t, "payment", e.Amount, e.Allocation)
		if want := max(0, e.Amount-m.balance()); e.Allocation.Credit != want {
			t.Fatalf("payment %+v on a balance of %d: credit %d, want %d", e, m.balance(), e.Allocation.Credit, want)
		}
		if e.Allocation.Credit > 0 {
			if !e.Overpayment {
				t.Fatalf("payment %+v makes credit without being an overpayment", e)
			}
			m.seen["credit"]++
		}
		if _, dup := m.payments[e.PaymentID]; dup {
			t.Fatalf("payment %s recorded twice", e.PaymentID)
		}
		m.payments[e.PaymentID] = &modelPayment{amount: e.Amount, overpayment: e.Overpayment}
		m.paid += e.Amount
	case collection.PaymentReversed:
		checkAllocation(t, "reversal", e.Amount, e.Allocation)
		p, ok := m.payments[e.PaymentID]
		if !ok || p.reversed || p.amount != e.Amount {
			t.Fatalf("reversal %+v of payment %+v", e, p)
		}
		p.reversed = true
		m.paid -= e.Amount
	case collection.DebtStatusChanged:
		if e.From != m.status {
			t.Fatalf("status change %+v from %s", e, m.status)
		}
		if e.From == collection.DebtStatusRecovered {
			m.seen["reopened"]++
		}
		m.status = e.To
		m.seen["to "+e.To]++
	}
}

func (m *ledgerModel) check(t *testing.T, s collection.DebtState) {
	t.Helper()
	switch {
	case s.Balance() != m.balance():
		t.Fatalf("Balance() = %d, the events add up to %d (owed %d, paid %d)", s.Balance(), m.balance(), m.owed(), m.paid)
	case s.Credit() != m.credit():
		t.Fatalf("Credit() = %d, the events add up to %d", s.Credit(), m.credit())
	case s.Paid() != m.paid:
		t.Fatalf("Paid() = %d, the events add up to %d", s.Paid(), m.paid)
	case s.Discount() != m.discount || s.WrittenOff() != m.writtenOff || s.Charges() != m.charges:
		t.Fatalf("discount %d, written off %d, charges %d; the events add up to %d, %d, %d",
			s.Discount(), s.WrittenOff(), s.Charges(), m.discount, m.writtenOff, m.charges)
	case s.Balance() < 0 || s.Credit() < 0 || s.FeesOutstanding() < 0 || s.PrincipalOutstanding() < 0:
		t.Fatalf("negative ledger: balance %d, credit %d, fees %d, principal %d",
			s.Balance(), s.Credit(), s.FeesOutstanding(), s.PrincipalOutstanding())
	case s.Balance() != s.FeesOutstanding()+s.PrincipalOutstanding():
		t.Fatalf("balance %d is not fees %d + principal %d", s.Balance(), s.FeesOutstanding(), s.PrincipalOutstanding())
	case s.Balance() > 0 && s.Credit() > 0:
		t.Fatalf("balance %d and credit %d at once", s.Balance(), s.Credit())
	case s.Status != m.status:
		t.Fatalf("status %s, the events say %s", s.Status, m.status)
	case s.IsOpen() && s.Balance() == 0:
		t.Fatalf("%s debt with nothing owed", s.Status)
	case (s.Status == collection.DebtStatusRecovered || s.Status == collection.DebtStatusWrittenOff) && s.Balance() != 0:
		t.Fatalf("%s debt still owes %d", s.Status, s.Balance())
	}
	if s.Credit() > 0 {
		for _, p := range m.payments {
			if p.overpayment && !p.reversed {
				return
			}
		}
		t.Fatalf("credit %d without an overpayment standing", s.Credit())
	}
}

// ledgerRun opens a debt and applies the commands ops describes, checking
// the ledger after each accepted one. It returns what the model saw.
// traceLedger logs every accepted event, to read a failing sequence.
const traceLedger = false

func ledgerRun(t *testing.T, ops []byte) map[string]int {
	t.Helper()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	r := &ledgerBytes{ops}
	users := []string{debtMaker, debtChecker, debtAgent}
	methods := collection.PaymentMethods()
	refs := []string{"CHQ 1", "chq1", "TX-2", ""}
	m := &ledgerModel{payments: map[string]*modelPayment{}, seen: map[string]int{}}

	open := openDebt
	open.Principal = 1 + int64(r.u16())*10
	open.Fees = int64(r.u8()) * 100
	var s collection.State = b.New(debtID)
	var payments, proposals []string
	next := 0
	newID := func() string {
		next++
		return debtUUID(1000 + next)
	}
	// amount is an amount near what matters: a little, the balance, just
	// under or over it, or a lot.
	amount := func(balance int64) int64 {
		small := int64(r.u16())
		switch r.pick(6) {
		case 0:
			return balance
		case 1:
			return balance - small
		case 2:
			return balance + small
		case 3:
			return small * int64(1+r.u8())
		case 4:
			return collection.MaxDebtAmount - int64(r.u8())
		default:
			return small
		}
	}

	cmds := []collection.Command{open}
	for steps := 0; r.more() && steps < 400; steps++ {
		st := s.(collection.DebtState)
		if len(cmds) == 0 {
			by := users[r.pick(len(users))]
			switch r.pick(10) {
			case 0, 1, 2:
				id := newID()
				if len(payments) > 0 && r.pick(8) == 0 {
					id = payments[r.pick(len(payments))]
				}
				method := methods[r.pick(len(methods))]
				ref := refs[r.pick(len(refs))]
				if ref == "" && collection.PaymentNeedsReference(method) {
					ref = fmt.Sprintf("R-%d", next)
				}
				cmds = append(cmds, collection.RecordPayment{ID: debtID, PaymentID: id, Amount: amount(st.Balance()),
					ValueDate: collection.DateOf(2025, time.April, 1+r.pick(28)), Method: method, Reference: ref,
					Overpayment: r.pick(3) == 0, By: by})
			case 3:
				id := debtUUID(999) // unknown
				if n := r.pick(len(payments) + 1); n < len(payments) {
					id = payments[n]
				}
				cmds = append(cmds, collection.ReversePayment{ID: debtID, PaymentID: id, Reason: "bounced", By: by})
			case 4:
				kind := collection.ChargeKinds()[r.pick(2)]
				cmds = append(cmds, collection.AddCharge{ID: debtID, ChargeID: newID(), Kind: kind, Amount: amount(st.Balance()),
					Reason: "costs", On: collection.DateOf(2025, time.May, 1), By: by})
			case 5:
				cmds = append(cmds, collection.ProposeAction{ID: debtID, ProposalID: newID(), Action: collection.ActionSettlement,
					Discount: amount(st.Balance()), Reason: "offer", By: by})
			case 6:
				action := []string{collection.ActionWriteOff, collection.ActionEscalateLegal}[r.pick(2)]
				cmds = append(cmds, collection.ProposeAction{ID: debtID, ProposalID: newID(), Action: action, Reason: "no hope", By: by})
			case 7:
				id := debtUUID(998)
				if n := r.pick(len(proposals) + 1); n < len(proposals) {
					id = proposals[n]
				}
				approve := r.pick(3) > 0
				reason := ""
				if !approve {
					reason = "no"
				}
				cmds = append(cmds, collection.DecideProposal{ID: debtID, ProposalID: id, Approve: approve, Reason: reason, By: by})
			case 8:
				to := collection.DebtStatuses()[r.pick(9)]
				c := collection.ChangeDebtStatus{ID: debtID, To: to, Reason: "because", By: by}
				if to == collection.DebtStatusOnHold {
					c.HoldReason = collection.HoldReasons()[r.pick(3)]
				}
				cmds = append(cmds, c)
			case 9:
				cmds = append(cmds, collection.AssignDebt{ID: debtID, AgentID: users[r.pick(len(users))], By: by},
					collection.RescheduleDebt{ID: debtID, DueOn: collection.DateOf(2025, time.June, 1+r.pick(28)), Reason: "asked", By: by})
			}
		}
		cmd := cmds[0]
		cmds = cmds[1:]
		evs, err := collection.Handle(b, s, collection.AnyVersion, cmd)
		if err != nil {
			rej, ok := collection.AsRejection(err)
			if !ok {
				t.Fatalf("%s %+v failed with an error that is not a rejection: %v", cmd.CommandType(), cmd, err)
			}
			m.seen["rejected "+rej.Code]++
			if _, isOpen := cmd.(collection.OpenDebt); isOpen {
				t.Fatalf("open %+v rejected: %v", cmd, err)
			}
			continue
		}
		for _, e := range evs {
			if traceLedger {
				t.Logf("%s %+v", e.EventType(), e)
			}
			m.apply(t, e)
			switch e := e.(type) {
			case collection.PaymentRecorded:
				payments = append(payments, e.PaymentID)
			case collection.ActionProposed:
				proposals = append(proposals, e.ProposalID)
			}
		}
		s = collection.Fold(b, s, evs...)
		m.check(t, s.(collection.DebtState))
	}
	return m.seen
}

func TestDebtLedgerProperty(t *testing.T) {
	t.Parallel()
	runs := 400
	if testing.Short() {
		runs = 50
	}
	seen := map[string]int{}
	for i := range runs {
		rng := rand.New(rand.NewPCG(20250402, uint64(i)))
		ops := make([]byte, 64+rng.IntN(1024))
		for j := 0; j < len(ops); j += 8 {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], rng.Uint64())
			copy(ops[j:], w[:])
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			for k, v := range ledgerRun(t, ops) {
				seen[k] += v
			}
		})
		if t.Failed() {
			return
		}
	}
	// The generator must reach every path the property is about.
	for _, want := range []string{
		"debt.payment_recorded", "debt.payment_reversed", "debt.charge_added", "debt.discount_granted",
		"debt.written_off", "debt.proposal_refused", "credit", "reopened",
		"to recovered", "to on_hold", "to legal", "to withdrawn",
		"rejected " + collection.CodeMakerChecker, "rejected " + collection.CodeWrongStatus,
		"rejected " + collection.CodeAlreadyExists, "rejected " + collection.CodeInvalid, "rejected " + collection.CodeNotFound,
	} {
		if seen[want] == 0 {
			t.Errorf("no run reached %q: %v", want, seen)
		}
	}
}

// FuzzDebtLedger fuzzes the ledger property (see ledgerRun) with
// arbitrary sequences of commands.
func FuzzDebtLedger(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 100, 5, 0, 0, 0, 0, 0, 0, 1})
	// Open, overpay in cash, reverse it, then propose and approve a settlement.
	f.Add([]byte{0, 10, 2, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 3, 1, 0, 0, 5, 0, 0, 3, 0, 7, 1, 0, 1})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		seed := make([]byte, 256)
		for i := range seed {
			seed[i] = byte(rng.UintN(256))
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 4096 {
			ops = ops[:4096]
		}
		ledgerRun(t, ops)
	})
}
