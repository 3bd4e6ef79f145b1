package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// The tests of this package drive a whole Tahsil (apptest: kfake broker,
// PostgreSQL, decider, projections, bus) through its HTTP API only, the way
// a client does. Each top-level test starts its own application, so tests
// run in parallel without seeing each other's records; the subtests of one
// test share it and run in order.

// refPattern is a short human reference: Crockford base 32, no I L O U.
var refPattern = regexp.MustCompile(`^[CD]-[0-9A-HJKMNP-TV-Z]{6}$`)

// uuidPattern is a canonical, lower-case UUID.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// client talks to one test application as one signed-in user (or as a
// visitor, with no user).
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	user *apptest.User
}

// newClient returns a visitor's client: no session.
func newClient(t testing.TB, app *apptest.App) *client {
	return &client{t: t, base: app.URL, hc: &http.Client{Timeout: 60 * time.Second}}
}

// on returns a client of the same application and user that reports to t
// (a subtest).
func (c *client) on(t testing.TB) *client { return &client{t: t, base: c.base, hc: c.hc, user: c.user} }

// as returns a client of the same application signed in as u (nil: a
// visitor).
func (c *client) as(u *apptest.User) *client { return &client{t: c.t, base: c.base, hc: c.hc, user: u} }

// start runs an application and returns it with a client signed in as an
// agent, the role that works creditors and debtors all day.
func start(t *testing.T, opts apptest.Options) (*apptest.App, *client) {
	t.Helper()
	app := apptest.Start(t, opts)
	return app, newClient(t, app).as(app.NewStaff(t, "agent"))
}

// response is an HTTP answer, read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string {
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}

// decode unmarshals the body into v, failing the test if it cannot.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// header is one request header; an empty value removes it.
type header struct{ name, value string }

func ifMatch(v string) header       { return header{"If-Match", v} }
func idemKey(v string) header       { return header{"Idempotency-Key", v} }
func contentType(v string) header   { return header{"Content-Type", v} }
func xForwardedFor(v string) header { return header{"X-Forwarded-For", v} }

// do sends a request. body is nil (no body), a string or []byte (sent as
// is) or anything else (sent as JSON); a body is labelled application/json
// unless a header says otherwise. Every response is checked for the
// security headers.
func (c *client) do(method, path string, body any, hdrs ...header) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != nil {
		req.Header.Set("Authorization", "Bearer "+c.user.Token)
	}
	for _, h := range hdrs {
		if h.value == "" {
			req.Header.Del(h.name)
		} else {
			req.Header.Set(h.name, h.value)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	checkSecurityHeaders(c.t, method+" "+path, r)
	return r
}

func (c *client) get(path string, hdrs ...header) response {
	return c.do(http.MethodGet, path, nil, hdrs...)
}
func (c *client) post(path string, body any, hdrs ...header) response {
	return c.do(http.MethodPost, path, body, hdrs...)
}
func (c *client) patch(path string, body any, hdrs ...header) response {
	return c.do(http.MethodPatch, path, body, hdrs...)
}
func (c *client) delete(path string, hdrs ...header) response {
	return c.do(http.MethodDelete, path, nil, hdrs...)
}

// securityHeaders are sent on every response, errors included.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Referrer-Policy":           "no-referrer",
	"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}

func checkSecurityHeaders(t testing.TB, what string, r response) {
	t.Helper()
	for name, want := range securityHeaders {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s (%d): header %s = %q, want %q", what, r.Status, name, got, want)
		}
	}
}

// want fails the test unless the response has the status.
func want(t testing.TB, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// problem is an RFC 9457 body as a client reads it.
type problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail"`
	Instance   string       `json:"instance"`
	Errors     []fieldError `json:"errors"`
	ExistingID string       `json:"existing_id"`
}

type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (p problem) fields() []string {
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// wantProblem checks an error response: its status, the problem+json media
// type, the members every problem has, and, when fields are given, that
// each is named in errors. It returns the problem.
func wantProblem(t testing.TB, r response, status int, fields ...string) problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var members map[string]json.RawMessage
	r.decode(t, &members)
	for _, m := range []string{"type", "title", "status", "detail", "errors"} {
		if _, ok := members[m]; !ok {
			t.Errorf("problem has no %q: %s", m, r.Body)
		}
	}
	var p problem
	r.decode(t, &p)
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	if !strings.HasPrefix(p.Type, "https://") || p.Title == "" || p.Detail == "" {
		t.Errorf("problem type/title/detail incomplete: %s", r.Body)
	}
	if p.Errors == nil {
		t.Errorf("problem errors is not an array: %s", r.Body)
	}
	for _, f := range fields {
		if !slices.Contains(p.fields(), f) {
			t.Errorf("problem errors %v do not name %q: %s", p.fields(), f, r.Body)
		}
	}
	return p
}

