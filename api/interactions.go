package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// clockSkew is how far in the future an interaction's time may be: the
// caller's clock and the server's differ a little.
const clockSkew = 5 * time.Minute

// interactionRequest is the body of POST /api/v1/debts/:id/interactions.
type interactionRequest struct {
	Channel   string `json:"channel"`
	Direction string `json:"direction"`
	Outcome   string `json:"outcome"`
	Summary   string `json:"summary"`
	// OccurredAt is an RFC 3339 time; now when absent.
	OccurredAt string           `json:"occurred_at"`
	FollowUp   *followUpRequest `json:"follow_up"`
}

// followUpRequest is the task an interaction creates.
type followUpRequest struct {
	// Due is an RFC 3339 time, or a date (YYYY-MM-DD) meaning by the end
	// of that day in Algiers.
	Due string `json:"due"`
	// Assignee is a staff account's id, or "me" (the default).
	Assignee string `json:"assignee"`
	// Title says what to do; a default names the interaction.
	Title string `json:"title"`
}

// taskRef is the task an interaction created, as its interaction shows it.
// TitleErased says its title was erased with its debtor.
type taskRef struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	TitleErased bool      `json:"title_erased,omitempty"`
	Due         time.Time `json:"due"`
	Assignee    string    `json:"assignee"`
	Status      string    `json:"status"`
}

