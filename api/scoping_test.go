package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestTenantScoping: a creditor's account sees its own creditor record and
// the debtors it declared, a debtor's account its own debtor record, and
// nothing else. Another tenant's record answers exactly what a missing one
// does, so that no status, problem or header tells that it exists; and no
// body sets what only ADC staff may set.
func TestTenantScoping(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	visitor := newClient(t, app)
	staff := visitor.as(app.NewStaff(t, "admin"))

	crA := staff.createCreditor(with(validCreditor(), obj{"name": "Alpha Textiles", "commission_bps": 1500}))
	crB := staff.createCreditor(with(validCreditor(), obj{"name": "Beta Ciment"}))
	dX := staff.createDebtor(with(validDebtor(), obj{"full_name": "Xavier Boualem"}))
	dY := staff.createDebtor(with(validDebtor(), obj{"full_name": "Yasmine Chabane"}))
	uA := app.NewTenant(t, "creditor", crA.ID)
	uB := app.NewTenant(t, "creditor", crB.ID)
	a, b := visitor.as(uA), visitor.as(uB)
	x, y := visitor.as(app.NewTenant(t, "debtor", dX.ID)), visitor.as(app.NewTenant(t, "debtor", dY.ID))
	// Each creditor declares a debtor of its own.
	dA := a.createDebtor(with(validDebtor(), obj{"full_name": "Anis Hamdi"}))
	dB := b.createDebtor(with(validDebtor(), obj{"full_name": "Bilal Saadi"}))
	cmdA := staff.history("/api/v1/debtors/" + dA.ID)[0].CommandID
	cmdB := staff.history("/api/v1/debtors/" + dB.ID)[0].CommandID
	cmdX := staff.history("/api/v1/debtors/" + dX.ID)[0].CommandID
	keyA := scopeNewKey(t, a, "creditors:read", "debtors:read", "debtors:create")
	keyB := scopeNewKey(t, b, "debtors:read")
	// declaredByA are the debtors creditor A declared, itself or by key.
	declaredByA := []string{dA.ID}

	creditorIDs := func(c *client, query string) []string {
		return listAll(c.t, c, "/api/v1/creditors"+query, 50, func(v creditor) string { return v.ID })
	}
	debtorIDs := func(c *client, query string) []string {
		return listAll(c.t, c, "/api/v1/debtors"+query, 50, func(v debtor) string { return v.ID })
	}
	wantIDs := func(t *testing.T, what string, got []string, expected ...string) {
		t.Helper()
		slices.Sort(got)
		slices.Sort(expected)
		if !slices.Equal(got, expected) {
			t.Errorf("%s: %v, want %v", what, got, expected)
		}
	}

	t.Run("lists hold only the tenant's records", func(t *testing.T) {
		a, b, x, y := a.on(t), b.on(t), x.on(t), y.on(t)
		wantIDs(t, "creditor A's creditors", creditorIDs(a, ""), crA.ID)
		wantIDs(t, "creditor B's creditors", creditorIDs(b, ""), crB.ID)
		// Filters narrow the tenant's list; they never widen it.
		wantIDs(t, "creditor A searching for B", creditorIDs(a, "?q=beta"))
		wantIDs(t, "creditor A's active creditors", creditorIDs(a, "?status=active"), crA.ID)
		wantIDs(t, "creditor A's creditors of wilaya 6", creditorIDs(a, "?wilaya=6"), crA.ID)

		wantIDs(t, "creditor A's debtors", debtorIDs(a, ""), dA.ID)
		wantIDs(t, "creditor B's debtors", debtorIDs(b, ""), dB.ID)
		wantIDs(t, "creditor A searching for a staff-registered debtor", debtorIDs(a, "?q=xavier"))
		wantIDs(t, "creditor A searching for B's debtor", debtorIDs(a, "?q=bilal"))
		wantIDs(t, "debtor X's debtors", debtorIDs(x, ""), dX.ID)
		wantIDs(t, "debtor Y's debtors", debtorIDs(y, ""), dY.ID)
		wantIDs(t, "debtor X searching for Y", debtorIDs(x, "?q=yasmine"))
		wantIDs(t, "debtor X's archived debtors", debtorIDs(x, "?status=archived"))

		// Staff see everyone.
		all := debtorIDs(staff.on(t), "")
		for _, id := range []string{dA.ID, dB.ID, dX.ID, dY.ID} {
			if !slices.Contains(all, id) {
				t.Errorf("staff's debtors %v lack %s", all, id)
			}
		}
		// A debtor has no business with creditors at all.
		scopeWantSlug(t, x.get("/api/v1/creditors"), http.StatusForbidden, "forbidden")
		// API keys are listed for their own creditor only.
		var keys page[scopeKey]
		r := b.get("/api/v1/api-keys")
		want(t, r, http.StatusOK)
		r.decode(t, &keys)
		if len(keys.Items) != 1 || keys.Items[0].ID != keyB.ID || keys.Items[0].Token != "" {
			t.Errorf("creditor B's keys: %s", r.Body)
		}
	})

	t.Run("a creditor sees the debtors it declared", func(t *testing.T) {
		a, b := a.on(t), b.on(t)
		want(t, a.get("/api/v1/debtors/"+dA.ID), http.StatusOK)
		want(t, staff.on(t).get("/api/v1/debtors/"+dA.ID), http.StatusOK)
		scopeLikeMissing(t, b, http.MethodGet, "/api/v1/debtors/%s", nil, dA.ID, http.StatusNotFound)
		scopeLikeMissing(t, a, http.MethodGet, "/api/v1/debtors/%s", nil, dX.ID, http.StatusNotFound)
		// Its own record and commands, positively.
		want(t, a.get("/api/v1/creditors/"+crA.ID), http.StatusOK)
		if v := a.command(cmdA); v.Status != "accepted" || v.Href != "/api/v1/debtors/"+dA.ID {
			t.Errorf("creditor A's own command: %+v", v)
		}
		want(t, x.on(t).get("/api/v1/debtors/"+dX.ID), http.StatusOK)
	})

	t.Run("another tenant's id reads as a missing one", func(t *testing.T) {
		get, patch, del := http.MethodGet, http.MethodPatch, http.MethodDelete
		for _, tc := range []struct {
			name         string
			c            *client
			method, path string
			body         any
			other        string
			status       int
		}{
			{"creditor reads another creditor", a, get, "/api/v1/creditors/%s", nil, crB.ID, 404},
			{"creditor changes another creditor", a, patch, "/api/v1/creditors/%s", obj{"sector": "textile"}, crB.ID, 404},
			{"creditor sets a staff field of another creditor", a, patch, "/api/v1/creditors/%s", obj{"commission_bps": 0}, crB.ID, 403},
			{"creditor archives another creditor", a, del, "/api/v1/creditors/%s", nil, crB.ID, 403},
			{"creditor reads another creditor's history", a, get, "/api/v1/creditors/%s/history", nil, crB.ID, 403},
			{"creditor reads another creditor's debtor", a, get, "/api/v1/debtors/%s", nil, dB.ID, 404},
			{"creditor reads a debtor staff registered", a, get, "/api/v1/debtors/%s", nil, dX.ID, 404},
			{"creditor changes another creditor's debtor", a, patch, "/api/v1/debtors/%s", obj{"language": "en"}, dB.ID, 403},
			{"creditor archives another creditor's debtor", a, del, "/api/v1/debtors/%s", nil, dB.ID, 403},
			{"creditor reads a debtor's history", a, get, "/api/v1/debtors/%s/history", nil, dB.ID, 403},
			{"debtor reads another debtor", x, get, "/api/v1/debtors/%s", nil, dY.ID, 404},
			{"debtor reads a creditor's debtor", x, get, "/api/v1/debtors/%s", nil, dA.ID, 404},
			{"debtor changes another debtor", x, patch, "/api/v1/debtors/%s", obj{"language": "en"}, dY.ID, 403},
			{"debtor reads a creditor", x, get, "/api/v1/creditors/%s", nil, crA.ID, 403},
			{"creditor reads another creditor's command", a, get, "/api/v1/commands/%s", nil, cmdB, 200},
			{"creditor reads a staff member's command", a, get, "/api/v1/commands/%s", nil, cmdX, 200},
			{"debtor reads a creditor's command", x, get, "/api/v1/commands/%s", nil, cmdA, 200},
			{"creditor revokes another creditor's key", b, del, "/api/v1/api-keys/%s", nil, keyA.ID, 404},
			{"debtor revokes a key", x, del, "/api/v1/api-keys/%s", nil, keyA.ID, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := scopeLikeMissing(t, tc.c.on(t), tc.method, tc.path, tc.body, tc.other, tc.status)
				if tc.status == http.StatusOK { // a command: unknown reads as pending
					var v map[string]any
					r.decode(t, &v)
					if !maps.Equal(v, map[string]any{"command_id": tc.other, "status": "pending"}) {
						t.Errorf("another's command shows %s", r.Body)
					}
				}
			})
		}
		// Nothing happened to the records named.
		var cb creditor
		r := staff.on(t).get("/api/v1/creditors/" + crB.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &cb)
		if cb.Version != 1 || cb.Sector != crB.Sector || cb.CommissionBPS != crB.CommissionBPS {
			t.Errorf("creditor B changed: %+v", cb)
		}
		for _, id := range []string{dB.ID, dY.ID} {
			var d debtor
			r := staff.on(t).get("/api/v1/debtors/" + id)
			want(t, r, http.StatusOK)
			r.decode(t, &d)
			if d.Version != 1 || d.Status != "active" {
				t.Errorf("debtor %s changed: %+v", id, d)
			}
		}
		// The key B tried to revoke still works, for A.
		var keys page[scopeKey]
		r = a.on(t).get("/api/v1/api-keys")
		want(t, r, http.StatusOK)
		r.decode(t, &keys)
		if len(keys.Items) != 1 || keys.Items[0].ID != keyA.ID || keys.Items[0].RevokedAt != nil {
			t.Errorf("creditor A's keys after B's attempt: %s", r.Body)
		}
		want(t, visitor.on(t).as(&apptest.User{Token: keyA.Token}).get("/api/v1/creditors/"+crA.ID), http.StatusOK)
	})

	t.Run("an API key acts within its creditor's scope", func(t *testing.T) {
		k := visitor.on(t).as(&apptest.User{Token: keyA.Token})
		wantIDs(t, "key A's creditors", creditorIDs(k, ""), crA.ID)
		scopeLikeMissing(t, k, http.MethodGet, "/api/v1/creditors/%s", nil, crB.ID, http.StatusNotFound)
		scopeLikeMissing(t, k, http.MethodGet, "/api/v1/debtors/%s", nil, dB.ID, http.StatusNotFound)
		// A debtor declared through the key is creditor A's.
		dK := k.createDebtor(with(validDebtor(), obj{"full_name": "Karim Mansouri"}))
		declaredByA = append(declaredByA, dK.ID)
		wantIDs(t, "creditor A's debtors", debtorIDs(a.on(t), ""), declaredByA...)
		wantIDs(t, "creditor B's debtors", debtorIDs(b.on(t), ""), dB.ID)
		// Outside its scopes the key is refused, even where the creditor
		// role is not.
		kb := visitor.on(t).as(&apptest.User{Token: keyB.Token})
		scopeWantSlug(t, kb.get("/api/v1/creditors/"+crB.ID), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, kb.post("/api/v1/debtors", validDebtor()), http.StatusForbidden, "forbidden")
	})

	t.Run("a creditor cannot set what ADC sets", func(t *testing.T) {
		a := a.on(t)
		before := scopeCreditor(t, staff.on(t), crA.ID)
		for _, tc := range []struct {
			body   string
			fields []string
		}{
			{`{"commission_bps": 0}`, []string{"commission_bps"}},
			{`{"commission_bps": null}`, []string{"commission_bps"}},
			{`{"nif": "` + uniqueNIF() + `"}`, []string{"nif"}},
			{`{"name": "Alpha Textiles Holding"}`, []string{"name"}},
			{`{"legal_form": "SPA", "rc": "16/00-1234567 B 20"}`, []string{"legal_form", "rc"}},
			// Allowed and forbidden fields together: nothing is applied.
			{`{"contact_name": "Nadia Ferhat", "commission_bps": 0}`, []string{"commission_bps"}},
			// encoding/json matches keys case-insensitively (folding ſ to
			// s) and reads escapes: every spelling that would set the field
			// is refused.
			{`{"Commission_BPS": 0}`, []string{"commission_bps"}},
			{`{"NIF": "` + uniqueNIF() + `"}`, []string{"nif"}},
			{`{"commiſſion_bps": 0}`, []string{"commission_bps"}},
			{`{"commission\u005fbps": 0}`, []string{"commission_bps"}},
			{`{"sector": "textile", "Name": "X", "nAmE": "Y"}`, []string{"name"}},
		} {
			p := wantProblem(t, a.patch("/api/v1/creditors/"+crA.ID, tc.body), http.StatusForbidden, tc.fields...)
			if !strings.HasSuffix(p.Type, "/field-forbidden") {
				t.Errorf("%s: type %q, want field-forbidden", tc.body, p.Type)
			}
			if len(p.Errors) != len(tc.fields) {
				t.Errorf("%s: errors %v, want %v", tc.body, p.fields(), tc.fields)
			}
		}
		// Fields the creditor does not have at all are unknown, not applied.
		for _, f := range []string{"status", "role", "id", "version", "ref", "erased", "creditor_id", "created_at"} {
			wantProblem(t, a.patch("/api/v1/creditors/"+crA.ID, obj{f: "x"}), http.StatusUnprocessableEntity, f)
		}
		after := scopeCreditor(t, staff.on(t), crA.ID)
		if !reflect.DeepEqual(after, before) {
			t.Errorf("creditor A changed by refused patches:\n%+v\nwas\n%+v", after, before)
		}
		// What the creditor may change, it changes; the rest stays.
		r := a.patch("/api/v1/creditors/"+crA.ID, obj{"contact_name": "Nadia Ferhat", "sector": "textile"})
		want(t, r, http.StatusOK)
		var got creditor
		r.decode(t, &got)
		if got.ContactName != "Nadia Ferhat" || got.Sector != "textile" || got.CommissionBPS != 1500 ||
			got.NIF != before.NIF || got.Name != before.Name || got.Version != before.Version+1 {
			t.Errorf("after the creditor's own patch: %+v", got)
		}
	})

	t.Run("a debtor changes nothing", func(t *testing.T) {
		x := x.on(t)
		scopeWantSlug(t, x.patch("/api/v1/debtors/"+dX.ID, obj{"language": "en"}), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.patch("/api/v1/debtors/"+dX.ID, obj{"status": "archived"}), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.delete("/api/v1/debtors/"+dX.ID), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/debtors", validDebtor()), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.patch("/api/v1/creditors/"+crA.ID, obj{"sector": "textile"}), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/api-keys", obj{"name": "mine", "scopes": []string{"debtors:read"}}), http.StatusForbidden, "forbidden")
		var d debtor
		r := staff.on(t).get("/api/v1/debtors/" + dX.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &d)
		if d.Version != 1 || d.Language != dX.Language || d.Status != "active" {
			t.Errorf("debtor X changed: %+v", d)
		}
	})

	t.Run("a creditor manages no accounts", func(t *testing.T) {
		a := a.on(t)
		email := fmt.Sprintf("intrus-%d@adc.test", next())
		scopeWantSlug(t, a.post("/api/v1/users", obj{"email": email, "full_name": "Intrus Malin", "role": "admin",
			"password": apptest.Password}), http.StatusForbidden, "forbidden")
		for _, id := range []string{uA.ID, uB.ID} {
			scopeWantSlug(t, a.do(http.MethodPut, "/api/v1/users/"+id+"/role", obj{"role": "admin"}), http.StatusForbidden, "forbidden")
		}
		scopeWantSlug(t, a.post("/api/v1/registrations/"+uA.ID+"/approval", obj{"creditor_id": crB.ID}), http.StatusForbidden, "forbidden")
		var me struct {
			Role       string `json:"role"`
			CreditorID string `json:"creditor_id"`
		}
		r := a.get("/api/v1/me")
		want(t, r, http.StatusOK)
		r.decode(t, &me)
		if me.Role != "creditor" || me.CreditorID != crA.ID {
			t.Errorf("creditor A is now %+v", me)
		}
		var users page[struct {
			Email string `json:"email"`
		}]
		r = staff.on(t).get("/api/v1/users?limit=200")
		want(t, r, http.StatusOK)
		r.decode(t, &users)
		for _, u := range users.Items {
			if u.Email == email {
				t.Errorf("the creditor created account %s", email)
			}
		}
	})

	t.Run("unknown fields are refused, never applied", func(t *testing.T) {
		a, b := a.on(t), b.on(t)
		for _, extra := range []obj{{"status": "archived"}, {"creditor_id": crB.ID}, {"role": "admin"}, {"id": uuid.NewString()}} {
			var field string
			for f := range extra {
				field = f
			}
			wantProblem(t, a.post("/api/v1/debtors", with(validDebtor(), extra)), http.StatusUnprocessableEntity, field)
			wantProblem(t, a.post("/api/v1/api-keys", with(obj{"name": "erp", "scopes": []string{"debtors:read"}}, extra)),
				http.StatusUnprocessableEntity, field)
		}
		wantProblem(t, a.post("/api/v1/api-keys", obj{"name": "erp", "scopes": []string{"users:manage"}}), http.StatusUnprocessableEntity, "scopes[0]")
		wantProblem(t, a.post("/api/v1/api-keys", obj{"name": "erp", "scopes": []string{"api-keys:manage"}}), http.StatusUnprocessableEntity, "scopes[0]")
		wantIDs(t, "creditor A's debtors", debtorIDs(a, ""), declaredByA...)
		wantIDs(t, "creditor B's debtors", debtorIDs(b, ""), dB.ID)
		var keys page[scopeKey]
		r := b.get("/api/v1/api-keys")
		want(t, r, http.StatusOK)
		r.decode(t, &keys)
		if len(keys.Items) != 1 {
			t.Errorf("creditor B's keys: %s", r.Body)
		}

		// A visitor registering names no role, status or record.
		for _, extra := range []obj{{"role": "admin"}, {"status": "active"}, {"creditor_id": crA.ID}, {"mfa_enrolled": true}} {
			var field string
			for f := range extra {
				field = f
			}
			wantProblem(t, visitor.on(t).post("/api/v1/registrations", with(scopeRegistration(), extra)), http.StatusUnprocessableEntity, field)
		}
		// Nor does an admin: a staff account links to no record and is
		// created active, and an approval sets no role.
		st := staff.on(t)
		for _, extra := range []obj{{"creditor_id": crA.ID}, {"status": "disabled"}, {"mfa_enrolled": true}} {
			var field string
			for f := range extra {
				field = f
			}
			wantProblem(t, st.post("/api/v1/users", with(obj{"email": fmt.Sprintf("staff-%d@adc.test", next()),
				"full_name": "Lina Rahmani", "role": "agent", "password": apptest.Password}, extra)), http.StatusUnprocessableEntity, field)
		}
		reg := scopeRegistration()
		want(t, visitor.on(t).post("/api/v1/registrations", reg), http.StatusAccepted)
		var regs page[struct {
			ID     string `json:"id"`
			Email  string `json:"email"`
			Status string `json:"status"`
			Role   string `json:"role"`
		}]
		var regID string
		eventually(t, 20*time.Second, "the registration listed", func() bool {
			r := st.get("/api/v1/registrations?status=pending&limit=200")
			want(t, r, http.StatusOK)
			r.decode(t, &regs)
			for _, it := range regs.Items {
				if it.Email == reg["email"] {
					regID = it.ID
				}
			}
			return regID != ""
		})
		wantProblem(t, st.post("/api/v1/registrations/"+regID+"/approval", obj{"creditor_id": crA.ID, "role": "admin"}),
			http.StatusUnprocessableEntity, "role")
		r = st.post("/api/v1/registrations/"+regID+"/approval", obj{"creditor_id": crA.ID})
		want(t, r, http.StatusOK)
		var approved struct {
			Status     string `json:"status"`
			Role       string `json:"role"`
			CreditorID string `json:"creditor_id"`
		}
		r.decode(t, &approved)
		if approved.Status != "active" || approved.Role != "creditor" || approved.CreditorID != crA.ID {
			t.Errorf("approved registration: %s", r.Body)
		}
	})

	// Case files last: a debt links its debtor to its creditor, which then
	// sees that debtor, and the subtests above count the debtors A sees.
	t.Run("case files and payments are the tenant's own", func(t *testing.T) {
		st := staff.on(t)
		a, b, x, y := a.on(t), b.on(t), x.on(t), y.on(t)
		debtA := st.openDebt(validDebt(crA.ID, dA.ID))
		debtB := st.openDebt(validDebt(crB.ID, dB.ID))
		debtX := st.openDebt(validDebt(crA.ID, dX.ID)) // creditor A's debt, owed by debtor X
		debtY := st.openDebt(validDebt(crB.ID, dY.ID))
		pay := func(d debt) payment {
			return st.pay(d.ID, obj{"amount": 10_000, "value_date": "2025-06-01", "method": "cash"})
		}
		payA, payB, payX, payY := pay(debtA), pay(debtB), pay(debtX), pay(debtY)
		propB := st.propose(debtB.ID, obj{"action": "settlement", "discount": 1_000, "reason": "remise"})
		debtIDsOf := func(c *client, query string) []string { return debtIDs(c.t, c, "/api/v1/debts"+query, 50) }

		wantIDs(t, "creditor A's debts", debtIDsOf(a, ""), debtA.ID, debtX.ID)
		wantIDs(t, "creditor B's debts", debtIDsOf(b, ""), debtB.ID, debtY.ID)
		wantIDs(t, "debtor X's debts", debtIDsOf(x, ""), debtX.ID)
		wantIDs(t, "debtor Y's debts", debtIDsOf(y, ""), debtY.ID)
		// Filters narrow the tenant's list; they never widen it.
		wantIDs(t, "creditor A asking for B's debts", debtIDsOf(a, "?creditor_id="+crB.ID))
		wantIDs(t, "creditor A asking for debtor B's debts", debtIDsOf(a, "?debtor_id="+dB.ID))
		wantIDs(t, "creditor A searching for B's debtor", debtIDsOf(a, "?q=bilal"))
		wantIDs(t, "creditor A's debts owed by X", debtIDsOf(a, "?debtor_id="+dX.ID), debtX.ID)
		wantIDs(t, "debtor X asking for Y's debts", debtIDsOf(x, "?debtor_id="+dY.ID))
		wantIDs(t, "debtor X asking for creditor B's debts", debtIDsOf(x, "?creditor_id="+crB.ID))
		wantIDs(t, "debtor X by balance", debtIDs(t, x, "/api/v1/debts?sort=balance", 1), debtX.ID)
		wantIDs(t, "creditor A's own creditor list", debtIDs(t, a, "/api/v1/creditors/"+crA.ID+"/debts", 1), debtA.ID, debtX.ID)
		wantIDs(t, "creditor A's debts of its own debtor", debtIDs(t, a, "/api/v1/debtors/"+dA.ID+"/debts", 50), debtA.ID)
		// A debt links its debtor to its creditor: A now sees X, but only
		// A's own debts of X.
		want(t, a.get("/api/v1/debtors/"+dX.ID), http.StatusOK)
		wantIDs(t, "creditor A's debts of debtor X", debtIDs(t, a, "/api/v1/debtors/"+dX.ID+"/debts", 50), debtX.ID)
		for _, c := range []*client{a, x} {
			r := c.get("/api/v1/debts?format=csv")
			want(t, r, http.StatusOK)
			for _, other := range []debt{debtB, debtY} {
				if strings.Contains(string(r.Body), other.Ref) {
					t.Errorf("%s's CSV export holds another tenant's debt %s", c.user.Role, other.Ref)
				}
			}
		}
		// Their own, positively.
		for _, tc := range []struct {
			c      *client
			debt   debt
			paymnt payment
		}{{a, debtA, payA}, {a, debtX, payX}, {x, debtX, payX}, {y, debtY, payY}, {b, debtB, payB}} {
			want(t, tc.c.get("/api/v1/debts/"+tc.debt.ID), http.StatusOK)
			want(t, tc.c.get("/api/v1/payments/"+tc.paymnt.ID), http.StatusOK)
			if got := tc.c.payments(tc.debt.ID); len(got) != 1 || got[0].ID != tc.paymnt.ID {
				t.Errorf("%s's payments of its debt: %+v", tc.c.user.Role, got)
			}
		}

		get, post, patch := http.MethodGet, http.MethodPost, http.MethodPatch
		for _, tc := range []struct {
			name         string
			c            *client
			method, path string
			body         any
			other        string
			status       int
		}{
			{"creditor reads another creditor's debt", a, get, "/api/v1/debts/%s", nil, debtB.ID, 404},
			{"creditor reads another creditor's payments", a, get, "/api/v1/debts/%s/payments", nil, debtB.ID, 404},
			{"creditor reads another creditor's payment", a, get, "/api/v1/payments/%s", nil, payB.ID, 404},
			{"creditor lists another creditor's debts", a, get, "/api/v1/creditors/%s/debts", nil, crB.ID, 404},
			{"creditor lists the debts of another creditor's debtor", a, get, "/api/v1/debtors/%s/debts", nil, dB.ID, 404},
			{"creditor reads a proposal", a, get, "/api/v1/approvals/%s", nil, propB.ID, 403},
			{"creditor decides a proposal", a, post, "/api/v1/approvals/%s", obj{"approve": true}, propB.ID, 403},
			{"creditor reads a debt's history", a, get, "/api/v1/debts/%s/history", nil, debtB.ID, 403},
			{"creditor moves another creditor's debt", a, post, "/api/v1/debts/%s/transitions", obj{"to": "amicable"}, debtB.ID, 403},
			{"creditor assigns another creditor's debt", a, patch, "/api/v1/debts/%s", obj{"agent_id": uA.ID}, debtB.ID, 403},
			{"creditor pays another creditor's debt", a, post, "/api/v1/debts/%s/payments",
				obj{"amount": 100, "value_date": "2025-06-01", "method": "cash"}, debtB.ID, 403},
			{"creditor reverses another creditor's payment", a, post, "/api/v1/payments/%s/reversal", obj{"reason": "x"}, payB.ID, 403},
			{"debtor reads another debtor's debt", x, get, "/api/v1/debts/%s", nil, debtY.ID, 404},
			{"debtor reads its creditor's other debt", x, get, "/api/v1/debts/%s", nil, debtA.ID, 404},
			{"debtor reads another debtor's payments", x, get, "/api/v1/debts/%s/payments", nil, debtY.ID, 404},
			{"debtor reads another debtor's payment", x, get, "/api/v1/payments/%s", nil, payY.ID, 404},
			{"debtor lists another debtor's debts", x, get, "/api/v1/debtors/%s/debts", nil, dY.ID, 404},
			{"debtor lists a creditor's debts", x, get, "/api/v1/creditors/%s/debts", nil, crA.ID, 404},
			{"debtor pays another debtor's debt", x, post, "/api/v1/debts/%s/payments",
				obj{"amount": 100, "value_date": "2025-06-01", "method": "cash"}, debtY.ID, 403},
			{"debtor moves another debtor's debt", x, post, "/api/v1/debts/%s/transitions", obj{"to": "amicable"}, debtY.ID, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				scopeLikeMissing(t, tc.c.on(t), tc.method, tc.path, tc.body, tc.other, tc.status)
			})
		}

		// A debtor writes nothing, not even on its own debt.
		scopeWantSlug(t, x.post("/api/v1/debts", validDebt(crA.ID, dX.ID)), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/debts/"+debtX.ID+"/payments", obj{"amount": 100, "value_date": "2025-06-01", "method": "cash"}),
			http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/payments/"+payX.ID+"/reversal", obj{"reason": "x"}), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/debts/"+debtX.ID+"/transitions", obj{"to": "amicable"}), http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.post("/api/v1/debts/"+debtX.ID+"/proposals", obj{"action": "write_off", "reason": "x"}),
			http.StatusForbidden, "forbidden")
		scopeWantSlug(t, x.get("/api/v1/approvals"), http.StatusForbidden, "forbidden")
		// A creditor opens debts for itself only.
		scopeWantSlug(t, a.post("/api/v1/debts", validDebt(crB.ID, dA.ID)), http.StatusForbidden, "field-forbidden")
		wantProblem(t, a.post("/api/v1/debts", validDebt(crA.ID, dB.ID)), http.StatusUnprocessableEntity, "debtor_id")
		// Nothing happened to the records named.
		for _, d := range []debt{debtB, debtY} {
			if got := st.getDebt(d.ID); got.Status != "open" || got.Paid != 10_000 || got.AgentID != "" || got.Discount != 0 {
				t.Errorf("debt %s changed: %+v", d.ID, got)
			}
		}
		for _, p := range []payment{payB, payY, payX} {
			r := st.get("/api/v1/payments/" + p.ID)
			want(t, r, http.StatusOK)
			var got payment
			r.decode(t, &got)
			if got.Reversed {
				t.Errorf("payment %s was reversed", p.ID)
			}
		}
		r := st.get("/api/v1/approvals/" + propB.ID)
		want(t, r, http.StatusOK)
		var pr proposal
		r.decode(t, &pr)
		if pr.Status != "pending" {
			t.Errorf("proposal %s was decided: %+v", propB.ID, pr)
		}

		// An API key with the debt scopes works within its creditor.
		k := visitor.on(t).as(&apptest.User{Token: scopeNewKey(t, a, "debts:read", "debts:write", "payments:read").Token})
		wantIDs(t, "key A's debts", debtIDsOf(k, ""), debtA.ID, debtX.ID)
		scopeLikeMissing(t, k, http.MethodGet, "/api/v1/debts/%s", nil, debtB.ID, http.StatusNotFound)
		scopeLikeMissing(t, k, http.MethodGet, "/api/v1/payments/%s", nil, payB.ID, http.StatusNotFound)
		body := validDebt("", dA.ID)
		delete(body, "creditor_id")
		if d := k.openDebt(body); d.CreditorID != crA.ID {
			t.Errorf("the key opened a debt of %s", d.CreditorID)
		}
		scopeWantSlug(t, k.post("/api/v1/debts", validDebt(crB.ID, dA.ID)), http.StatusForbidden, "field-forbidden")
		wantIDs(t, "creditor B's debts after A's key", debtIDsOf(b, ""), debtB.ID, debtY.ID)
	})
}

