package api

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// debtFilter is the parsed filter of GET /api/v1/debts, shared by the
// three orders and the CSV export.
type debtFilter struct {
	status, creditorID, debtorID, agentID, typ, q *string
	// qRaw is q as typed: references are compared with it, since folding
	// would turn F-7KQ2M9 into "f 7kq2m9".
	qRaw                   *string
	openOnly               bool
	dueFrom, dueTo         *time.Time
	minBalance, maxBalance *int64
	wilaya                 *int32
	sort                   string // newest | due | balance
	limit                  int32
	cursor                 string
	csv                    bool
}

// debtListParams lists the accepted parameters, for the error that names
// an unknown one.
const debtListParams = "status, creditor_id, debtor_id, agent_id, wilaya, type, min_days_past_due, max_days_past_due, " +
	"min_balance, max_balance, due_from, due_to, q, sort, limit, cursor, format"

func (s *Server) parseDebtList(c echo.Context) (debtFilter, error) {
	f := debtFilter{sort: "newest", limit: DefaultLimit}
	var fe collection.FieldErrors
	str := func(v string) *string { return &v }
	id := func(name, v string) *string {
		u, err := uuid.Parse(v)
		if err != nil {
			fe.Add(name, "must be an id (UUID)")
			return nil
		}
		return str(u.String())
	}
	amount := func(name, v string) *int64 {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fe.Add(name, "must be an amount in centimes (a whole number, 0 or more)")
			return nil
		}
		return &n
	}
	date := func(name, v string) *time.Time {
		d, err := collection.ParseDate(v)
		if err != nil {
			fe.Add(name, "must be a date YYYY-MM-DD")
			return nil
		}
		t := d.Time()
		return &t
	}
	today := s.today()
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch name {
		case "status":
			if !contains(collection.DebtStatuses(), v) {
				fe.Add("status", "must be one of "+strings.Join(collection.DebtStatuses(), ", "))
			}
			f.status = str(v)
		case "creditor_id":
			f.creditorID = id(name, v)
		case "debtor_id":
			f.debtorID = id(name, v)
		case "agent_id":
			if v == "me" {
				v = principalOf(c).AccountID
			}
			f.agentID = id(name, v)
		case "type":
			if !contains(collection.DebtTypes(), v) {
				fe.Add("type", "must be one of "+strings.Join(collection.DebtTypes(), ", "))
			}
			f.typ = str(v)
		case "wilaya":
			n, err := strconv.Atoi(v)
			if _, ok := collection.WilayaByCode(n); err != nil || !ok {
				fe.Add("wilaya", fmt.Sprintf("must be a wilaya code from 1 to %d", collection.MaxWilayaCode()))
			}
			w := int32(n)
			f.wilaya = &w
		case "min_days_past_due", "max_days_past_due":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 36500 {
				fe.Add(name, "must be a whole number of days, 0 or more")
				continue
			}
			// Days past due count only for open debts; as a due-date range
			// the filter uses the due-date index.
			f.openOnly = true
			t := today.AddDays(-n).Time()
			switch {
			case name == "max_days_past_due":
				f.dueFrom = latest(f.dueFrom, &t)
			case n > 0:
				// min 0 bounds nothing: a debt not yet due is 0 days
				// past due, as its days_past_due shows.
				f.dueTo = earliest(f.dueTo, &t)
			}
		case "due_from":
			f.dueFrom = latest(f.dueFrom, date(name, v))
		case "due_to":
			f.dueTo = earliest(f.dueTo, date(name, v))
		case "min_balance":
			f.minBalance = amount(name, v)
		case "max_balance":
			f.maxBalance = amount(name, v)
		case "q":
			if q := collection.NormalizeQuery(v); q != "" {
				if len([]rune(q)) > 100 {
					fe.Add("q", "at most 100 characters")
				}
				f.q = &q
				raw := strings.TrimSpace(v)
				f.qRaw = &raw
			}
		case "sort":
			if v != "newest" && v != "due" && v != "balance" {
				fe.Add("sort", "must be newest, due (most overdue first) or balance (largest first)")
			}
			f.sort = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			f.limit = int32(n)
		case "cursor":
			f.cursor = v
		case "format":
			if v != "csv" && v != "json" {
				fe.Add("format", "must be csv or json")
			}
			f.csv = v == "csv"
		default:
			fe.Add(name, "unknown parameter; use "+debtListParams)
		}
	}
	return f, fe.Err()
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