// interactionView is an interaction as the API shows it. SummaryErased
// says its summary was erased with the debtor.
type interactionView struct {
	ID            string    `json:"id"`
	DebtID        string    `json:"debt_id"`
	Channel       string    `json:"channel"`
	Direction     string    `json:"direction,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
	Summary       string    `json:"summary,omitempty"`
	SummaryErased bool      `json:"summary_erased,omitempty"`
	OccurredAt    time.Time `json:"occurred_at"`
	LoggedBy      string    `json:"logged_by"`
	LoggedAt      time.Time `json:"logged_at"`
	FollowUp      *taskRef  `json:"follow_up,omitempty"`
}

func newInteractionView(r store.InteractionsOfDebtRow) interactionView {
	v := interactionView{ID: r.ID, DebtID: r.DebtID, Channel: r.Channel, Direction: r.Direction, Outcome: r.Outcome,
		Summary: r.Summary, SummaryErased: r.SummaryErased, OccurredAt: r.OccurredAt, LoggedBy: r.LoggedBy,
		LoggedAt: r.LoggedAt}
	if r.TaskID != nil {
		v.FollowUp = &taskRef{ID: *r.TaskID, Title: deref(r.TaskTitle),
			TitleErased: r.TaskTitleErased != nil && *r.TaskTitleErased, Assignee: deref(r.TaskAssigneeID),
			Status: deref(r.TaskStatus)}
		if r.TaskDueAt != nil {
			v.FollowUp.Due = *r.TaskDueAt
		}
	}
	return v
}

// interactionCreate logs a call, a visit, a letter, an e-mail or SMS sent
// by hand, or a note: POST /api/v1/debts/:id/interactions. A follow_up
// creates a task in the same decision. An Idempotency-Key makes a retry
// answer the first interaction.
func (s *Server) interactionCreate(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in interactionRequest
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	cmd, texts, err := s.interactionCommand(c, in)
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
	render := func(ctx context.Context, id string) error {
		r, err := s.q.InteractionGet(ctx, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, newInteractionView(store.InteractionsOfDebtRow(r)))
	}
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	if err := s.sealInteraction(c.Request().Context(), &cmd, row.DebtorID, texts); err != nil {
		return err
	}
	cmd.ID, cmd.InteractionID = row.ID, idem.aggregateID
	res, err := s.submit(c, idem.commandID, collection.AnyVersion, cmd, row.ID)
	if late(res, err) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	return render(c.Request().Context(), idem.aggregateID)
}

// interactionTexts are what staff wrote on an interaction, checked, until
// they are sealed under the debtor's data key (sealInteraction).
type interactionTexts struct{ summary, title string }

// interactionCommand checks and normalises a request into the command
// (without the debt's and the interaction's ids) and its texts, not
// sealed yet. What the decider checks (the channel's rules) it leaves to
// the decider; what needs the clock or the accounts it checks here, and
// the texts, which the decider cannot read once sealed. Every problem of
// these is reported at once.
func (s *Server) interactionCommand(c echo.Context, in interactionRequest) (collection.LogInteraction, interactionTexts, error) {
	now := s.cfg.Now()
	me := principalOf(c).AccountID
	cmd := collection.LogInteraction{
		Channel:   strings.ToLower(strings.TrimSpace(in.Channel)),
		Direction: strings.ToLower(strings.TrimSpace(in.Direction)),
		Outcome:   strings.ToLower(strings.TrimSpace(in.Outcome)),
		By:        me,
	}
	// A letter, an e-mail or an SMS logged by hand was sent, unless said.
	if cmd.Direction == "" && collection.InteractionHasDirection(cmd.Channel) && cmd.Channel != collection.InteractionCall {
		cmd.Direction = collection.DirectionOutbound
	}
	var fe collection.FieldErrors
	texts := interactionTexts{summary: collection.CheckInteractionSummary(&fe, cmd.Channel, in.Summary)}
	cmd.OccurredAt = now
	if in.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.OccurredAt))
		switch {
		case err != nil:
			fe.Add("occurred_at", "must be a time in RFC 3339 form, such as 2025-04-20T09:30:00+01:00")
		case t.After(now.Add(clockSkew)):
			fe.Add("occurred_at", "is in the future")
		default:
			cmd.OccurredAt = t
		}
	}
	cmd.OccurredAt = cmd.OccurredAt.UTC().Truncate(time.Microsecond)
	if f := in.FollowUp; f != nil {
		fu := &collection.FollowUp{TaskID: newID(), Assignee: strings.TrimSpace(f.Assignee)}
		switch due := strings.TrimSpace(f.Due); {
		case due == "":
			fe.Add("follow_up.due", "is required: when the task is due (RFC 3339 time, or a date YYYY-MM-DD)")
		case len(due) == len(time.DateOnly):
			d, err := collection.ParseDate(due)
			if err != nil {
				fe.Add("follow_up.due", "must be a date YYYY-MM-DD or an RFC 3339 time")
				break
			}
			// By the end of that day in Algiers.
			y, m, dd := d.Time().Date()
			fu.Due = time.Date(y, m, dd+1, 0, 0, 0, 0, algiers).Add(-time.Second)
		default:
			t, err := time.Parse(time.RFC3339Nano, due)
			if err != nil {
				fe.Add("follow_up.due", "must be a date YYYY-MM-DD or an RFC 3339 time")
				break
			}
			fu.Due = t
		}
		fu.Due = fu.Due.UTC().Truncate(time.Microsecond)
		switch {
		case fu.Assignee == "" || strings.EqualFold(fu.Assignee, "me"):
			fu.Assignee = me
		default:
			if err := s.checkAssignee(c, fu.Assignee); err != "" {
				fe.Add("follow_up.assignee", err)
			}
		}
		title := strings.TrimSpace(f.Title)
		if title == "" {
			title = defaultTaskTitle(cmd.Channel, cmd.Outcome)
		}
		texts.title = collection.CheckTaskTitle(&fe, title)
		cmd.FollowUp = fu
	}
	return cmd, texts, fe.Err()
}

// sealInteraction seals the summary into the command's personal part and
// the follow-up's title into the task's, under the debtor's data key.
func (s *Server) sealInteraction(ctx context.Context, cmd *collection.LogInteraction, debtorID string, t interactionTexts) (err error) {
	if cmd.Personal, err = s.sealDebtText(ctx, debtorID, collection.DebtPersonal{Summary: t.summary}); err != nil {
		return err
	}
	if cmd.FollowUp != nil {
		cmd.FollowUp.Personal, err = s.sealDebtText(ctx, debtorID, collection.DebtPersonal{Title: t.title})
	}
	return err
}

// checkAssignee says why an id cannot be given a task ("" when it can):
// an active staff account that works debts (agent or admin).
func (s *Server) checkAssignee(c echo.Context, id string) string {
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return `must be "me" or an agent's account id (a lower-case UUID)`
	}
	acc, err := s.q.AccountGet(c.Request().Context(), id)
	switch {
	case err != nil:
		return "no agent or admin account has this id"
	case acc.Role != collection.RoleAgent && acc.Role != collection.RoleAdmin:
		return "not the id of an agent or admin account"
	case acc.Status != collection.AccountStatusActive:
		return "the account is " + acc.Status
	}
	return ""
}

