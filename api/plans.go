package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// PlanConfig configures payment plans. The zero value is the default.
//
// Where a plan and its instalments stand is derived when it is read, from
// the plan, the payments it counts and the date in Algiers: nothing is
// recorded when a day passes, so the answer is the same after a rebuild.
type PlanConfig struct {
	// MinInstalment is the smallest instalment but the last, in centimes.
	// 0 means collection.DefaultMinInstalment (1 000 DZD); a negative value
	// sets no minimum.
	MinInstalment int64
	// Holidays are the public holidays beyond the fixed national ones
	// (collection.DefaultHolidays, always included): the Islamic holidays
	// of each year, as announced. No instalment may fall on one.
	Holidays []collection.Date
	// Policy is how strictly plans are read. Its zero value is the default:
	// GraceDays 0 (an instalment not fully paid by the end of its due date
	// is missed the next day) and MaxMissed collection.DefaultMaxMissed (2:
	// the second missed instalment breaks the plan).
	Policy collection.PlanPolicy
}

// minInstalment is the minimum the decider is given (0: none).
func (pc PlanConfig) minInstalment() int64 {
	switch {
	case pc.MinInstalment == 0:
		return collection.DefaultMinInstalment
	case pc.MinInstalment < 0:
		return 0
	}
	return pc.MinInstalment
}

// policy is Policy with its defaults filled in, as PlanStatus reads it.
func (pc PlanConfig) policy() collection.PlanPolicy {
	p := pc.Policy
	if p.MaxMissed <= 0 {
		p.MaxMissed = collection.DefaultMaxMissed
	}
	p.GraceDays = max(p.GraceDays, 0)
	return p
}

// planInstalment is an instalment as agreed: due date and amount.
type planInstalment struct {
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
}

// instalmentView is an instalment and where it stands today.
type instalmentView struct {
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
	Paid   int64  `json:"paid"`
	PaidOn string `json:"paid_on,omitempty"`
	// State is due, partially_paid, paid or missed.
	State string `json:"state"`
	// Late is set once the instalment was missed, and stays set when it is
	// paid since.
	Late bool `json:"late"`
}

type planPolicyView struct {
	GraceDays int `json:"grace_days"`
	MaxMissed int `json:"max_missed"`
}

// planView is a debt's current payment plan, with its state derived as of
// AsOf (today in Algiers), and the plans it replaced.
type planView struct {
	ID     string `json:"id"`
	DebtID string `json:"debt_id"`
	// State is active, completed or broken.
	State       string           `json:"state"`
	AsOf        string           `json:"as_of"`
	Instalments []instalmentView `json:"instalments"`
	Total       int64            `json:"total"`
	Paid        int64            `json:"paid"`
	Unallocated int64            `json:"unallocated"`
	Missed      int              `json:"missed"`
	BrokenOn    string           `json:"broken_on,omitempty"`
	CompletedOn string           `json:"completed_on,omitempty"`
	Policy      planPolicyView   `json:"policy"`
	Reason      string           `json:"reason,omitempty"`
	Supersedes  string           `json:"supersedes,omitempty"`
	SetOn       string           `json:"set_on"`
	SetBy       string           `json:"set_by"`
	SetAt       time.Time        `json:"set_at"`
	Superseded  []supersededView `json:"superseded"`
}

// supersededView is a plan a later one replaced: kept, never deleted.
type supersededView struct {
	ID           string           `json:"id"`
	Instalments  []planInstalment `json:"instalments"`
	Total        int64            `json:"total"`
	Reason       string           `json:"reason,omitempty"`
	Supersedes   string           `json:"supersedes,omitempty"`
	SetOn        string           `json:"set_on"`
	SetBy        string           `json:"set_by"`
	SetAt        time.Time        `json:"set_at"`
	SupersededAt *time.Time       `json:"superseded_at"`
}

func instalmentsOf(p store.PaymentPlan) ([]collection.Instalment, error) {
	var inst []collection.Instalment
	if err := json.Unmarshal(p.Instalments, &inst); err != nil {
		return nil, fmt.Errorf("plan %s: read instalments: %w", p.ID, err)
	}
	return inst, nil
}

