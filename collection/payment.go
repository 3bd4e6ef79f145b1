package collection

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Payment methods. A method name is stored in events: renaming one needs
// an upcaster.
const (
	PaymentMethodCash         = "cash"
	PaymentMethodCheque       = "cheque"
	PaymentMethodBankTransfer = "bank_transfer" // virement bancaire
	PaymentMethodCCP          = "ccp"           // Algérie Poste account transfer
	PaymentMethodBaridiMob    = "baridimob"     // Algérie Poste mobile app
	PaymentMethodCIB          = "cib"           // interbank card (Carte Interbancaire)
	PaymentMethodEdahabia     = "edahabia"      // Algérie Poste card
	PaymentMethodOther        = "other"
)

// Limits of a payment's text fields, in runes.
const (
	MaxPaymentReferenceLength = 64
	MaxPaymentNoteLength      = 500
)

var paymentMethods = []string{
	PaymentMethodCash, PaymentMethodCheque, PaymentMethodBankTransfer, PaymentMethodCCP,
	PaymentMethodBaridiMob, PaymentMethodCIB, PaymentMethodEdahabia, PaymentMethodOther,
}

// PaymentMethods lists the payment methods (a copy).
func PaymentMethods() []string { return slices.Clone(paymentMethods) }

// PaymentNeedsReference reports whether a payment by method must carry the
// reference that proves it (cheque number, transfer or transaction id):
// every method but cash and other.
func PaymentNeedsReference(method string) bool {
	return method != PaymentMethodCash && method != PaymentMethodOther
}

// Allocation splits an amount between a debt's outstanding fees (fees and
// charges, legal costs included), its principal, and credit (what a
// payment brings beyond the balance). The three always sum to the amount.
//
// A payment is allocated from the debt's state when it is decided:
// outstanding fees first, then principal, then credit (an overpayment
// only). A reversal takes back in the opposite order: the debt's credit
// first, then principal paid, then fees paid; so a reversal's allocation
// may differ from its payment's, and the projections apply each event's
// own allocation. A discount and a write-off cancel outstanding fees first,
// then principal, and never credit.
type Allocation struct {
	Fees      int64 `json:"fees"`
	Principal int64 `json:"principal"`
	Credit    int64 `json:"credit"`
}

// Total is Fees + Principal + Credit.
func (a Allocation) Total() int64 { return a.Fees + a.Principal + a.Credit }

// RecordPayment records money the debtor paid. ValueDate is when the
// money moved (a cheque cleared, a CCP statement line); the recording
// time is the event's. Reference is required for every method but cash
// and other. An Amount above the balance is refused unless Overpayment
// says the excess is to be kept as the debtor's credit.
//
// The decider has no clock: a value date in the future is refused by
// PaymentInput.Validate, which the caller runs with today's date.
//
// The note, optional, is sealed in Personal (DebtPersonal.Note) under the
// debtor's data key; Note is the note in clear of a version 1 record.
type RecordPayment struct {
	ID          string `json:"id"`
	PaymentID   string `json:"payment_id"`
	Amount      int64  `json:"amount"`
	ValueDate   Date   `json:"value_date"`
	Method      string `json:"method"`
	Reference   string `json:"reference,omitempty"`
	Note        string `json:"note,omitempty"`
	Overpayment bool   `json:"overpayment,omitempty"`
	By          string `json:"by"`
	Personal    Sealed `json:"-"`
}