// defaultTaskTitle names the task of an interaction given no title.
func defaultTaskTitle(channel, outcome string) string {
	if channel == "" {
		return "Follow up"
	}
	if outcome != "" {
		return fmt.Sprintf("Follow up the %s (%s)", channel, strings.ReplaceAll(outcome, "_", " "))
	}
	return "Follow up the " + channel
}

// interactionList is GET /api/v1/debts/:id/interactions: most recent
// first, paged with limit and cursor.
func (s *Server) interactionList(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	if _, err := s.debtRow(c, debtID); err != nil {
		return err
	}
	rows, err := s.q.InteractionsOfDebt(c.Request().Context(), store.InteractionsOfDebtParams{
		DebtID: debtID, AfterAt: lp.afterCreatedAt, AfterID: lp.afterID, RowLimit: lp.limit + 1,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page(rows, lp.limit, newInteractionView,
		func(r store.InteractionsOfDebtRow) (time.Time, string) { return r.OccurredAt, r.ID }))
}

// taskView is a task as the work queue shows it, with what makes it
// urgent: its debt's days past due and balance.
type taskView struct {
	ID            string     `json:"id"`
	DebtID        string     `json:"debt_id"`
	DebtRef       string     `json:"debt_ref"`
	DebtStatus    string     `json:"debt_status"`
	DaysPastDue   int        `json:"days_past_due"`
	Balance       int64      `json:"balance"`
	InteractionID string     `json:"interaction_id,omitempty"`
	Title         string     `json:"title"`
	TitleErased   bool       `json:"title_erased,omitempty"`
	Due           time.Time  `json:"due"`
	Assignee      string     `json:"assignee"`
	Status        string     `json:"status"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	CompletedBy   string     `json:"completed_by,omitempty"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
}

func newTaskView(r store.TaskQueueRow) taskView {
	return taskView{ID: r.ID, DebtID: r.DebtID, DebtRef: r.DebtRef, DebtStatus: r.DebtStatus, DaysPastDue: int(r.DaysPastDue),
		Balance: r.DebtBalance, InteractionID: deref(r.InteractionID), Title: r.Title, TitleErased: r.TitleErased,
		Due: r.DueAt, Assignee: r.AssigneeID, Status: r.Status, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, CompletedBy: r.CompletedBy, CompletedAt: r.CompletedAt}
}

// taskList is GET /api/v1/tasks: the work queue, by priority (most days
// past due first, then the largest balance, then the earliest due).
//
//   - assignee: me, or a staff account's id (default: everyone's);
//   - due: today (due by the end of today in Algiers, overdue included),
//     overdue (due before now) or week (due by the end of the sixth day
//     after today); default: whenever;
//   - status: open (default) or done;
//   - debt_id; limit and cursor.
func (s *Server) taskList(c echo.Context) error {
	arg := store.TaskQueueParams{Today: s.today().Time(), Status: collection.TaskStatusOpen, RowLimit: DefaultLimit + 1}
	limit := int32(DefaultLimit)
	var fe collection.FieldErrors
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch name {
		case "assignee":
			if strings.EqualFold(v, "me") {
				me := principalOf(c).AccountID
				arg.AssigneeID = &me
			} else if u, err := uuid.Parse(v); err == nil && u.String() == v {
				arg.AssigneeID = &v
			} else {
				fe.Add("assignee", `must be "me" or an account id (a lower-case UUID)`)
			}
		case "due":
			before, ok := s.dueBefore(v)
			if !ok {
				fe.Add("due", "must be today, overdue or week")
			}
			arg.DueBefore = &before
		case "status":
			if v != collection.TaskStatusOpen && v != collection.TaskStatusDone {
				fe.Add("status", "must be open or done")
			}
			arg.Status = v
		case "debt_id":
			if u, err := uuid.Parse(v); err != nil || u.String() != v {
				fe.Add("debt_id", "must be a debt id (a lower-case UUID)")
			}
			arg.DebtID = &v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			limit = int32(n)
		case "cursor":
			if !decodeTaskCursor(v, &arg) {
				fe.Add("cursor", "not a cursor this API returned")
			}
		default:
			fe.Add(name, "unknown parameter; use assignee, due, status, debt_id, limit or cursor")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	arg.RowLimit = limit + 1
	rows, err := s.q.TaskQueue(c.Request().Context(), arg)
	if err != nil {
		return err
	}
	body := listBody[taskView]{Items: make([]taskView, 0, min(len(rows), int(limit)))}
	for i, r := range rows {
		if i == int(limit) {
			body.NextCursor = encodeTaskCursor(rows[i-1])
			break
		}
		body.Items = append(body.Items, newTaskView(r))
	}
	return c.JSON(http.StatusOK, body)
}

// dueBefore is the upper bound of a due filter.
func (s *Server) dueBefore(v string) (time.Time, bool) {
	startOf := func(d collection.Date) time.Time {
		y, m, dd := d.Time().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, algiers)
	}
	switch v {
	case "today":
		return startOf(s.today().AddDays(1)), true
	case "week":
		return startOf(s.today().AddDays(7)), true
	case "overdue":
		return s.cfg.Now(), true
	}
	return time.Time{}, false
}

// A task cursor is the sort key of the last task of a page: days past
// due, balance, due time and id, opaque to clients.
func encodeTaskCursor(r store.TaskQueueRow) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d|%d|%s|%s",
		r.DaysPastDue, r.DebtBalance, r.DueAt.UTC().Format(time.RFC3339Nano), r.ID)))
}

