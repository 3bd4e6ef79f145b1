package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// algiers is where "today" is decided for due dates and days past due.
var algiers = func() *time.Location {
	loc, err := time.LoadLocation("Africa/Algiers")
	if err != nil {
		return time.FixedZone("CET", 3600) // Algeria keeps UTC+1 all year
	}
	return loc
}()

// today is the civil date in Algiers.
func (s *Server) today() collection.Date { return collection.DateIn(s.cfg.Now(), algiers) }

// debtView is a debt (case file) as the API shows it. Amounts are
// centimes of DZD.
type debtView struct {
	ID             string `json:"id"`
	Ref            string `json:"ref"`
	CreditorID     string `json:"creditor_id"`
	DebtorID       string `json:"debtor_id"`
	ExternalRef    string `json:"external_ref"`
	Type           string `json:"type"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	HoldReason     string `json:"hold_reason,omitempty"`
	Principal      int64  `json:"principal"`
	Charges        int64  `json:"charges"`
	Discount       int64  `json:"discount"`
	WrittenOff     int64  `json:"written_off"`
	Paid           int64  `json:"paid"`
	Credit         int64  `json:"credit"`
	Balance        int64  `json:"balance"`
	AcknowledgedOn string `json:"acknowledged_on,omitempty"`
	OriginalDueOn  string `json:"original_due_on"`
	CurrentDueOn   string `json:"current_due_on"`
	DaysPastDue    int    `json:"days_past_due"`
	AgentID        string `json:"agent_id,omitempty"`
	Description    string `json:"description,omitempty"`
	// DescriptionErased says the description was erased with the debtor.
	DescriptionErased bool      `json:"description_erased,omitempty"`
	LastPaymentOn     string    `json:"last_payment_on,omitempty"`
	Version           int64     `json:"version"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func dayPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return day(*t)
}

// daysPastDue counts the days since the current due date for a debt still
// open; a closed debt is past nothing.
func daysPastDue(r store.Debt, today collection.Date) int {
	if !collection.IsOpenDebtStatus(r.Status) {
		return 0
	}
	due := collection.DateOf(r.CurrentDueOn.Date())
	return max(0, today.DaysSince(due))
}

func newDebtView(r store.Debt, today collection.Date) debtView {
	return debtView{
		ID: r.ID, Ref: r.Ref, CreditorID: r.CreditorID, DebtorID: r.DebtorID, ExternalRef: r.ExternalRef, Type: r.Type,
		Currency: r.Currency, Status: r.Status, HoldReason: r.HoldReason, Principal: r.Principal, Charges: r.Charges,
		Discount: r.Discount, WrittenOff: r.WrittenOff, Paid: r.Paid, Credit: r.Credit, Balance: r.Balance,
		AcknowledgedOn: dayPtr(r.AcknowledgedOn), OriginalDueOn: day(r.OriginalDueOn), CurrentDueOn: day(r.CurrentDueOn),
		DaysPastDue: daysPastDue(r, today), AgentID: deref(r.AgentID), Description: r.Description,
		DescriptionErased: r.DescriptionErased, LastPaymentOn: dayPtr(r.LastPaymentOn), Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// debtRow reads a debt the request may see: a creditor's account its own
// creditor's debts, a debtor's account its own.
func (s *Server) debtRow(c echo.Context, id string) (store.Debt, error) {
	sc := scopeOf(c)
	cred, debt := sc.debtorsScope()
	row, err := s.q.DebtGet(c.Request().Context(), store.DebtGetParams{ID: id, ScopeCreditor: cred, ScopeDebtor: debt})
	if errors.Is(err, pgx.ErrNoRows) {
		return row, notFound("debt", id)
	}
	return row, err
}

func (s *Server) renderDebt(c echo.Context, status int, id string) error {
	row, err := s.debtRow(c, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/debts/"+id)
	}
	return c.JSON(status, newDebtView(row, s.today()))
}