// planSet is PUT /api/v1/debts/:id/plan {"instalments": [{"due",
// "amount"}], "reason"}: sets the debt's payment plan, or revises it (the
// old plan is superseded, and a reason is required). 201 for the debt's
// first plan, 200 for a revision; sending the current plan again changes
// nothing and answers 200, so a retry is safe. If-Match makes it
// conditional on the debt's version (the ETag of the debt and of its plan).
func (s *Server) planSet(c echo.Context) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in collection.PlanInput
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	row, err := s.debtRow(c, id)
	if err != nil {
		return err
	}
	cmd, err := in.Validate()
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	cmd.ID, cmd.PlanID, cmd.Today, cmd.By = row.ID, newID(), s.today(), principalOf(c).AccountID
	cmd.MinInstalment, cmd.Holidays = s.cfg.Plans.minInstalment(), s.cfg.Plans.Holidays
	commandID := newID()
	res, err := s.submit(c, commandID, expected, cmd, row.ID)
	if rej, ok := collection.AsRejection(err); ok && rej.Code == collection.CodeNoChange {
		return s.renderPlan(c, http.StatusOK, row.ID)
	}
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p, err := s.q.PlanCurrent(c.Request().Context(), row.ID); err == nil && p.ID == cmd.PlanID && p.Supersedes == nil {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/debts/"+row.ID+"/plan")
	}
	return s.renderPlan(c, status, row.ID)
}

// planGet is GET /api/v1/debts/:id/plan: the current plan, each
// instalment's state and the plan's as of today in Algiers, and the plans
// it replaced. 404 when the debt has no plan.
func (s *Server) planGet(c echo.Context) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	return s.renderPlan(c, http.StatusOK, id)
}

func (s *Server) renderPlan(c echo.Context, status int, debtID string) error {
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.q.PlanCurrent(ctx, row.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusNotFound, "not-found", "Not found", "debt "+row.ID+" has no payment plan")
	}
	if err != nil {
		return err
	}
	view, err := s.planView(ctx, p)
	if err != nil {
		return err
	}
	older, err := s.q.PlansSuperseded(ctx, row.ID)
	if err != nil {
		return err
	}
	for _, o := range older {
		inst, err := instalmentsOf(o)
		if err != nil {
			return err
		}
		sv := supersededView{ID: o.ID, Instalments: make([]planInstalment, len(inst)), Total: o.Total, Reason: o.Reason,
			Supersedes: deref(o.Supersedes), SetOn: day(o.SetOn), SetBy: o.SetBy, SetAt: o.SetAt, SupersededAt: o.SupersededAt}
		for i, in := range inst {
			sv.Instalments[i] = planInstalment{Due: in.Due.String(), Amount: in.Amount}
		}
		view.Superseded = append(view.Superseded, sv)
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	return c.JSON(status, view)
}

// planView derives where plan p stands today from the payments it counts.
func (s *Server) planView(ctx context.Context, p store.PaymentPlan) (planView, error) {
	inst, err := instalmentsOf(p)
	if err != nil {
		return planView{}, err
	}
	rows, err := s.q.PlanPayments(ctx, p.ID)
	if err != nil {
		return planView{}, err
	}
	pays := make([]collection.PlanPayment, len(rows))
	for i, r := range rows {
		pays[i] = collection.PlanPayment{ValueDate: collection.DateOf(r.ValueDate.Date()), Amount: r.Amount}
	}
	today, policy := s.today(), s.cfg.Plans.policy()
	rep := collection.PlanStatus(inst, pays, today, policy)
	v := planView{
		ID: p.ID, DebtID: p.DebtID, State: rep.State, AsOf: today.String(),
		Instalments: make([]instalmentView, len(rep.Instalments)),
		Total:       rep.Total, Paid: rep.Paid, Unallocated: rep.Unallocated, Missed: rep.Missed,
		BrokenOn: rep.BrokenOn.String(), CompletedOn: rep.CompletedOn.String(),
		Policy: planPolicyView{GraceDays: policy.GraceDays, MaxMissed: policy.MaxMissed},
		Reason: p.Reason, Supersedes: deref(p.Supersedes), SetOn: day(p.SetOn), SetBy: p.SetBy, SetAt: p.SetAt,
		Superseded: []supersededView{},
	}
	for i, st := range rep.Instalments {
		v.Instalments[i] = instalmentView{Due: st.Due.String(), Amount: st.Amount, Paid: st.Paid,
			PaidOn: st.PaidOn.String(), State: st.State, Late: st.Late}
	}
	return v, nil
}