// ReversePayment cancels a payment that did not hold (a bounced cheque, a
// recording mistake). History is not rewritten: the payment stays, marked
// reversed.
type ReversePayment struct {
	ID        string `json:"id"`
	PaymentID string `json:"payment_id"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
}

// PaymentRecorded records a payment and its allocation. When it clears the
// balance, a DebtStatusChanged to recovered follows in the same decision.
// Its note, if any, is sealed in Personal (DebtPersonal.Note); Note is
// the note in clear of a version 1 record.
type PaymentRecorded struct {
	ID          string     `json:"id"`
	PaymentID   string     `json:"payment_id"`
	Amount      int64      `json:"amount"`
	ValueDate   Date       `json:"value_date"`
	Method      string     `json:"method"`
	Reference   string     `json:"reference,omitempty"`
	Note        string     `json:"note,omitempty"`
	Overpayment bool       `json:"overpayment,omitempty"`
	Allocation  Allocation `json:"allocation"`
	By          string     `json:"by"`
	Personal    Sealed     `json:"-"`
}

// PaymentReversed records the reversal of a payment: Amount is the
// payment's, Allocation what the reversal takes back (see Allocation).
// When it reopens a recovered debt, a DebtStatusChanged back to the status
// before recovery follows in the same decision.
type PaymentReversed struct {
	ID         string     `json:"id"`
	PaymentID  string     `json:"payment_id"`
	Amount     int64      `json:"amount"`
	Allocation Allocation `json:"allocation"`
	Reason     string     `json:"reason"`
	By         string     `json:"by"`
}

func (RecordPayment) CommandType() string  { return "debt.record_payment" }
func (ReversePayment) CommandType() string { return "debt.reverse_payment" }

func (RecordPayment) Aggregate() AggregateType  { return DebtAggregate }
func (ReversePayment) Aggregate() AggregateType { return DebtAggregate }

func (PaymentRecorded) EventType() string { return "debt.payment_recorded" }
func (PaymentReversed) EventType() string { return "debt.payment_reversed" }

func (PaymentRecorded) Aggregate() AggregateType { return DebtAggregate }
func (PaymentReversed) Aggregate() AggregateType { return DebtAggregate }

func (c RecordPayment) PersonalPart() Sealed   { return c.Personal }
func (e PaymentRecorded) PersonalPart() Sealed { return e.Personal }

// ClearText implements DebtTextCarrier.
func (e PaymentRecorded) ClearText() DebtPersonal { return DebtPersonal{Note: e.Note} }

// DebtPayment is a payment as the debt's state keeps it.
type DebtPayment struct {
	ID          string
	Amount      int64
	ValueDate   Date
	Method      string
	Reference   string
	Overpayment bool
	Allocation  Allocation
	Reversed    bool
}

func decideRecordPayment(s DebtState, c RecordPayment) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "payment_id", c.PaymentID)
	checkDebtAmount(&fe, "amount", c.Amount)
	if c.ValueDate.IsZero() {
		fe.Add("value_date", "is required")
	}
	if debtOneOf(&fe, "method", c.Method, paymentMethods) {
		debtText(&fe, "reference", c.Reference, MaxPaymentReferenceLength, PaymentNeedsReference(c.Method), false)
	}
	checkDebtText(&fe, "note", c.Note, c.Personal, MaxPaymentNoteLength, false, true)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "no payment is recorded on a closed debt"); err != nil {
		return nil, err
	}
	if _, dup := s.payments[c.PaymentID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("payment %s is already recorded on debt %s", c.PaymentID, s.ID))
	}
	if c.Reference != "" {
		if p, ok := s.paymentByReference(c.Method, c.Reference); ok {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf(
				"a %s payment with this reference is already recorded on debt %s: payment %s", c.Method, s.ID, p.ID))
		}
	}
	balance := s.Balance()
	if c.Amount > balance && !c.Overpayment {
		return nil, Reject(CodeInvalid, "the payment is more than the balance", FieldError{"amount", fmt.Sprintf(
			"is more than the balance of %s; set overpayment to keep the excess as the debtor's credit", dzd(balance))})
	}
	fees := min(c.Amount, s.FeesOutstanding())
	principal := min(c.Amount-fees, s.PrincipalOutstanding())
	alloc := Allocation{Fees: fees, Principal: principal, Credit: c.Amount - fees - principal}
	evs := []Event{PaymentRecorded{
		ID: c.ID, PaymentID: c.PaymentID, Amount: c.Amount, ValueDate: c.ValueDate, Method: c.Method,
		Reference: c.Reference, Note: c.Note, Overpayment: c.Overpayment, Allocation: alloc, By: c.By, Personal: c.Personal,
	}}
	if alloc.Fees+alloc.Principal == balance {
		evs = append(evs, DebtStatusChanged{ID: c.ID, From: s.Status, To: DebtStatusRecovered, Reason: "balance paid", By: c.By})
	}
	return evs, nil
}

func decideReversePayment(s DebtState, c ReversePayment) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "payment_id", c.PaymentID)
	debtReason(&fe, c.Reason, true)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	p, ok := s.payments[c.PaymentID]
	if !ok {
		return nil, Reject(CodeNotFound, fmt.Sprintf("payment %s does not exist on debt %s", c.PaymentID, s.ID))
	}
	if p.Reversed {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf("payment %s is already reversed", p.ID))
	}
	if !IsOpenDebtStatus(s.Status) && s.Status != DebtStatusRecovered {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf(
			"debt %s is %s, which is final; a payment is reversed only on an open or a recovered debt", s.ID, s.Status))
	}
	// Take back credit first, then principal, then fees: the reverse of
	// the order payments are allocated in. Paid() includes this payment,
	// so the three always cover its amount.
	credit := min(p.Amount, s.credit)
	principal := min(p.Amount-credit, s.principalPaid)
	fees := p.Amount - credit - principal
	if fees > s.feesPaid {
		return nil, fmt.Errorf("debt %s: payment %s of %d exceeds what was paid (%d)", s.ID, p.ID, p.Amount, s.Paid())
	}
	evs := []Event{PaymentReversed{ID: c.ID, PaymentID: p.ID, Amount: p.Amount,
		Allocation: Allocation{Fees: fees, Principal: principal, Credit: credit}, Reason: c.Reason, By: c.By}}
	if s.Status == DebtStatusRecovered && fees+principal > 0 {
		to := s.RecoveredFrom
		if !IsOpenDebtStatus(to) {
			to = DebtStatusOpen
		}
		evs = append(evs, DebtStatusChanged{ID: c.ID, From: s.Status, To: to,
			Reason: fmt.Sprintf("payment %s reversed", p.ID), By: c.By})
	}
	return evs, nil
}

// paymentByReference finds the payment not reversed that has the same
// method and reference. References compare without case and spaces:
// "CHQ 0012345" and "chq0012345" are one cheque.
func (s DebtState) paymentByReference(method, ref string) (DebtPayment, bool) {
	key := referenceKey(ref)
	var found DebtPayment
	ok := false
	for _, p := range s.payments {
		if p.Reversed || p.Method != method || referenceKey(p.Reference) != key {
			continue
		}
		if !ok || p.ID < found.ID {
			found, ok = p, true
		}
	}
	return found, ok
}

func referenceKey(ref string) string {
	return strings.ToUpper(strings.Join(strings.Fields(ref), ""))
}

// PaymentInput is a payment as a client sends it to record one.
type PaymentInput struct {
	Amount      int64  `json:"amount"`
	ValueDate   string `json:"value_date"`
	Method      string `json:"method"`
	Reference   string `json:"reference"`
	Note        string `json:"note"`
	Overpayment bool   `json:"overpayment"`
}

// Validate checks a payment against today's date in Algiers (the domain
// has no clock) and returns the command without its ID, PaymentID and By,
// which the caller sets, and the note apart: the caller seals it under
// the debtor's data key into the command's personal part.
//
//   - amount: required, centimes, more than 0.
//   - value_date: required, YYYY-MM-DD, not after today; backdated is fine.
//   - method: required, one of PaymentMethods (case is ignored).
//   - reference: required for every method but cash and other; at most 64
//     characters, whitespace collapsed.
//   - note: optional, at most 500 characters; line breaks are kept.
//   - overpayment: keep what exceeds the balance as the debtor's credit.
func (in PaymentInput) Validate(today Date) (RecordPayment, DebtPersonal, error) {
	if today.IsZero() {
		return RecordPayment{}, DebtPersonal{}, errors.New("validate payment: today's date is not set")
	}
	var fe FieldErrors
	c := RecordPayment{Amount: in.Amount, Overpayment: in.Overpayment}
	checkDebtAmount(&fe, "amount", in.Amount)
	if c.ValueDate = inputDate(&fe, "value_date", in.ValueDate, true); c.ValueDate.After(today) {
		fe.Add("value_date", fmt.Sprintf("is in the future (today is %s); a payment is recorded once the money moved", today))
	}
	c.Method = strings.ToLower(strings.TrimSpace(in.Method))
	if debtOneOf(&fe, "method", c.Method, paymentMethods) {
		if PaymentNeedsReference(c.Method) {
			c.Reference = required(&fe, "reference", in.Reference, singleLineUpTo(MaxPaymentReferenceLength))
		} else {
			c.Reference = optional(&fe, "reference", in.Reference, singleLineUpTo(MaxPaymentReferenceLength))
		}
	}
	text := DebtPersonal{Note: optional(&fe, "note", in.Note, multilineUpTo(MaxPaymentNoteLength))}
	if err := fe.Err(); err != nil {
		return RecordPayment{}, DebtPersonal{}, err
	}
	return c, text, nil
}

// inputDate reads a client's YYYY-MM-DD date.
func inputDate(fe *FieldErrors, field, v string, req bool) Date {
	v = strings.TrimSpace(v)
	if v == "" {
		if req {
			fe.Add(field, "is required")
		}
		return Date{}
	}
	d, err := ParseDate(v)
	addErr(fe, field, err)
	return d
}

// singleLineUpTo is textUpTo: whitespace, line breaks included, collapsed.
func singleLineUpTo(max int) func(string) (string, error) { return textUpTo(max) }

// multilineUpTo returns a check for free text of at most max runes that
// keeps its line breaks: NFC, trimmed, CRLF and CR read as LF.
func multilineUpTo(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if !utf8.ValidString(s) {
			return "", invalid("is not valid UTF-8 text")
		}
		s = strings.TrimSpace(norm.NFC.String(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)))
		var fe FieldErrors
		debtText(&fe, "", s, max, false, true)
		if len(fe) > 0 {
			return "", invalid(fe[0].Reason)
		}
		return s, nil
	}
}