// scopeKey is an API key as listed or created.
type scopeKey struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Token     string   `json:"token"`
	RevokedAt *string  `json:"revoked_at"`
}

// scopeNewKey creates an API key of the client's creditor.
func scopeNewKey(t *testing.T, c *client, scopes ...string) scopeKey {
	t.Helper()
	r := c.post("/api/v1/api-keys", obj{"name": "erp", "scopes": scopes})
	want(t, r, http.StatusCreated)
	var k scopeKey
	r.decode(t, &k)
	if k.ID == "" || !strings.HasPrefix(k.Token, "tk_") {
		t.Fatalf("new key: %s", r.Body)
	}
	return k
}

// scopeCreditor reads a creditor.
func scopeCreditor(t *testing.T, c *client, id string) creditor {
	t.Helper()
	r := c.get("/api/v1/creditors/" + id)
	want(t, r, http.StatusOK)
	var out creditor
	r.decode(t, &out)
	return out
}

// scopeRegistration is a valid creditor registration with a unique e-mail.
func scopeRegistration() obj {
	return obj{"kind": "creditor", "email": fmt.Sprintf("scope-%d@client.test", next()), "full_name": "Samir Kaci",
		"phone": uniqueMobile(), "nif": uniqueNIF(), "password": apptest.Password}
}