func latest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// fetch runs the filter in its order from a cursor and returns up to
// limit+1 rows, so the caller knows whether a next page exists.
func (s *Server) fetchDebts(c echo.Context, f debtFilter, limit int32) ([]store.Debt, error) {
	cred, debt := scopeOf(c).debtorsScope()
	ctx := c.Request().Context()
	base := store.DebtListNewestParams{
		Status: f.status, OpenOnly: f.openOnly, CreditorID: f.creditorID, DebtorID: f.debtorID, AgentID: f.agentID,
		Type: f.typ, DueFrom: f.dueFrom, DueTo: f.dueTo, MinBalance: f.minBalance, MaxBalance: f.maxBalance,
		Wilaya: f.wilaya, Q: f.q, QRaw: f.qRaw, ScopeCreditor: cred, ScopeDebtor: debt, RowLimit: limit,
	}
	key, afterID, err := decodeDebtCursor(f.cursor)
	if err != nil {
		return nil, invalidRequest("bad cursor", collection.FieldError{Field: "cursor", Reason: "not a cursor this API returned for this sort"})
	}
	switch f.sort {
	case "due":
		p := store.DebtListByDueParams{
			Status: f.status, OpenOnly: f.openOnly, CreditorID: f.creditorID, DebtorID: f.debtorID, AgentID: f.agentID,
			Type: f.typ, DueFrom: f.dueFrom, DueTo: f.dueTo, MinBalance: f.minBalance, MaxBalance: f.maxBalance,
			Wilaya: f.wilaya, Q: f.q, QRaw: f.qRaw, ScopeCreditor: cred, ScopeDebtor: debt, RowLimit: limit,
		}
		if key != "" {
			t, err := time.Parse(time.DateOnly, key)
			if err != nil {
				return nil, invalidRequest("bad cursor", collection.FieldError{Field: "cursor", Reason: "not a cursor of sort=due"})
			}
			p.AfterDue, p.AfterID = &t, &afterID
		}
		return s.lists.DebtListByDue(ctx, p)
	case "balance":
		p := store.DebtListByBalanceParams{
			Status: f.status, OpenOnly: f.openOnly, CreditorID: f.creditorID, DebtorID: f.debtorID, AgentID: f.agentID,
			Type: f.typ, DueFrom: f.dueFrom, DueTo: f.dueTo, MinBalance: f.minBalance, MaxBalance: f.maxBalance,
			Wilaya: f.wilaya, Q: f.q, QRaw: f.qRaw, ScopeCreditor: cred, ScopeDebtor: debt, RowLimit: limit,
		}
		if key != "" {
			n, err := strconv.ParseInt(key, 10, 64)
			if err != nil {
				return nil, invalidRequest("bad cursor", collection.FieldError{Field: "cursor", Reason: "not a cursor of sort=balance"})
			}
			p.AfterBalance, p.AfterID = &n, &afterID
		}
		return s.lists.DebtListByBalance(ctx, p)
	}
	if key != "" {
		t, err := time.Parse(time.RFC3339Nano, key)
		if err != nil {
			return nil, invalidRequest("bad cursor", collection.FieldError{Field: "cursor", Reason: "not a cursor of sort=newest"})
		}
		base.AfterCreatedAt, base.AfterID = &t, &afterID
	}
	return s.lists.DebtListNewest(ctx, base)
}