func decodeTaskCursor(s string, arg *store.TaskQueueParams) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 {
		return false
	}
	days, err1 := strconv.ParseInt(parts[0], 10, 32)
	balance, err2 := strconv.ParseInt(parts[1], 10, 64)
	due, err3 := time.Parse(time.RFC3339Nano, parts[2])
	id, err4 := uuid.Parse(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return false
	}
	d, idStr := int32(days), id.String()
	arg.AfterDays, arg.AfterBalance, arg.AfterDue, arg.AfterID = &d, &balance, &due, &idStr
	return true
}

// taskComplete is POST /api/v1/tasks/:id/completion (no body, or an empty
// object): marks the task done; 422 no-change when it already is.
func (s *Server) taskComplete(c echo.Context) error {
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var none struct{}
		if err := decodeJSON(c, body, &none); err != nil {
			return err
		}
	}
	t, err := s.task(c, id)
	if err != nil {
		return err
	}
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion,
		collection.CompleteTask{ID: t.DebtID, TaskID: id, By: principalOf(c).AccountID}, t.DebtID)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	if t, err = s.task(c, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newTaskView(store.TaskQueueRow(t)))
}

// task reads a task with its debt's priority.
func (s *Server) task(c echo.Context, id string) (store.TaskGetRow, error) {
	t, err := s.q.TaskGet(c.Request().Context(), store.TaskGetParams{Today: s.today().Time(), ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return t, notFound("task", id)
	}
	return t, err
}