// promiseView is a promise to pay and whether it was kept, as of today in
// Algiers: kept once the payments with a value date from made_on to due
// reach the amount, broken when due has passed without that, else
// pending.
type promiseView struct {
	ID     string    `json:"id"`
	DebtID string    `json:"debt_id"`
	Amount int64     `json:"amount"`
	Due    string    `json:"due"`
	MadeOn string    `json:"made_on"`
	MadeBy string    `json:"made_by"`
	MadeAt time.Time `json:"made_at"`
	Status string    `json:"status"`
	AsOf   string    `json:"as_of"`
}

func newPromiseView(p store.Promise, pays []collection.PlanPayment, today collection.Date) promiseView {
	pr := collection.Promise{Amount: p.Amount, Due: collection.DateOf(p.DueOn.Date()), MadeOn: collection.DateOf(p.MadeOn.Date())}
	return promiseView{ID: p.ID, DebtID: p.DebtID, Amount: p.Amount, Due: day(p.DueOn), MadeOn: day(p.MadeOn),
		MadeBy: p.MadeBy, MadeAt: p.MadeAt, Status: collection.PromiseStatus(pr, pays, today), AsOf: today.String()}
}

// standingPayments are a debt's payments not reversed, as the promise
// rules read them.
func (s *Server) standingPayments(ctx context.Context, debtID string) ([]collection.PlanPayment, error) {
	rows, err := s.q.PaymentsStanding(ctx, debtID)
	if err != nil {
		return nil, err
	}
	out := make([]collection.PlanPayment, len(rows))
	for i, r := range rows {
		out[i] = collection.PlanPayment{ValueDate: collection.DateOf(r.ValueDate.Date()), Amount: r.Amount}
	}
	return out, nil
}

// promiseCreate is POST /api/v1/debts/:id/promises {"amount", "due"}: a
// promise to pay, made by the debtor's own account on its own debt or taken
// down by staff. An Idempotency-Key makes a retry answer the first promise.
func (s *Server) promiseCreate(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.PromiseInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	cmd, err := in.Validate(s.today())
	if err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	// The key reserves the promise's id (the aggregate is the debt), so a
	// replay renders the first request's promise, or its rejection.
	render := func(_ context.Context, promiseID string) error {
		return s.renderPromise(c, http.StatusCreated, row.ID, promiseID)
	}
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	cmd.ID, cmd.PromiseID, cmd.By = row.ID, idem.aggregateID, principalOf(c).AccountID
	res, err := s.submit(c, idem.commandID, collection.AnyVersion, cmd, row.ID)
	if late(res, err) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	return render(c.Request().Context(), idem.aggregateID)
}

func (s *Server) renderPromise(c echo.Context, status int, debtID, id string) error {
	ctx := c.Request().Context()
	p, err := s.q.PromiseGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && p.DebtID != debtID) {
		return notFound("promise", id)
	}
	if err != nil {
		return err
	}
	pays, err := s.standingPayments(ctx, debtID)
	if err != nil {
		return err
	}
	return c.JSON(status, newPromiseView(p, pays, s.today()))
}

// promiseList is GET /api/v1/debts/:id/promises: the debt's promises to
// pay, newest first, each with its status as of today in Algiers.
func (s *Server) promiseList(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, err := s.q.PromisesOfDebt(ctx, row.ID)
	if err != nil {
		return err
	}
	pays, err := s.standingPayments(ctx, row.ID)
	if err != nil {
		return err
	}
	today := s.today()
	body := listBody[promiseView]{Items: make([]promiseView, 0, len(rows))}
	for _, r := range rows {
		body.Items = append(body.Items, newPromiseView(r, pays, today))
	}
	return c.JSON(http.StatusOK, body)
}
