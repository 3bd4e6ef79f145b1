package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestRequestBodies sends every malformed body to every endpoint that reads
// one, and checks each answer is the problem it should be.
func TestRequestBodies(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})
	cr := c.createCreditor(validCreditor())
	db := c.createDebtor(validDebtor())

	endpoints := []struct {
		name, method, path string
		valid              func() obj // a body the endpoint accepts
	}{
		{"create creditor", http.MethodPost, "/api/v1/creditors", validCreditor},
		{"create debtor", http.MethodPost, "/api/v1/debtors", validDebtor},
		{"patch creditor", http.MethodPatch, "/api/v1/creditors/" + cr.ID, func() obj { return obj{"sector": "textile"} }},
		{"patch debtor", http.MethodPatch, "/api/v1/debtors/" + db.ID, func() obj { return obj{"language": "en"} }},
	}
	bodies := []struct {
		name   string
		body   string
		ct     string
		status int
		fields []string
	}{
		{"truncated JSON", `{"name":`, "", 400, nil},
		{"syntax error", `{"name" "x"}`, "", 400, nil},
		{"single quotes", `{'name':'x'}`, "", 400, nil},
		{"trailing comma", `{"wilaya":16,}`, "", 400, nil},
		{"empty body", ``, "", 400, nil},
		{"blank body", " \n\t ", "", 400, nil},
		{"two JSON values", `{"wilaya":16} {"wilaya":17}`, "", 400, nil},
		{"trailing garbage", `{"wilaya":16}x`, "", 400, nil},
		{"trailing brace", `{"wilaya":16}}`, "", 400, nil},
		{"trailing bracket", `{"wilaya":16}]`, "", 400, nil},
		{"array instead of object", `[{"wilaya":16}]`, "", 422, []string{"(body)"}},
		{"string instead of object", `"hello"`, "", 422, []string{"(body)"}},
		{"wilaya as string", `{"wilaya":"16"}`, "", 422, []string{"wilaya"}},
		{"wilaya as object", `{"wilaya":{"code":16}}`, "", 422, []string{"wilaya"}},
		{"unknown field", `{"wilaya":16,"colour":"blue"}`, "", 422, []string{"colour"}},
		{"text/plain", `{"wilaya":16}`, "text/plain", 415, nil},
		{"form", `wilaya=16`, "application/x-www-form-urlencoded", 415, nil},
		{"xml", `<wilaya>16</wilaya>`, "application/xml", 415, nil},
		{"json prefix of another type", `{"wilaya":16}`, "application/jsonp", 415, nil},
	}
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			c := c.on(t)
			for _, b := range bodies {
				t.Run(b.name, func(t *testing.T) {
					c := c.on(t)
					var hdrs []header
					if b.ct != "" {
						hdrs = append(hdrs, contentType(b.ct))
					}
					p := wantProblem(t, c.do(ep.method, ep.path, b.body, hdrs...), b.status, b.fields...)
					if p.Instance != ep.path {
						t.Errorf("instance %q, want %q", p.Instance, ep.path)
					}
				})
			}
			t.Run("over 1 MiB", func(t *testing.T) {
				c := c.on(t)
				big := bigBody(ep.valid(), 1<<20+1)
				p := wantProblem(t, c.do(ep.method, ep.path, big), http.StatusRequestEntityTooLarge)
				if !strings.HasSuffix(p.Type, "/too-large") {
					t.Errorf("type %q", p.Type)
				}
				// Without a Content-Length (chunked), the limit holds while reading.
				chunked := io.MultiReader(bytes.NewReader(big[:10]), bytes.NewReader(big[10:]))
				wantProblem(t, c.do(ep.method, ep.path, chunked), http.StatusRequestEntityTooLarge)
			})
			t.Run("accepted forms", func(t *testing.T) {
				c := c.on(t)
				ok := http.StatusOK
				if ep.method == http.MethodPost {
					ok = http.StatusCreated
				}
				// Exactly 1 MiB is within the limit.
				want(t, c.do(ep.method, ep.path, bigBody(ep.valid(), 1<<20)), ok)
				want(t, c.do(ep.method, ep.path, ep.valid(), contentType("application/json; charset=utf-8")), ok)
				// Media types are case-insensitive (RFC 9110 §8.3.1).
				want(t, c.do(ep.method, ep.path, ep.valid(), contentType("Application/JSON")), ok)
				// A client that sends no Content-Type still means JSON.
				want(t, c.do(ep.method, ep.path, ep.valid(), contentType("")), ok)
			})
		})
	}
}

