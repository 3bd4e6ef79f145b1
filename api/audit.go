package api

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// auditEntry is one line of the audit trail: who did what, to what, when,
// from where, with what outcome.
type auditEntry struct {
	At          time.Time       `json:"at"`
	Source      string          `json:"source"` // event | command | security
	ID          string          `json:"id"`
	Action      string          `json:"action"`
	Outcome     string          `json:"outcome"`
	ActorID     string          `json:"actor_id,omitempty"`
	ActorRole   string          `json:"actor_role,omitempty"`
	IP          string          `json:"ip,omitempty"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	Detail      json.RawMessage `json:"detail"`
}

func viewAudit(r store.AuditListRow) auditEntry {
	return auditEntry{At: r.At, Source: r.Source, ID: r.EntryID, Action: r.Action, Outcome: r.Outcome, ActorID: r.ActorID,
		ActorRole: r.ActorRole, IP: r.Ip, SubjectType: r.SubjectType, SubjectID: r.SubjectID, Detail: r.Detail}
}

// auditExportMax bounds one CSV export; narrow the filter for more.
const auditExportMax = 1_000_000

// auditList is GET /api/v1/audit: ?actor=&subject=&action=&outcome=&from=
// &to=&limit=&cursor=, and ?format=csv for the same filter as CSV. Read-only:
// no route changes or deletes an entry.
func (s *Server) auditList(c echo.Context) error {
	params, limit, csvOut, err := parseAudit(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if !csvOut {
		params.RowLimit = limit + 1
		rows, err := s.q.AuditList(ctx, params)
		if err != nil {
			return err
		}
		body := listBody[auditEntry]{Items: make([]auditEntry, 0, min(len(rows), int(limit)))}
		for i, r := range rows {
			if i == int(limit) {
				body.NextCursor = auditCursor(rows[i-1])
				break
			}
			body.Items = append(body.Items, viewAudit(r))
		}
		return c.JSON(http.StatusOK, body)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="tahsil-audit.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"at", "source", "id", "action", "outcome", "actor_id", "actor_role", "ip", "subject_type", "subject_id", "detail"})
	const batch = 1000
	for written := 0; written < auditExportMax; {
		params.RowLimit = batch
		rows, err := s.q.AuditList(ctx, params)
		if err != nil {
			// The status is sent: say so in the file rather than end it silently.
			_ = w.Write([]string{"error", "", "", "", "", "", "", "", "", "", "the export stopped early: " + err.Error()})
			break
		}
		for _, r := range rows {
			_ = w.Write([]string{r.At.UTC().Format(time.RFC3339Nano), r.Source, r.EntryID, r.Action, r.Outcome, r.ActorID,
				r.ActorRole, r.Ip, r.SubjectType, csvSafe(r.SubjectID), csvSafe(string(r.Detail))})
		}
		written += len(rows)
		if len(rows) < batch {
			break
		}
		last := rows[len(rows)-1]
		params.AfterAt, params.AfterSource, params.AfterEntry = &last.At, &last.Source, &last.EntryID
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses spreadsheet formulas: a cell a spreadsheet would
// evaluate gets a leading quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func auditCursor(r store.AuditListRow) string {
	return base64.RawURLEncoding.EncodeToString([]byte(r.At.UTC().Format(time.RFC3339Nano) + "|" + r.Source + "|" + r.EntryID))
}

func parseAudit(c echo.Context) (store.AuditListParams, int32, bool, error) {
	var p store.AuditListParams
	limit := int32(DefaultLimit)
	csvOut := false
	var fe collection.FieldErrors
	str := func(v string) *string { return &v }
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch name {
		case "actor":
			p.Actor = str(v)
		case "subject":
			p.Subject = str(v)
		case "action":
			p.Action = str(v)
		case "outcome":
			switch v {
			case "accepted", "rejected", "succeeded", "failed", "denied":
			default:
				fe.Add("outcome", "must be accepted, rejected, succeeded, failed or denied")
			}
			p.Outcome = str(v)
		case "from", "to":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fe.Add(name, "must be an RFC 3339 instant, e.g. 2026-11-21T08:00:00Z")
			}
			if name == "from" {
				p.FromAt = &t
			} else {
				p.ToAt = &t
			}
		case "format":
			if v != "csv" && v != "json" {
				fe.Add("format", "must be csv or json")
			}
			csvOut = v == "csv"
		case "limit":
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 1 || n > MaxLimit || fmt.Sprint(n) != v {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			limit = int32(n)
		case "cursor":
			b, err := base64.RawURLEncoding.DecodeString(v)
			parts := strings.SplitN(string(b), "|", 3)
			var at time.Time
			if err == nil && len(parts) == 3 {
				at, err = time.Parse(time.RFC3339Nano, parts[0])
			}
			if err != nil || len(parts) != 3 {
				fe.Add("cursor", "not a cursor this API returned")
				continue
			}
			p.AfterAt, p.AfterSource, p.AfterEntry = &at, &parts[1], &parts[2]
		default:
			fe.Add(name, "unknown parameter; use actor, subject, action, outcome, from, to, format, limit or cursor")
		}
	}
	return p, limit, csvOut, fe.Err()
}
