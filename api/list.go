package api

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
)

// Page sizes of list endpoints.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// listBody is the body of every list endpoint.
type listBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// page turns rows fetched with limit+1 into a list body: the extra row, if
// any, only says there is a next page, whose cursor is the last row shown.
func page[R, V any](rows []R, limit int32, view func(R) V, key func(R) (time.Time, string)) listBody[V] {
	body := listBody[V]{Items: make([]V, 0, min(len(rows), int(limit)))}
	for i, r := range rows {
		if i == int(limit) {
			body.NextCursor = encodeCursor(key(rows[i-1]))
			break
		}
		body.Items = append(body.Items, view(r))
	}
	return body
}

// partyListParams are the parsed query parameters of the creditor and
// debtor lists.
type partyListParams struct {
	q              *string
	status         *string
	wilaya         *int32
	limit          int32
	afterCreatedAt *time.Time
	afterID        *string
}

// parsePartyList reads ?q=&status=&wilaya=&limit=&cursor=. Unknown
// parameters are rejected: a misspelt filter must not silently list all.
func parsePartyList(c echo.Context) (partyListParams, error) {
	p := partyListParams{limit: DefaultLimit}
	var fe collection.FieldErrors
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch name {
		case "q":
			if q := collection.NormalizeQuery(v); q != "" {
				if len([]rune(q)) > 100 {
					fe.Add("q", "at most 100 characters")
				}
				p.q = &q
			}
		case "status":
			if v != collection.StatusActive && v != collection.StatusArchived {
				fe.Add("status", "must be active or archived")
			}
			p.status = &v
		case "wilaya":
			n, err := strconv.Atoi(v)
			if _, ok := collection.WilayaByCode(n); err != nil || !ok {
				fe.Add("wilaya", fmt.Sprintf("must be a wilaya code from 1 to %d", collection.MaxWilayaCode()))
			}
			w := int32(n)
			p.wilaya = &w
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			p.limit = int32(n)
		case "cursor":
			at, id, err := decodeCursor(v)
			if err != nil {
				fe.Add("cursor", "not a cursor this API returned")
			}
			p.afterCreatedAt, p.afterID = &at, &id
		default:
			fe.Add(name, "unknown parameter; use q, status, wilaya, limit or cursor")
		}
	}
	if err := fe.Err(); err != nil {
		return p, err
	}
	return p, nil
}

// A cursor is the (created_at, id) of the last row of a page, opaque to clients.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", fmt.Errorf("cursor without id")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", err
	}
	if _, err := uuid.Parse(id); err != nil {
		return time.Time{}, "", err
	}
	return at, id, nil
}

// listParams are the paging parameters and the free-text filters of a
// list without search (users, registrations, API keys, audit).
type listParams struct {
	filters        map[string]*string
	limit          int32
	afterCreatedAt *time.Time
	afterID        *string
}

// parseList reads ?limit=&cursor= and the named filters, each given at
// most once; unknown parameters are rejected, as in parsePartyList.
func parseList(c echo.Context, filters ...string) (listParams, error) {
	p := listParams{filters: map[string]*string{}, limit: DefaultLimit}
	var fe collection.FieldErrors
	known := map[string]bool{}
	for _, f := range filters {
		known[f] = true
	}
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch {
		case name == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			p.limit = int32(n)
		case name == "cursor":
			at, id, err := decodeCursor(v)
			if err != nil {
				fe.Add("cursor", "not a cursor this API returned")
			}
			p.afterCreatedAt, p.afterID = &at, &id
		case known[name]:
			if len(v) > 200 {
				fe.Add(name, "at most 200 characters")
			}
			p.filters[name] = &v
		default:
			fe.Add(name, "unknown parameter; use "+strings.Join(append(filters, "limit", "cursor"), ", "))
		}
	}
	return p, fe.Err()
}