// bigBody is the JSON of v padded with spaces to exactly size bytes.
func bigBody(v obj, size int) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	first := true
	for k, val := range v {
		if !first {
			b.WriteString(",")
		}
		first = false
		k2, _ := json.Marshal(k)
		v2, _ := json.Marshal(val)
		b.Write(k2)
		b.WriteString(":")
		b.Write(v2)
	}
	pad := size - b.Len() - 1
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteString("}")
	return b.Bytes()
}

// TestRoutes checks the answers of what is not an API route, and the
// health endpoints.
func TestRoutes(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})

	t.Run("healthz", func(t *testing.T) {
		r := c.on(t).get("/healthz")
		want(t, r, http.StatusOK)
		var body map[string]any
		r.decode(t, &body)
		if body["status"] != "ok" {
			t.Errorf("healthz %s", r.Body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		r := c.on(t).get("/readyz")
		want(t, r, http.StatusOK)
		var body map[string]any
		r.decode(t, &body)
		if body["status"] != "ready" {
			t.Errorf("readyz %s", r.Body)
		}
	})

	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", 404},
		{http.MethodGet, "/api/v1/", 404},
		{http.MethodGet, "/api/v1/payments", 404},
		{http.MethodGet, "/api/v2/debtors", 404},
		{http.MethodPut, "/api/v1/debtors", 405},
		{http.MethodDelete, "/api/v1/creditors", 405},
		{http.MethodPut, "/api/v1/debtors/0195f1d2-7c1e-7000-8000-000000000000", 405},
		{http.MethodPost, "/api/v1/debtors/0195f1d2-7c1e-7000-8000-000000000000", 405},
		{http.MethodPost, "/api/v1/commands/0195f1d2-7c1e-7000-8000-000000000000", 405},
		{http.MethodPost, "/healthz", 405},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			wantProblem(t, c.on(t).do(tc.method, tc.path, nil), tc.status)
		})
	}
}

// TestActorAddress checks that the audit trail records the address the
// request came from, not one the client claims in a header.
func TestActorAddress(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})
	r := c.post("/api/v1/debtors", validDebtor(), xForwardedFor("203.0.113.7"), header{"X-Real-IP", "198.51.100.9"},
		header{"User-Agent", "tahsil-test/1.0"})
	want(t, r, http.StatusCreated)
	var d debtor
	r.decode(t, &d)
	h := c.history("/api/v1/debtors/" + d.ID)
	if len(h) != 1 {
		t.Fatalf("history %v", historyTypes(h))
	}
	if h[0].Actor["ip"] != "127.0.0.1" || h[0].Actor["user_agent"] != "tahsil-test/1.0" {
		t.Errorf("actor %v: want the connection's address and the user agent", h[0].Actor)
	}
}

// TestHostCheck: with allowed hosts configured, a request naming another
// Host (a DNS-rebinding page, a misrouted proxy) gets 421, and the allowed
// ones are served.
func TestHostCheck(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{AllowedHosts: []string{"tahsil.example.dz", "127.0.0.1"}})
	agent := app.NewStaff(t, "agent")
	for host, status := range map[string]int{
		"tahsil.example.dz":      http.StatusOK,
		"TAHSIL.example.dz:8443": http.StatusOK,
		"127.0.0.1":              http.StatusOK,
		"evil.example":           http.StatusMisdirectedRequest,
		"evil.example:80":        http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/v1/debtors", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+agent.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, status)
		}
		if status != http.StatusOK && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("Host %s: content type %q", host, resp.Header.Get("Content-Type"))
		}
	}
}