// seq makes the unique values (NIN, NIF, phones, e-mails) of fixtures.
var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// uniqueNIN returns an 18-digit NIN no other fixture of this process uses.
func uniqueNIN() string { return fmt.Sprintf("1099%014d", next()) }

// uniqueNIF returns a 15-digit NIF no other fixture of this process uses.
func uniqueNIF() string { return fmt.Sprintf("0016%011d", next()) }

// uniqueMobile returns an Algerian mobile number in national format.
func uniqueMobile() string { return fmt.Sprintf("06%08d", next()%100_000_000) }

// obj is a JSON object to send.
type obj = map[string]any

// with returns a copy of base with the changes; a nil value removes the key.
func with(base obj, changes obj) obj {
	out := make(obj, len(base)+len(changes))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// creditor is a creditor as the API shows it.
type creditor struct {
	ID            string    `json:"id"`
	Ref           string    `json:"ref"`
	Status        string    `json:"status"`
	Name          string    `json:"name"`
	LegalForm     string    `json:"legal_form"`
	NIF           string    `json:"nif"`
	RC            string    `json:"rc"`
	Sector        string    `json:"sector"`
	Wilaya        int       `json:"wilaya"`
	Address       string    `json:"address"`
	Phone         string    `json:"phone"`
	Email         string    `json:"email"`
	ContactName   string    `json:"contact_name"`
	CommissionBPS int       `json:"commission_bps"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// debtor is a debtor as the API shows it.
type debtor struct {
	ID               string    `json:"id"`
	Ref              string    `json:"ref"`
	Status           string    `json:"status"`
	Kind             string    `json:"kind"`
	FullName         string    `json:"full_name"`
	NIN              string    `json:"nin"`
	NIF              string    `json:"nif"`
	RC               string    `json:"rc"`
	Phones           []string  `json:"phones"`
	Email            string    `json:"email"`
	Address          string    `json:"address"`
	Wilaya           int       `json:"wilaya"`
	PreferredChannel string    `json:"preferred_channel"`
	Language         string    `json:"language"`
	Version          int64     `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// page is the body of a list endpoint.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// validCreditor returns a complete, valid creditor body with unique NIF.
func validCreditor() obj {
	return obj{
		"name": "Laiterie Soummam", "legal_form": "SARL", "nif": uniqueNIF(), "rc": "06/00-0123456 B 19",
		"sector": "agroalimentaire", "wilaya": 6, "address": "Zone industrielle, Akbou",
		"phone": "034 12 34 56", "email": "recouvrement@soummam.dz", "contact_name": "Karim Haddad",
		"commission_bps": 1200,
	}
}

// validDebtor returns a valid person debtor body with a unique NIN and phone.
func validDebtor() obj {
	return obj{
		"kind": "person", "full_name": "Amine Khelifi", "nin": uniqueNIN(), "phones": []string{uniqueMobile()},
		"email": "amine.khelifi@example.dz", "address": "Cité 500 logements, Bab Ezzouar", "wilaya": 16,
		"language": "fr",
	}
}

// createCreditor registers a creditor and returns it.
func (c *client) createCreditor(body obj) creditor {
	c.t.Helper()
	r := c.post("/api/v1/creditors", body)
	want(c.t, r, http.StatusCreated)
	var out creditor
	r.decode(c.t, &out)
	return out
}

// createDebtor registers a debtor and returns it.
func (c *client) createDebtor(body obj) debtor {
	c.t.Helper()
	r := c.post("/api/v1/debtors", body)
	want(c.t, r, http.StatusCreated)
	var out debtor
	r.decode(c.t, &out)
	return out
}

// listAll follows next_cursor from the first page of path (which has a
// query string or not) and returns every item's id, in order.
func listAll[T any](t testing.TB, c *client, path string, limit int, id func(T) string) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("list does not end")
		}
		u := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		r := c.get(u)
		want(t, r, http.StatusOK)
		var p page[T]
		r.decode(t, &p)
		if len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		for _, it := range p.Items {
			ids = append(ids, id(it))
		}
		if p.NextCursor == "" {
			return ids
		}
		if len(p.Items) != limit {
			t.Fatalf("short page (%d of %d) with a next_cursor", len(p.Items), limit)
		}
		cursor = p.NextCursor
	}
}

// historyEntry is one event of GET /{id}/history.
type historyEntry struct {
	EventID    string          `json:"event_id"`
	Type       string          `json:"type"`
	Version    int64           `json:"version"`
	OccurredAt time.Time       `json:"occurred_at"`
	Actor      map[string]any  `json:"actor"`
	CommandID  string          `json:"command_id"`
	Data       json.RawMessage `json:"data"`
	Personal   map[string]any  `json:"personal"`
}

// history reads the audit timeline of a resource.
func (c *client) history(path string) []historyEntry {
	c.t.Helper()
	r := c.get(path + "/history")
	want(c.t, r, http.StatusOK)
	var p page[historyEntry]
	r.decode(c.t, &p)
	return p.Items
}

func historyTypes(h []historyEntry) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Type
	}
	return out
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
