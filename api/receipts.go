package api

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/receipt"
	"github.com/adc-dz/tahsil/store"
)

// receiptKey keys the receipts' verification codes. It is derived from the
// claim key (itself from the master key), so every API replica computes
// the same codes and no new secret needs configuring.
func (s *Server) receiptKey() []byte {
	k, err := hkdf.Key(sha256.New, s.cfg.ClaimKey, nil, "tahsil receipts v1", 32)
	if err != nil {
		panic(err) // only for lengths sha256 cannot produce
	}
	return k
}

func (s *Server) receiptCode(p store.Payment) string {
	return receipt.VerificationCode(s.receiptKey(), p.ID, p.Amount, day(p.ValueDate))
}

// paymentReceipt is GET /api/v1/payments/:id/receipt: the payment's receipt
// as a PDF, with a verification code anyone can check at
// /api/v1/receipts/verify. A reversed payment's receipt is stamped void.
func (s *Server) paymentReceipt(c echo.Context) error {
	id, err := pathID(c, "payment")
	if err != nil {
		return err
	}
	p, err := s.paymentRow(c, id)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	debt, err := s.q.DebtGet(ctx, store.DebtGetParams{ID: p.DebtID})
	if err != nil {
		return err
	}
	cred, err := s.q.CreditorGet(ctx, store.CreditorGetParams{ID: debt.CreditorID})
	if err != nil {
		return err
	}
	debtor, err := s.q.DebtorGet(ctx, store.DebtorGetParams{ID: debt.DebtorID})
	if err != nil {
		return err
	}
	later, err := s.q.PaymentsOfDebt(ctx, p.DebtID)
	if err != nil {
		return err
	}
	// The balance right after this payment: today's balance plus what the
	// payments recorded since have paid off. Charges and discounts added
	// since are not taken out: the receipt says "as recorded".
	after := debt.Balance
	for _, o := range later {
		if o.ReversedAt == nil && o.RecordedAt.After(p.RecordedAt) {
			after += o.AllocFees + o.AllocPrincipal
		}
	}
	code := s.receiptCode(p)
	verify := s.cfg.PublicURL + "/api/v1/receipts/verify?" + url.Values{"payment_id": {p.ID}, "code": {code}}.Encode()
	if s.cfg.PublicURL == "" {
		verify = ""
	}
	lang := debtor.Language
	if lang != "ar" && lang != "en" {
		lang = "fr"
	}
	pdf, err := receipt.Render(receipt.Receipt{
		Number: p.ID, DebtRef: debt.Ref, ExternalRef: debt.ExternalRef, CreditorName: cred.Name, DebtorName: debtor.FullName,
		DebtorRef: debtor.Ref, Amount: p.Amount, ValueDate: day(p.ValueDate), RecordedAt: p.RecordedAt, Method: p.Method,
		Reference: p.Reference, BalanceAfter: max(0, after), Reversed: p.ReversedAt != nil, ReversalReason: p.ReversalReason,
		VerificationCode: code, VerifyURL: verify, Language: lang,
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `inline; filename="recu-`+debt.Ref+`-`+p.ID[:8]+`.pdf"`)
	h.Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// receiptVerification is the answer of the public receipt check: enough
// to compare with the paper, nothing about the people.
type receiptVerification struct {
	Valid     bool   `json:"valid"`
	PaymentID string `json:"payment_id,omitempty"`
	Amount    int64  `json:"amount,omitempty"`
	ValueDate string `json:"value_date,omitempty"`
	Reversed  bool   `json:"reversed,omitempty"`
}

// receiptVerify is GET /api/v1/receipts/verify?payment_id=&code= (public,
// throttled per address): is this printed receipt genuine and unaltered?
func (s *Server) receiptVerify(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var fe collection.FieldErrors
	id := strings.ToLower(strings.TrimSpace(c.QueryParam("payment_id")))
	code := c.QueryParam("code")
	if id == "" {
		fe.Add("payment_id", "required: the receipt number")
	}
	if code == "" {
		fe.Add("code", "required: the verification code printed on the receipt")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return c.JSON(http.StatusOK, receiptVerification{Valid: false})
	}
	p, err := s.q.PaymentGet(c.Request().Context(), store.PaymentGetParams{ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return c.JSON(http.StatusOK, receiptVerification{Valid: false})
	}
	if err != nil {
		return err
	}
	if !receipt.Verify(s.receiptKey(), code, p.ID, p.Amount, day(p.ValueDate)) {
		return c.JSON(http.StatusOK, receiptVerification{Valid: false})
	}
	return c.JSON(http.StatusOK, receiptVerification{Valid: true, PaymentID: p.ID, Amount: p.Amount,
		ValueDate: day(p.ValueDate), Reversed: p.ReversedAt != nil})
}