// scopeWantSlug checks a problem's status and type slug.
func scopeWantSlug(t testing.TB, r response, status int, slug string) {
	t.Helper()
	p := wantProblem(t, r, status)
	if !strings.HasSuffix(p.Type, "/"+slug) {
		t.Errorf("type %q, want .../%s: %s", p.Type, slug, r.Body)
	}
}

// volatileHeaders differ between any two answers.
var volatileHeaders = []string{"Date", "X-Request-Id", "Content-Length"}

// scopeLikeMissing sends the same request for another tenant's id and for
// an id nobody has, and checks the answers are the same but for the id:
// status, headers present, media type and body. It returns the answer for
// the other tenant's id.
func scopeLikeMissing(t *testing.T, c *client, method, pathFmt string, body any, other string, status int) response {
	t.Helper()
	missing := uuid.Must(uuid.NewV7()).String()
	got := c.do(method, fmt.Sprintf(pathFmt, other), body)
	ref := c.do(method, fmt.Sprintf(pathFmt, missing), body)
	what := method + " " + fmt.Sprintf(pathFmt, "{id}")
	if got.Status != status || ref.Status != status {
		t.Errorf("%s: another tenant's id %d, a missing id %d, want %d both: %s / %s", what, got.Status, ref.Status, status,
			got.Body, ref.Body)
		return got
	}
	names := func(h http.Header) []string {
		var out []string
		for k := range h {
			if !slices.Contains(volatileHeaders, k) {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if g, r := names(got.Header), names(ref.Header); !slices.Equal(g, r) {
		t.Errorf("%s: headers %v for another tenant's id, %v for a missing one", what, g, r)
	}
	if g, r := got.Header.Get("Content-Type"), ref.Header.Get("Content-Type"); g != r {
		t.Errorf("%s: Content-Type %q vs %q", what, g, r)
	}
	var g, r any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(got.Body), other, "{id}")), &g); err != nil {
		t.Fatalf("%s: %v: %s", what, err, got.Body)
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(ref.Body), missing, "{id}")), &r); err != nil {
		t.Fatalf("%s: %v: %s", what, err, ref.Body)
	}
	if !reflect.DeepEqual(g, r) {
		t.Errorf("%s: another tenant's id answers\n%s\na missing one\n%s", what, got.Body, ref.Body)
	}
	return got
}
