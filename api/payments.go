package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// paymentView is a payment as the API shows it: the value date (when the
// money moved) and the recording time are both kept. NoteErased says its
// note was erased with the debtor.
type paymentView struct {
	ID             string     `json:"id"`
	DebtID         string     `json:"debt_id"`
	Amount         int64      `json:"amount"`
	ValueDate      string     `json:"value_date"`
	RecordedAt     time.Time  `json:"recorded_at"`
	Method         string     `json:"method"`
	Reference      string     `json:"reference,omitempty"`
	Note           string     `json:"note,omitempty"`
	NoteErased     bool       `json:"note_erased,omitempty"`
	Allocation     allocation `json:"allocation"`
	RecordedBy     string     `json:"recorded_by"`
	Reversed       bool       `json:"reversed"`
	ReversedAt     *time.Time `json:"reversed_at,omitempty"`
	ReversalReason string     `json:"reversal_reason,omitempty"`
}

type allocation struct {
	Fees      int64 `json:"fees"`
	Principal int64 `json:"principal"`
	Credit    int64 `json:"credit"`
}

func newPaymentView(p store.Payment) paymentView {
	return paymentView{ID: p.ID, DebtID: p.DebtID, Amount: p.Amount, ValueDate: day(p.ValueDate), RecordedAt: p.RecordedAt,
		Method: p.Method, Reference: p.Reference, Note: p.Note, NoteErased: p.NoteErased,
		Allocation: allocation{Fees: p.AllocFees, Principal: p.AllocPrincipal, Credit: p.AllocCredit},
		RecordedBy: p.RecordedBy, Reversed: p.ReversedAt != nil, ReversedAt: p.ReversedAt, ReversalReason: p.ReversalReason}
}

// paymentRow reads a payment of a debt the request may see.
func (s *Server) paymentRow(c echo.Context, id string) (store.Payment, error) {
	cred, debt := scopeOf(c).debtorsScope()
	p, err := s.q.PaymentGet(c.Request().Context(), store.PaymentGetParams{ID: id, ScopeCreditor: cred, ScopeDebtor: debt})
	if errors.Is(err, pgx.ErrNoRows) {
		return p, notFound("payment", id)
	}
	return p, err
}

func (s *Server) renderPayment(c echo.Context, status int, id string) error {
	p, err := s.paymentRow(c, id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/payments/"+id)
	}
	return c.JSON(status, newPaymentView(p))
}

// paymentCreate records a payment: POST /api/v1/debts/:id/payments. A
// duplicate (method, reference) on the debt is 409; more than the balance
// is refused unless "overpayment": true. An Idempotency-Key makes a retry
// answer the first payment.
func (s *Server) paymentCreate(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.PaymentInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	cmd, text, err := in.Validate(s.today())
	if err != nil {
		return err
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	// The key reserves the payment's id (the aggregate is the debt), so a
	// replay renders the first request's payment, or its rejection.
	render := func(_ context.Context, paymentID string) error {
		return s.renderPayment(c, http.StatusCreated, paymentID)
	}
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	if cmd.Personal, err = s.sealDebtText(c.Request().Context(), row.DebtorID, text); err != nil {
		return err
	}
	cmd.ID, cmd.PaymentID, cmd.By = row.ID, idem.aggregateID, principalOf(c).AccountID
	res, err := s.submit(c, idem.commandID, collection.AnyVersion, cmd, row.ID)
	if late(res, err) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	return render(c.Request().Context(), idem.aggregateID)
}

// paymentList is GET /api/v1/debts/:id/payments, by value date.
func (s *Server) paymentList(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	if _, err := s.debtRow(c, debtID); err != nil {
		return err
	}
	rows, err := s.q.PaymentsOfDebt(c.Request().Context(), debtID)
	if err != nil {
		return err
	}
	body := listBody[paymentView]{Items: make([]paymentView, 0, len(rows))}
	for _, r := range rows {
		body.Items = append(body.Items, newPaymentView(r))
	}
	return c.JSON(http.StatusOK, body)
}

// paymentGet is GET /api/v1/payments/:id.
func (s *Server) paymentGet(c echo.Context) error {
	id, err := pathID(c, "payment")
	if err != nil {
		return err
	}
	return s.renderPayment(c, http.StatusOK, id)
}

// paymentReverse is POST /api/v1/payments/:id/reversal {"reason"}: a bounced
// cheque or an error. The payment stays; a reversal event is added.
func (s *Server) paymentReverse(c echo.Context) error {
	id, err := pathID(c, "payment")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	p, err := s.paymentRow(c, id)
	if err != nil {
		return err
	}
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion,
		collection.ReversePayment{ID: p.DebtID, PaymentID: id, Reason: in.Reason, By: principalOf(c).AccountID}, p.DebtID)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	return s.renderPayment(c, http.StatusOK, id)
}