func debtCursor(sort string, r store.Debt) string {
	key := r.CreatedAt.UTC().Format(time.RFC3339Nano)
	switch sort {
	case "due":
		key = day(r.CurrentDueOn)
	case "balance":
		key = strconv.FormatInt(r.Balance, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(key + "|" + r.ID))
}

func decodeDebtCursor(s string) (key, id string, err error) {
	if s == "" {
		return "", "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", "", err
	}
	key, id, ok := strings.Cut(string(b), "|")
	if _, perr := uuid.Parse(id); !ok || perr != nil {
		return "", "", fmt.Errorf("cursor without id")
	}
	return key, id, nil
}

// debtList is GET /api/v1/debts.
func (s *Server) debtList(c echo.Context) error {
	f, err := s.parseDebtList(c)
	if err != nil {
		return err
	}
	return s.listDebts(c, f)
}

// debtorDebts and creditorDebts are GET /api/v1/{debtors,creditors}/:id/debts:
// the same list, filtered on the party the request may see.
func (s *Server) debtorDebts(c echo.Context) error {
	id, err := pathID(c, "debtor")
	if err != nil {
		return err
	}
	if _, err := s.debtorRow(c, id); err != nil {
		return err
	}
	f, err := s.parseDebtList(c)
	if err != nil {
		return err
	}
	f.debtorID = &id
	return s.listDebts(c, f)
}

func (s *Server) creditorDebts(c echo.Context) error {
	id, err := pathID(c, "creditor")
	if err != nil {
		return err
	}
	if _, err := s.creditorRow(c, id); err != nil {
		return err
	}
	f, err := s.parseDebtList(c)
	if err != nil {
		return err
	}
	f.creditorID = &id
	return s.listDebts(c, f)
}

// debtExportMax bounds one CSV export; narrow the filter for more.
const debtExportMax = 1_000_000

func (s *Server) listDebts(c echo.Context, f debtFilter) error {
	today := s.today()
	if !f.csv {
		rows, err := s.fetchDebts(c, f, f.limit+1)
		if err != nil {
			return err
		}
		body := listBody[debtView]{Items: make([]debtView, 0, min(len(rows), int(f.limit)))}
		for i, r := range rows {
			if i == int(f.limit) {
				body.NextCursor = debtCursor(f.sort, rows[i-1])
				break
			}
			body.Items = append(body.Items, newDebtView(r, today))
		}
		return c.JSON(http.StatusOK, body)
	}
	const batch = 1000
	// The first batch is read before the 200 is sent, so that a bad cursor
	// (or a failing query) is a problem, not a CSV holding an error row.
	rows, err := s.fetchDebts(c, f, batch)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="tahsil-debts.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	// A BOM, so spreadsheet programs read the Arabic and accented text as UTF-8.
	_, _ = c.Response().Write([]byte("\uFEFF"))
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"ref", "external_ref", "creditor_id", "debtor_id", "type", "status", "principal", "charges",
		"discount", "written_off", "paid", "credit", "balance", "currency", "original_due_on", "current_due_on",
		"days_past_due", "agent_id", "last_payment_on", "created_at"})
	for written := 0; written < debtExportMax; {
		for _, r := range rows {
			v := newDebtView(r, today)
			_ = w.Write([]string{v.Ref, csvSafe(v.ExternalRef), v.CreditorID, v.DebtorID, v.Type, v.Status,
				centimes(v.Principal), centimes(v.Charges), centimes(v.Discount), centimes(v.WrittenOff), centimes(v.Paid),
				centimes(v.Credit), centimes(v.Balance), v.Currency, v.OriginalDueOn, v.CurrentDueOn,
				strconv.Itoa(v.DaysPastDue), v.AgentID, v.LastPaymentOn, v.CreatedAt.UTC().Format(time.RFC3339)})
		}
		written += len(rows)
		if len(rows) < batch || written >= debtExportMax {
			break
		}
		f.cursor = debtCursor(f.sort, rows[len(rows)-1])
		if rows, err = s.fetchDebts(c, f, batch); err != nil {
			_ = w.Write([]string{"error: the export stopped early"})
			break
		}
	}
	w.Flush()
	return w.Error()
}

// centimes writes an amount as DZD with two decimals, from integers only.
func centimes(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}
