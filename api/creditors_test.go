package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

func TestCreditors(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})

	var first creditor // created by "create", used by the subtests after it

	t.Run("create", func(t *testing.T) {
		c := c.on(t)
		nif := uniqueNIF()
		body := with(validCreditor(), obj{
			"name": "  Laiterie   Soummam ", "legal_form": "s.a.r.l.", "nif": nif[:5] + " " + nif[5:],
			"phone": "034 12 34 56", "email": "Recouvrement@SOUMMAM.DZ",
		})
		r := c.post("/api/v1/creditors", body)
		want(t, r, http.StatusCreated)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		r.decode(t, &first)
		if got := r.Header.Get("Location"); got != "/api/v1/creditors/"+first.ID {
			t.Errorf("Location %q, id %s", got, first.ID)
		}
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf(`ETag %q, want "1"`, got)
		}
		if !uuidPattern.MatchString(first.ID) {
			t.Errorf("id %q is not a UUIDv7", first.ID)
		}
		if !refPattern.MatchString(first.Ref) || !strings.HasPrefix(first.Ref, "C-") {
			t.Errorf("ref %q", first.Ref)
		}
		wantFields := creditor{
			ID: first.ID, Ref: first.Ref, Status: "active", Name: "Laiterie Soummam", LegalForm: "SARL", NIF: nif,
			RC: "06/00-0123456 B 19", Sector: "agroalimentaire", Wilaya: 6, Address: "Zone industrielle, Akbou",
			Phone: "+21334123456", Email: "Recouvrement@soummam.dz", ContactName: "Karim Haddad",
			CommissionBPS: 1200, Version: 1, CreatedAt: first.CreatedAt, UpdatedAt: first.UpdatedAt,
		}
		if first != wantFields {
			t.Errorf("created\n got %+v\nwant %+v", first, wantFields)
		}
		if first.CreatedAt.IsZero() || !first.UpdatedAt.Equal(first.CreatedAt) {
			t.Errorf("created_at %v, updated_at %v", first.CreatedAt, first.UpdatedAt)
		}
		var members map[string]any
		r.decode(t, &members)
		for _, f := range []string{"id", "ref", "status", "name", "legal_form", "nif", "rc", "sector", "wilaya",
			"address", "phone", "email", "contact_name", "commission_bps", "version", "created_at", "updated_at"} {
			if _, ok := members[f]; !ok {
				t.Errorf("body has no %q", f)
			}
		}
	})
	if first.ID == "" {
		t.Fatal("no creditor to work on")
	}
	path := "/api/v1/creditors/" + first.ID

	t.Run("get", func(t *testing.T) {
		c := c.on(t)
		r := c.get(path)
		want(t, r, http.StatusOK)
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf("ETag %q", got)
		}
		var got creditor
		r.decode(t, &got)
		if got != first {
			t.Errorf("GET\n got %+v\nwant %+v", got, first)
		}
		p := wantProblem(t, c.get("/api/v1/creditors/"+uuid.Must(uuid.NewV7()).String()), http.StatusNotFound)
		if !strings.HasSuffix(p.Type, "/not-found") {
			t.Errorf("type %q", p.Type)
		}
		for _, bad := range []string{"not-a-uuid", "123", strings.Repeat("a", 300), first.ID + "0", "%20"} {
			wantProblem(t, c.get("/api/v1/creditors/"+bad), http.StatusNotFound)
		}
		// a debtor id is not a creditor id
		wantProblem(t, c.get("/api/v1/debtors/"+first.ID), http.StatusNotFound)
	})

	t.Run("invalid input", func(t *testing.T) {
		c := c.on(t)
		cases := []struct {
			name   string
			body   any
			fields []string
		}{
			{"empty object names every required field", obj{}, []string{"name", "nif", "wilaya"}},
			{"missing name", with(validCreditor(), obj{"name": nil}), []string{"name"}},
			{"blank name", with(validCreditor(), obj{"name": "   "}), []string{"name"}},
			{"name without letters", with(validCreditor(), obj{"name": "1234"}), []string{"name"}},
			{"name in another script", with(validCreditor(), obj{"name": "Москва Трейд"}), []string{"name"}},
			{"missing nif", with(validCreditor(), obj{"nif": nil}), []string{"nif"}},
			{"nif too short", with(validCreditor(), obj{"nif": "12345678901234"}), []string{"nif"}},
			{"nif 16 digits", with(validCreditor(), obj{"nif": "1234567890123456"}), []string{"nif"}},
			{"nif with letters", with(validCreditor(), obj{"nif": "00016A123456789"}), []string{"nif"}},
			{"nif placeholder", with(validCreditor(), obj{"nif": "000000000000000"}), []string{"nif"}},
			{"missing wilaya", with(validCreditor(), obj{"wilaya": nil}), []string{"wilaya"}},
			{"wilaya 0", with(validCreditor(), obj{"wilaya": 0}), []string{"wilaya"}},
			{"wilaya 70", with(validCreditor(), obj{"wilaya": 70}), []string{"wilaya"}},
			{"wilaya negative", with(validCreditor(), obj{"wilaya": -16}), []string{"wilaya"}},
			{"wilaya as string", with(validCreditor(), obj{"wilaya": "16"}), []string{"wilaya"}},
			{"wilaya as fraction", with(validCreditor(), obj{"wilaya": 16.5}), []string{"wilaya"}},
			{"commission above 100 %", with(validCreditor(), obj{"commission_bps": 10001}), []string{"commission_bps"}},
			{"commission negative", with(validCreditor(), obj{"commission_bps": -1}), []string{"commission_bps"}},
			{"commission as string", with(validCreditor(), obj{"commission_bps": "12"}), []string{"commission_bps"}},
			{"legal form unknown", with(validCreditor(), obj{"legal_form": "LLC"}), []string{"legal_form"}},
			{"bad email", with(validCreditor(), obj{"email": "not-an-email"}), []string{"email"}},
			{"email with display name", with(validCreditor(), obj{"email": "Karim <k@soummam.dz>"}), []string{"email"}},
			{"email to localhost", with(validCreditor(), obj{"email": "k@localhost"}), []string{"email"}},
			{"foreign phone", with(validCreditor(), obj{"phone": "+33 1 23 45 67 89"}), []string{"phone"}},
			{"short phone", with(validCreditor(), obj{"phone": "0550 12"}), []string{"phone"}},
			{"phone with letters", with(validCreditor(), obj{"phone": "0550 ab 34 56"}), []string{"phone"}},
			{"contact name with digits", with(validCreditor(), obj{"contact_name": "Karim 2"}), []string{"contact_name"}},
			{"rc too long", with(validCreditor(), obj{"rc": strings.Repeat("1", 41)}), []string{"rc"}},
			{"sector too long", with(validCreditor(), obj{"sector": strings.Repeat("x", 101)}), []string{"sector"}},
			{"address too long", with(validCreditor(), obj{"address": strings.Repeat("x", 501)}), []string{"address"}},
			{"address with bidi override", with(validCreditor(), obj{"address": "rue \u202e1"}), []string{"address"}},
			{"name as number", with(validCreditor(), obj{"name": 42}), []string{"name"}},
			{"unknown field", with(validCreditor(), obj{"nickname": "x"}), []string{"nickname"}},
			{"system field", with(validCreditor(), obj{"status": "archived"}), []string{"status"}},
			{"several problems at once", with(validCreditor(), obj{"nif": "1", "wilaya": 99, "email": "@"}),
				[]string{"nif", "wilaya", "email"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := wantProblem(t, c.post("/api/v1/creditors", tc.body), http.StatusUnprocessableEntity, tc.fields...)
				for _, e := range p.Errors {
					if e.Reason == "" {
						t.Errorf("field %q has no reason", e.Field)
					}
				}
			})
		}
		// Nothing was registered by the refused requests.
		ids := listAll(t, c, "/api/v1/creditors", 200, func(x creditor) string { return x.ID })
		if len(ids) != 1 {
			t.Errorf("%d creditors after refused requests, want 1", len(ids))
		}
	})

	t.Run("duplicate nif", func(t *testing.T) {
		c := c.on(t)
		spaced := first.NIF[:3] + " " + first.NIF[3:9] + " " + first.NIF[9:]
		for _, nif := range []string{first.NIF, spaced} {
			r := c.post("/api/v1/creditors", with(validCreditor(), obj{"name": "Autre Société", "nif": nif}))
			p := wantProblem(t, r, http.StatusConflict, "nif")
			if p.ExistingID != first.ID {
				t.Errorf("existing_id %q, want %s", p.ExistingID, first.ID)
			}
		}
	})

	// Fixtures for search and filters.
	setif := c.createCreditor(with(validCreditor(), obj{"name": "Laiterie de Sétif", "wilaya": 19,
		"phone": "0550 12 34 56", "email": "contact@laiterie-setif.dz"}))
	hauts := c.createCreditor(with(validCreditor(), obj{"name": "مطاحن الهضاب العليا", "wilaya": 19,
		"phone": "", "email": "", "contact_name": "عبد القادر بن يوسف"}))
	oran := c.createCreditor(with(validCreditor(), obj{"name": "SARL Benali & Fils", "wilaya": 31,
		"phone": "", "email": "benali@oran-fils.dz"}))

	t.Run("search", func(t *testing.T) {
		c := c.on(t)
		cases := []struct {
			q    string
			want []string
		}{
			{"setif", []string{setif.ID}},
			{"SÉTIF", []string{setif.ID}},
			{"Laiterie de Setif", []string{setif.ID}},
			{"مطاحن", []string{hauts.ID}},
			{"مَطَاحِن الهِضَاب", []string{hauts.ID}},
			{"الهضاب العليا", []string{hauts.ID}},
			{"بن يوسف", []string{hauts.ID}}, // contact name
			{"benali", []string{oran.ID}},
			{oran.Ref, []string{oran.ID}},
			{strings.ToLower(oran.Ref), []string{oran.ID}},
			{"0550123456", []string{setif.ID}},
			{"0550 12 34 56", []string{setif.ID}},
			{"+213550123456", []string{setif.ID}},
			{"00213550123456", []string{setif.ID}},
			{oran.NIF, []string{oran.ID}},
			{"benali@oran-fils.dz", []string{oran.ID}},
			{"nobody-has-this-name", nil},
		}
		for _, tc := range cases {
			t.Run(tc.q, func(t *testing.T) {
				got := listAll(t, c, "/api/v1/creditors?q="+url.QueryEscape(tc.q), 50, func(x creditor) string { return x.ID })
				if !slices.Equal(got, tc.want) {
					t.Errorf("q=%q found %v, want %v", tc.q, got, tc.want)
				}
			})
		}
	})

	t.Run("filters", func(t *testing.T) {
		c := c.on(t)
		got := listAll(t, c, "/api/v1/creditors?wilaya=19", 50, func(x creditor) string { return x.ID })
		sort.Strings(got)
		wantIDs := []string{setif.ID, hauts.ID}
		sort.Strings(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("wilaya=19: %v, want %v", got, wantIDs)
		}
		got = listAll(t, c, "/api/v1/creditors?wilaya=19&q=setif&status=active", 50, func(x creditor) string { return x.ID })
		if !slices.Equal(got, []string{setif.ID}) {
			t.Errorf("wilaya=19&q=setif: %v", got)
		}
		if got := listAll(t, c, "/api/v1/creditors?wilaya=31&q=setif", 50, func(x creditor) string { return x.ID }); len(got) != 0 {
			t.Errorf("wilaya=31&q=setif: %v", got)
		}
		if got := listAll(t, c, "/api/v1/creditors?status=archived", 50, func(x creditor) string { return x.ID }); len(got) != 0 {
			t.Errorf("status=archived before any archive: %v", got)
		}
	})

	t.Run("paging", func(t *testing.T) {
		c := c.on(t)
		var created []string
		for i := range 7 {
			created = append(created, c.createCreditor(with(validCreditor(), obj{
				"name": fmt.Sprintf("Ghardaïa Textiles %c", 'A'+i), "wilaya": 47})).ID)
		}
		// Newest first, every one once, over pages of 3, 3 and 1.
		got := listAll(t, c, "/api/v1/creditors?wilaya=47", 3, func(x creditor) string { return x.ID })
		wantIDs := slices.Clone(created)
		slices.Reverse(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("paged wilaya=47:\n got %v\nwant %v", got, wantIDs)
		}
		// The whole list, by pages of 2, equals the one page of 200.
		all := listAll(t, c, "/api/v1/creditors", 200, func(x creditor) string { return x.ID })
		paged := listAll(t, c, "/api/v1/creditors", 2, func(x creditor) string { return x.ID })
		if !slices.Equal(all, paged) {
			t.Errorf("paged list differs:\n got %v\nwant %v", paged, all)
		}
		seen := map[string]bool{}
		for _, id := range paged {
			if seen[id] {
				t.Errorf("%s listed twice", id)
			}
			seen[id] = true
		}
		if len(all) != 1+3+7 {
			t.Errorf("%d creditors listed, want 11", len(all))
		}
		// Without limit: one page (fewer than 50), no cursor.
		r := c.get("/api/v1/creditors")
		want(t, r, http.StatusOK)
		var p page[creditor]
		r.decode(t, &p)
		if len(p.Items) != len(all) || p.NextCursor != "" {
			t.Errorf("default page: %d items, cursor %q", len(p.Items), p.NextCursor)
		}
		var raw map[string]json.RawMessage
		r.decode(t, &raw)
		if _, ok := raw["items"]; !ok {
			t.Errorf("list body has no items: %s", r.Body)
		}
		// An empty result is an empty array, not null.
		r = c.get("/api/v1/creditors?q=zzzzzz")
		want(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `"items":[]`) {
			t.Errorf("empty list body %s", r.Body)
		}
	})

	t.Run("bad list parameters", func(t *testing.T) {
		c := c.on(t)
		badListParams(t, c, "/api/v1/creditors")
	})

	t.Run("patch", func(t *testing.T) {
		c := c.on(t)
		// Without If-Match: applies to whatever version is current.
		r := c.patch(path, obj{"sector": "laiterie", "commission_bps": 1500})
		want(t, r, http.StatusOK)
		var got creditor
		r.decode(t, &got)
		if got.Sector != "laiterie" || got.CommissionBPS != 1500 || got.Version != 2 || got.Name != first.Name {
			t.Errorf("after patch: %+v", got)
		}
		if !got.UpdatedAt.After(got.CreatedAt) && !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("updated_at %v before created_at %v", got.UpdatedAt, got.CreatedAt)
		}
		if e := r.Header.Get("ETag"); e != `"2"` {
			t.Errorf("ETag %q", e)
		}
		// With the current If-Match; personal fields are normalised too.
		r = c.patch(path, obj{"phone": "0661-11-22-33", "email": ""}, ifMatch(`"2"`))
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if got.Phone != "+213661112233" || got.Email != "" || got.Version != 3 {
			t.Errorf("after patch 2: %+v", got)
		}
		// Weak ETags and * are accepted.
		want(t, c.patch(path, obj{"sector": "lait"}, ifMatch(`W/"3"`)), http.StatusOK)
		want(t, c.patch(path, obj{"sector": "laiterie"}, ifMatch(`*`)), http.StatusOK)

		// A stale If-Match changes nothing.
		p := wantProblem(t, c.patch(path, obj{"sector": "stale"}, ifMatch(`"2"`)), http.StatusPreconditionFailed, "If-Match")
		if !strings.HasSuffix(p.Type, "/version-conflict") {
			t.Errorf("type %q", p.Type)
		}
		r = c.get(path)
		r.decode(t, &got)
		if got.Sector != "laiterie" || got.Version != 5 || r.Header.Get("ETag") != `"5"` {
			t.Errorf("after stale patch: %+v, ETag %s", got, r.Header.Get("ETag"))
		}
		for _, bad := range []string{"abc", `"abc"`, `"0"`, `"-1"`, `"1.5"`} {
			wantProblem(t, c.patch(path, obj{"sector": "x"}, ifMatch(bad)), http.StatusBadRequest, "If-Match")
		}
		cases := []struct {
			name   string
			body   any
			status int
			fields []string
		}{
			{"unknown field", obj{"nickname": "x"}, 422, []string{"nickname"}},
			{"system field", obj{"ref": "C-000000"}, 422, []string{"ref"}},
			{"empty patch", obj{}, 422, nil},
			{"null only", obj{"name": nil}, 422, nil},
			{"clear name", obj{"name": ""}, 422, []string{"name"}},
			{"clear nif", obj{"nif": " "}, 422, []string{"nif"}},
			{"bad nif", obj{"nif": "123"}, 422, []string{"nif"}},
			{"wilaya 0", obj{"wilaya": 0}, 422, []string{"wilaya"}},
			{"wilaya 70", obj{"wilaya": 70}, 422, []string{"wilaya"}},
			{"wilaya as string", obj{"wilaya": "19"}, 422, []string{"wilaya"}},
			{"commission 10001", obj{"commission_bps": 10001}, 422, []string{"commission_bps"}},
			{"legal form unknown", obj{"legal_form": "GmbH"}, 422, []string{"legal_form"}},
			{"bad email", obj{"email": "a@b"}, 422, []string{"email"}},
			{"nif of another creditor", obj{"nif": oran.NIF}, 409, []string{"nif"}},
			{"invalid JSON", `{"sector":`, 400, nil},
			{"text/plain", "sector=x", 415, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var hdrs []header
				if tc.status == 415 {
					hdrs = append(hdrs, contentType("text/plain"))
				}
				p := wantProblem(t, c.patch(path, tc.body, hdrs...), tc.status, tc.fields...)
				if tc.status == 409 && p.ExistingID != oran.ID {
					t.Errorf("existing_id %q, want %s", p.ExistingID, oran.ID)
				}
			})
		}
		if r := c.get(path); r.Header.Get("ETag") != `"5"` {
			t.Errorf("refused patches changed the creditor: %s", r.Body)
		}
		wantProblem(t, c.patch("/api/v1/creditors/"+uuid.Must(uuid.NewV7()).String(), obj{"sector": "x"}), http.StatusNotFound)
		wantProblem(t, c.patch("/api/v1/creditors/nope", obj{"sector": "x"}), http.StatusNotFound)

		// A new NIF frees the old one for another creditor.
		old := first.NIF
		r = c.patch(path, obj{"nif": uniqueNIF()})
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if got.NIF == old {
			t.Fatal("nif unchanged")
		}
		again := c.createCreditor(with(validCreditor(), obj{"name": "Reprise du NIF", "nif": old}))
		if again.NIF != old {
			t.Errorf("nif %q, want %q", again.NIF, old)
		}
	})

	t.Run("archive", func(t *testing.T) {
		c := c.on(t)
		wantProblem(t, c.delete(path, ifMatch(`"1"`)), http.StatusPreconditionFailed, "If-Match")
		wantProblem(t, c.delete(path, ifMatch("x")), http.StatusBadRequest, "If-Match")
		wantProblem(t, c.delete(path+"?force=1"), http.StatusUnprocessableEntity, "force")
		wantProblem(t, c.delete(path+"?reason="+strings.Repeat("x", 501)), http.StatusUnprocessableEntity, "reason")
		r := c.delete(path + "?reason=" + url.QueryEscape("contrat résilié"))
		want(t, r, http.StatusOK)
		var got creditor
		r.decode(t, &got)
		if got.Status != "archived" || got.Version != 7 || r.Header.Get("ETag") != `"7"` {
			t.Errorf("archived: %+v, ETag %s", got, r.Header.Get("ETag"))
		}
		p := wantProblem(t, c.delete(path), http.StatusConflict)
		if !strings.HasSuffix(p.Type, "/archived") {
			t.Errorf("type %q", p.Type)
		}
		wantProblem(t, c.patch(path, obj{"sector": "x"}), http.StatusConflict)
		r = c.get(path)
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if got.Status != "archived" || got.Version != 7 || got.Name != first.Name {
			t.Errorf("GET archived: %+v", got)
		}
		wantProblem(t, c.delete("/api/v1/creditors/"+uuid.Must(uuid.NewV7()).String()), http.StatusNotFound)
		wantProblem(t, c.delete("/api/v1/creditors/x"), http.StatusNotFound)

		if ids := listAll(t, c, "/api/v1/creditors?status=archived", 50, func(x creditor) string { return x.ID }); !slices.Equal(ids, []string{first.ID}) {
			t.Errorf("status=archived: %v", ids)
		}
		if ids := listAll(t, c, "/api/v1/creditors?status=active", 50, func(x creditor) string { return x.ID }); slices.Contains(ids, first.ID) || len(ids) == 0 {
			t.Errorf("status=active: %v", ids)
		}
	})

	t.Run("history", func(t *testing.T) {
		c := c.on(t)
		h := c.history(path)
		types := historyTypes(h)
		wantTypes := []string{"creditor.registered", "creditor.updated", "creditor.updated", "creditor.updated",
			"creditor.updated", "creditor.updated", "creditor.archived"}
		if !slices.Equal(types, wantTypes) {
			t.Fatalf("history %v, want %v", types, wantTypes)
		}
		for i, e := range h {
			if e.Version != int64(i+1) {
				t.Errorf("event %d has version %d", i, e.Version)
			}
			if i > 0 && e.OccurredAt.Before(h[i-1].OccurredAt) {
				t.Errorf("event %d occurred before event %d", i, i-1)
			}
			if e.Actor["ip"] != "127.0.0.1" || e.Actor["user_agent"] == nil {
				t.Errorf("event %d actor %v", i, e.Actor)
			}
			if !uuidPattern.MatchString(e.EventID) || !uuidPattern.MatchString(e.CommandID) {
				t.Errorf("event %d ids %q %q", i, e.EventID, e.CommandID)
			}
		}
		reg := h[0].Personal
		if reg["name"] != first.Name || reg["nif"] != first.NIF || reg["contact_name"] != "Karim Haddad" {
			t.Errorf("registered personal part %v", reg)
		}
		if strings.Contains(string(h[0].Data), first.NIF) {
			t.Errorf("NIF in clear in data: %s", h[0].Data)
		}
		if h[2].Personal["phone"] != "+213661112233" {
			t.Errorf("update personal part %v", h[2].Personal)
		}
		if !strings.Contains(string(h[6].Data), "contrat résilié") {
			t.Errorf("archive data %s", h[6].Data)
		}
		wantProblem(t, c.get("/api/v1/creditors/"+uuid.Must(uuid.NewV7()).String()+"/history"), http.StatusNotFound)
		wantProblem(t, c.get("/api/v1/creditors/nope/history"), http.StatusNotFound)
	})
}

// badListParams checks that every malformed list parameter is refused with
// 422 naming it.
func badListParams(t *testing.T, c *client, base string) {
	t.Helper()
	cases := []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=-1", "limit"},
		{"limit=abc", "limit"},
		{"limit=", "limit"},
		{"limit=1&limit=2", "limit"},
		{"wilaya=99", "wilaya"},
		{"wilaya=0", "wilaya"},
		{"wilaya=alger", "wilaya"},
		{"status=foo", "status"},
		{"status=ACTIVE", "status"},
		{"sort=name", "sort"},
		{"page=2", "page"},
		{"cursor=garbage", "cursor"},
		{"cursor=" + "bm90LWEtY3Vyc29y", "cursor"}, // base64 of "not-a-cursor"
		{"q=" + strings.Repeat("x", 101), "q"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			wantProblem(t, c.get(base+"?"+tc.query), http.StatusUnprocessableEntity, tc.field)
		})
	}
	// Several at once are all named.
	wantProblem(t, c.get(base+"?limit=0&wilaya=99&status=x"), http.StatusUnprocessableEntity, "limit", "wilaya", "status")
	// The largest page is allowed.
	want(t, c.get(base+"?limit=200"), http.StatusOK)
}
