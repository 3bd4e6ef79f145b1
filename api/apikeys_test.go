package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// apiKeyRow is an API key as listed (and, once, as created: with token).
type apiKeyRow struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	LastUsedIP string     `json:"last_used_ip"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Token      string     `json:"token"`
}

// newKey creates an API key as c and returns it, token included.
func newKey(t testing.TB, c *client, body obj) apiKeyRow {
	t.Helper()
	r := c.post("/api/v1/api-keys", body)
	want(t, r, http.StatusCreated)
	var k apiKeyRow
	r.decode(t, &k)
	if got := r.Header.Get("Location"); got != "/api/v1/api-keys/"+k.ID {
		t.Errorf("Location %q", got)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	return k
}

var fullKeyToken = regexp.MustCompile(`tk_[A-Za-z0-9_-]{12,}`)

// keys lists c's API keys (or, for an admin, those named by the query),
// checking no token is shown.
func keys(t testing.TB, c *client, query ...string) []apiKeyRow {
	t.Helper()
	path := "/api/v1/api-keys"
	if len(query) > 0 {
		path += "?" + query[0]
	}
	r := c.get(path)
	want(t, r, http.StatusOK)
	// The prefix (tk_ and 7 characters) names a key; the token is 46.
	if bytes.Contains(r.Body, []byte(`"token"`)) || fullKeyToken.Match(r.Body) {
		t.Errorf("the list shows a token: %s", r.Body)
	}
	var p page[apiKeyRow]
	r.decode(t, &p)
	return p.Items
}

func keyByID(ks []apiKeyRow, id string) (apiKeyRow, bool) {
	i := slices.IndexFunc(ks, func(k apiKeyRow) bool { return k.ID == id })
	if i < 0 {
		return apiKeyRow{}, false
	}
	return ks[i], true
}

// TestAPIKeys: a signed-in creditor issues scoped keys for its
// integrations; a key works within its scopes and its creditor, until it
// is revoked or expires, and manages nothing.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	admin := a.as(t, a.admin)
	own := admin.createCreditor(validCreditor())
	other := admin.createCreditor(validCreditor())
	cu := a.NewTenant(t, "creditor", own.ID)
	otherU := a.NewTenant(t, "creditor", other.ID)

	var key apiKeyRow

	t.Run("create, shown once", func(t *testing.T) {
		c := a.as(t, cu)
		now := a.clock.Now()
		key = newKey(t, c, obj{"name": "  ERP export ", "scopes": []string{"creditors:read", "creditors:read"}})
		if !strings.HasPrefix(key.Token, "tk_") || len(key.Token) < 40 || key.Prefix != key.Token[:10] {
			t.Errorf("token %q, prefix %q", key.Token, key.Prefix)
		}
		if key.Name != "ERP export" || !slices.Equal(key.Scopes, []string{"creditors:read"}) || key.CreatedBy != cu.ID ||
			!key.CreatedAt.Equal(now) || key.ExpiresAt != nil || key.LastUsedAt != nil || key.RevokedAt != nil {
			t.Errorf("created %+v", key)
		}
		ks := keys(t, c)
		got, ok := keyByID(ks, key.ID)
		if !ok || got.Prefix != key.Prefix || got.Name != key.Name || got.Token != "" {
			t.Errorf("listed %+v", ks)
		}
		// Another creditor sees none of them.
		if ks := keys(t, a.as(t, otherU)); len(ks) != 0 {
			t.Errorf("another creditor lists %d keys", len(ks))
		}
	})

	t.Run("works within its scopes and its creditor", func(t *testing.T) {
		k := a.bearer(t, key.Token)
		r := k.get("/api/v1/creditors/" + own.ID)
		want(t, r, http.StatusOK)
		var got creditor
		r.decode(t, &got)
		if got.ID != own.ID {
			t.Errorf("read %s", got.ID)
		}
		r = k.get("/api/v1/creditors")
		want(t, r, http.StatusOK)
		var list page[creditor]
		r.decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != own.ID {
			t.Errorf("the key lists %d creditors", len(list.Items))
		}
		wantSlug(t, k.get("/api/v1/creditors/"+other.ID), http.StatusNotFound, "not-found")
		// The creditor role may read debtors and update its record; this
		// key may not.
		p := wantSlug(t, k.get("/api/v1/debtors"), http.StatusForbidden, "forbidden")
		if !strings.Contains(p.Detail, "debtors:read") {
			t.Errorf("detail %q does not name the missing scope", p.Detail)
		}
		wantSlug(t, k.patch("/api/v1/creditors/"+own.ID, obj{"contact_name": "Bot"}), http.StatusForbidden, "forbidden")
		// No role grants a key more than its creditor has.
		wantSlug(t, k.post("/api/v1/creditors", validCreditor()), http.StatusForbidden, "forbidden")
		wantSlug(t, k.get("/api/v1/audit"), http.StatusForbidden, "forbidden")
		// A key is not a session: it has no self, and mints no keys.
		wantSlug(t, k.get("/api/v1/me"), http.StatusForbidden, "forbidden")
		wantSlug(t, k.post("/api/v1/auth/logout", nil), http.StatusForbidden, "forbidden")
		wantSlug(t, k.post("/api/v1/api-keys", obj{"name": "child", "scopes": []string{"creditors:read"}}), http.StatusForbidden, "forbidden")
		wantSlug(t, k.get("/api/v1/api-keys"), http.StatusForbidden, "forbidden")
		wantSlug(t, k.delete("/api/v1/api-keys/"+key.ID), http.StatusForbidden, "forbidden")

		// A key with debtors:read reads the debtors of its creditor only.
		mine := a.as(t, cu).createDebtor(validDebtor())
		theirs := a.as(t, otherU).createDebtor(validDebtor())
		dk := a.bearer(t, newKey(t, a.as(t, cu), obj{"name": "CRM", "scopes": []string{"debtors:read"}}).Token)
		want(t, dk.get("/api/v1/debtors/"+mine.ID), http.StatusOK)
		wantSlug(t, dk.get("/api/v1/debtors/"+theirs.ID), http.StatusNotFound, "not-found")
		wantSlug(t, dk.get("/api/v1/creditors/"+own.ID), http.StatusForbidden, "forbidden")
	})

	t.Run("last use is shown", func(t *testing.T) {
		used := a.clock.Add(time.Minute)
		want(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
		got, ok := keyByID(keys(t, a.as(t, cu)), key.ID)
		if !ok || got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) || got.LastUsedIP != "127.0.0.1" {
			t.Errorf("after use: %+v", got)
		}
		// A key that has never been used says so by omission.
		fresh := newKey(t, a.as(t, cu), obj{"name": "unused", "scopes": []string{"debts:read"}})
		if got, _ := keyByID(keys(t, a.as(t, cu)), fresh.ID); got.LastUsedAt != nil {
			t.Errorf("unused key %+v", got)
		}
	})

	t.Run("refused creations", func(t *testing.T) {
		c := a.as(t, cu)
		for name, tc := range map[string]struct {
			body  obj
			field string
		}{
			"unknown scope":      {obj{"name": "x", "scopes": []string{"creditors:read", "everything"}}, "scopes[1]"},
			"scope beyond keys":  {obj{"name": "x", "scopes": []string{"api-keys:manage"}}, "scopes[0]"},
			"self":               {obj{"name": "x", "scopes": []string{"self"}}, "scopes[0]"},
			"staff scope":        {obj{"name": "x", "scopes": []string{"users:manage"}}, "scopes[0]"},
			"scope, wrong case":  {obj{"name": "x", "scopes": []string{"Creditors:Read"}}, "scopes[0]"},
			"no scopes":          {obj{"name": "x", "scopes": []string{}}, "scopes"},
			"no name":            {obj{"name": "  ", "scopes": []string{"creditors:read"}}, "name"},
			"long name":          {obj{"name": strings.Repeat("n", 101), "scopes": []string{"creditors:read"}}, "name"},
			"expired already":    {obj{"name": "x", "scopes": []string{"creditors:read"}, "expires_at": a.clock.Now().Add(-time.Second)}, "expires_at"},
			"expires right now":  {obj{"name": "x", "scopes": []string{"creditors:read"}, "expires_at": a.clock.Now()}, "expires_at"},
			"unknown field":      {obj{"name": "x", "scopes": []string{"creditors:read"}, "creditor_id": other.ID}, "creditor_id"},
			"scopes not a list":  {obj{"name": "x", "scopes": "creditors:read"}, "scopes"},
			"nothing at all":     {obj{"comment": "x"}, "comment"},
			"name only, no list": {obj{"name": "x"}, "scopes"},
		} {
			r := c.post("/api/v1/api-keys", tc.body)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %s", name, r)
				continue
			}
			wantProblem(t, r, http.StatusUnprocessableEntity, tc.field)
		}
		// Staff and debtors hold no keys: an admin may manage keys but
		// has no creditor, an agent may not at all.
		wantSlug(t, a.as(t, a.admin).post("/api/v1/api-keys", obj{"name": "x", "scopes": []string{"creditors:read"}}),
			http.StatusForbidden, "creditor-only")
		agent := a.NewStaff(t, "agent")
		wantSlug(t, a.as(t, agent).post("/api/v1/api-keys", obj{"name": "x", "scopes": []string{"creditors:read"}}),
			http.StatusForbidden, "forbidden")
		d := a.as(t, a.admin).createDebtor(validDebtor())
		du := a.NewTenant(t, "debtor", d.ID)
		wantSlug(t, a.as(t, du).post("/api/v1/api-keys", obj{"name": "x", "scopes": []string{"debtors:read"}}),
			http.StatusForbidden, "forbidden")
		wantUnauthenticated(t, a.anon(t).post("/api/v1/api-keys", obj{"name": "x", "scopes": []string{"creditors:read"}}))
	})

	t.Run("revoke", func(t *testing.T) {
		c := a.as(t, cu)
		k := newKey(t, c, obj{"name": "to revoke", "scopes": []string{"creditors:read"}})
		want(t, a.bearer(t, k.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
		// Another creditor cannot see or revoke it.
		wantSlug(t, a.as(t, otherU).delete("/api/v1/api-keys/"+k.ID), http.StatusNotFound, "not-found")
		want(t, a.bearer(t, k.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)

		now := a.clock.Now()
		r := c.delete("/api/v1/api-keys/" + k.ID)
		want(t, r, http.StatusOK)
		var got apiKeyRow
		r.decode(t, &got)
		if got.ID != k.ID || got.RevokedAt == nil || !got.RevokedAt.Equal(now) || got.Token != "" {
			t.Errorf("revoked %+v", got)
		}
		wantUnauthenticated(t, a.bearer(t, k.Token).get("/api/v1/creditors/"+own.ID))
		// Revoking twice is no error and keeps the first time.
		a.clock.Add(time.Minute)
		r = c.delete("/api/v1/api-keys/" + k.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(now) {
			t.Errorf("revoked again %+v", got)
		}
		listed, _ := keyByID(keys(t, c), k.ID)
		if listed.RevokedAt == nil {
			t.Errorf("the list does not show the revocation: %+v", listed)
		}
		wantSlug(t, c.delete("/api/v1/api-keys/"+uuid.NewString()), http.StatusNotFound, "not-found")
		// ADC's admins see a creditor's keys (never a token) when they name it.
		admin := a.as(t, a.admin)
		wantProblem(t, admin.get("/api/v1/api-keys"), http.StatusUnprocessableEntity, "creditor_id")
		if got, ok := keyByID(keys(t, admin, "creditor_id="+own.ID), k.ID); !ok || got.RevokedAt == nil {
			t.Errorf("the admin's list of the creditor's keys: %+v", got)
		}
		if ks := keys(t, admin, "creditor_id="+uuid.NewString()); len(ks) != 0 {
			t.Errorf("an unknown creditor has %d keys", len(ks))
		}
		// The other keys still work.
		want(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
	})

	t.Run("expiry", func(t *testing.T) {
		c := a.as(t, cu)
		at := a.clock.Now().Add(time.Hour)
		k := newKey(t, c, obj{"name": "for an hour", "scopes": []string{"creditors:read"}, "expires_at": at})
		if k.ExpiresAt == nil || !k.ExpiresAt.Equal(at) {
			t.Errorf("expires_at %v, want %v", k.ExpiresAt, at)
		}
		a.clock.Add(time.Hour - time.Second)
		want(t, a.bearer(t, k.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
		a.clock.Add(time.Second)
		wantUnauthenticated(t, a.bearer(t, k.Token).get("/api/v1/creditors/"+own.ID))
		// A key without expiry outlives sessions.
		want(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
		wantUnauthenticated(t, a.as(t, cu).get("/api/v1/api-keys"))
	})

	t.Run("a disabled account's keys stop", func(t *testing.T) {
		a.resign(t, a.admin)
		want(t, a.as(t, a.admin).post("/api/v1/users/"+cu.ID+"/disable", obj{"reason": "contract ended"}), http.StatusOK)
		wantUnauthenticated(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+own.ID))
		want(t, a.as(t, a.admin).post("/api/v1/users/"+cu.ID+"/enable", nil), http.StatusOK)
		want(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+own.ID), http.StatusOK)
	})
}
