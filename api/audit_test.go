package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestAudit: the audit trail shows who did what to what, when, from where
// and with what outcome: events, rejected commands and security facts,
// filtered, paged and exported, and nothing can change it.
func TestAudit(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	admin := a.as(t, a.admin)
	agent := a.NewStaff(t, "agent")
	auditor := a.NewStaff(t, "auditor")
	cr := admin.createCreditor(validCreditor())
	cu := a.NewTenant(t, "creditor", cr.ID)

	// What the audit must show, done first.
	wantSlug(t, a.login(t, agent.Email, "a wrong password"), http.StatusUnauthorized, "invalid-credentials")
	unknown := fmt.Sprintf("Nobody.Here-%d@Example.TEST", next())
	wantSlug(t, a.login(t, unknown, "whatever it is"), http.StatusUnauthorized, "invalid-credentials")
	formula := fmt.Sprintf("=cmd-%d@evil.test", next())
	a.login(t, formula, "whatever it is")
	victim := a.newAccount(t, "agent")
	for range 5 {
		a.login(t, victim.Email, "a wrong password")
	}
	leaver := a.NewStaff(t, "agent")
	sid := a.as(t, leaver).me().SessionID
	want(t, a.as(t, leaver).post("/api/v1/auth/logout", nil), http.StatusNoContent)
	gone := a.NewStaff(t, "agent")
	want(t, admin.post("/api/v1/users/"+gone.ID+"/disable", obj{"reason": "left"}), http.StatusOK)
	wantSlug(t, admin.post("/api/v1/users/"+gone.ID+"/disable", obj{"reason": "twice"}), http.StatusUnprocessableEntity, "no-change")
	key := newKey(t, a.as(t, cu), obj{"name": "ERP", "scopes": []string{"creditors:read"}})
	a.clock.Add(time.Second)
	want(t, a.as(t, cu).delete("/api/v1/api-keys/"+key.ID), http.StatusOK)
	wantSlug(t, a.as(t, agent).get("/api/v1/audit"), http.StatusForbidden, "forbidden")

	t.Run("who may read it", func(t *testing.T) {
		want(t, a.as(t, a.admin).get("/api/v1/audit"), http.StatusOK)
		want(t, a.as(t, auditor).get("/api/v1/audit"), http.StatusOK)
		wantSlug(t, a.as(t, cu).get("/api/v1/audit"), http.StatusForbidden, "forbidden")
		wantUnauthenticated(t, a.anon(t).get("/api/v1/audit"))
	})

	t.Run("sign-in facts", func(t *testing.T) {
		c := a.as(t, auditor)
		failed := c.waitAudit(qs("action", "account.login_failed", "subject", agent.ID), 1)
		e := failed[0]
		if d := e.detail(t); e.Source != "event" || e.Outcome != "accepted" || e.SubjectType != "account" ||
			e.ActorID != agent.ID || e.IP != "127.0.0.1" || d["factor"] != "password" || d["reason"] != "wrong_password" {
			t.Errorf("login_failed %+v %v", e, d)
		}
		ok := c.waitAudit(qs("action", "account.login_succeeded", "subject", agent.ID), 2)
		var factors []string
		for _, e := range ok {
			factors = append(factors, fmt.Sprint(e.detail(t)["factor"]))
		}
		slices.Sort(factors)
		if !slices.Equal(factors, []string{"password", "totp"}) {
			t.Errorf("login_succeeded factors %v, want password then totp", factors)
		}

		unk := c.audit(qs("action", "login.failed", "subject", "n***@example.test"))
		if len(unk) != 1 {
			t.Fatalf("%d login.failed entries for the unknown e-mail", len(unk))
		}
		if d := unk[0].detail(t); unk[0].Source != "security" || unk[0].Outcome != "failed" || unk[0].SubjectType != "email" ||
			unk[0].ActorID != "" || d["reason"] != "unknown_email" {
			t.Errorf("login.failed %+v %v", unk[0], d)
		}
		r := c.get("/api/v1/audit?action=login.failed")
		want(t, r, http.StatusOK)
		if bytes.Contains(bytes.ToLower(r.Body), []byte("nobody.here")) {
			t.Errorf("the unknown e-mail is in clear: %s", r.Body)
		}

		locks := c.waitAudit(qs("action", "account.locked", "subject", victim.ID), 1)
		if d := locks[0].detail(t); d["factor"] != "password" || d["failures"] != float64(5) {
			t.Errorf("lock %v", d)
		}
	})

	t.Run("sessions, accounts and keys", func(t *testing.T) {
		c := a.as(t, auditor)
		ended := c.audit(qs("action", "session.ended", "subject", sid))
		if len(ended) != 1 || ended[0].ActorID != leaver.ID || ended[0].SubjectType != "session" || ended[0].Outcome != "succeeded" {
			t.Errorf("session.ended %+v", ended)
		}
		dis := c.audit(qs("action", "account.disabled", "subject", gone.ID))
		if len(dis) != 1 || dis[0].ActorID != a.admin.ID || dis[0].ActorRole != "admin" || dis[0].detail(t)["reason"] != "left" {
			t.Errorf("account.disabled %+v", dis)
		}
		ends := c.audit(qs("action", "sessions.ended", "subject", gone.ID))
		if len(ends) != 1 || ends[0].ActorID != a.admin.ID || ends[0].detail(t)["sessions"] != float64(1) {
			t.Errorf("sessions.ended %+v", ends)
		}
		// "api_key" selects api_key.created and api_key.revoked.
		ks := c.audit(qs("action", "api_key", "actor", cu.ID))
		var actions []string
		for _, e := range ks {
			if e.SubjectID != key.ID || e.SubjectType != "api_key" || e.ActorRole != "creditor" {
				t.Errorf("api key entry %+v", e)
			}
			actions = append(actions, e.Action)
		}
		if !slices.Equal(actions, []string{"api_key.revoked", "api_key.created"}) {
			t.Errorf("api key actions %v, newest first", actions)
		}
		if d := ks[len(ks)-1].detail(t); fmt.Sprint(d["scopes"]) != "[creditors:read]" || d["name"] != "ERP" {
			t.Errorf("api_key.created detail %v", d)
		}
	})

	t.Run("denied and rejected", func(t *testing.T) {
		c := a.as(t, auditor)
		denied := c.audit(qs("action", "access.denied", "actor", agent.ID))
		if len(denied) != 1 {
			t.Fatalf("%d access.denied entries for the agent", len(denied))
		}
		if e := denied[0]; e.Outcome != "denied" || e.Source != "security" || e.ActorRole != "agent" ||
			e.SubjectType != "route" || e.SubjectID != "GET /api/v1/audit" || e.detail(t)["permission"] != "audit:read" {
			t.Errorf("access.denied %+v", e)
		}
		rej := c.audit(qs("outcome", "rejected", "actor", a.admin.ID))
		if len(rej) != 1 {
			t.Fatalf("%d rejected commands of the admin: %+v", len(rej), rej)
		}
		if e := rej[0]; e.Source != "command" || e.Action != "account.disable" || e.SubjectID != gone.ID ||
			!strings.Contains(string(e.Detail), "no_change") {
			t.Errorf("rejected %+v %s", e, e.Detail)
		}
	})

	t.Run("filters", func(t *testing.T) {
		c := a.as(t, auditor)
		for _, f := range []struct {
			name, value string
			keep        func(auditRow) bool
		}{
			{"actor", a.admin.ID, func(e auditRow) bool { return e.ActorID == a.admin.ID }},
			{"subject", gone.ID, func(e auditRow) bool { return e.SubjectID == gone.ID }},
			{"action", "account", func(e auditRow) bool { return strings.HasPrefix(e.Action, "account.") }},
			{"action", "account.locked", func(e auditRow) bool { return e.Action == "account.locked" }},
			{"outcome", "failed", func(e auditRow) bool { return e.Outcome == "failed" }},
			{"outcome", "denied", func(e auditRow) bool { return e.Outcome == "denied" }},
			{"outcome", "accepted", func(e auditRow) bool { return e.Outcome == "accepted" && e.Source == "event" }},
		} {
			rows := c.audit(qs(f.name, f.value, "limit", "200"))
			if len(rows) == 0 {
				t.Errorf("%s=%s: no entries", f.name, f.value)
			}
			for _, e := range rows {
				if !f.keep(e) {
					t.Errorf("%s=%s: %+v", f.name, f.value, e)
				}
			}
		}
		// "account" is a prefix of actions, not of words: no account.x
		// without the dot.
		if rows := c.audit(qs("action", "acc")); len(rows) != 0 {
			t.Errorf("action=acc matches %d entries", len(rows))
		}

		// from (inclusive) and to (exclusive), on the security log's clock.
		mark := a.clock.Add(10 * time.Minute)
		wantSlug(t, a.as(t, agent).get("/api/v1/audit"), http.StatusForbidden, "forbidden")
		later := c.audit(qs("action", "access.denied", "from", mark.Format(time.RFC3339)))
		if len(later) != 1 || !later[0].At.Equal(mark) || later[0].ActorID != agent.ID {
			t.Errorf("from %v: %+v", mark, later)
		}
		earlier := c.audit(qs("action", "access.denied", "to", mark.Format(time.RFC3339), "limit", "200"))
		if len(earlier) == 0 {
			t.Error("nothing before the mark")
		}
		for _, e := range earlier {
			if !e.At.Before(mark) {
				t.Errorf("to %v: %+v", mark, e)
			}
		}
		if rows := c.audit(qs("action", "access.denied", "from", mark.Format(time.RFC3339), "to", mark.Add(time.Second).Format(time.RFC3339))); len(rows) != 1 {
			t.Errorf("a one-second window holds %d entries, want 1", len(rows))
		}

		for _, bad := range []struct{ query, field string }{
			{"outcome=maybe", "outcome"},
			{"from=yesterday", "from"},
			{"to=2026-13-01T00:00:00Z", "to"},
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"cursor=not-a-cursor", "cursor"},
			{"format=xml", "format"},
			{"who=me", "who"},
			{"actor=a&actor=b", "actor"},
		} {
			wantProblem(t, c.get("/api/v1/audit?"+bad.query), http.StatusUnprocessableEntity, bad.field)
		}
	})

	t.Run("cursor paging", func(t *testing.T) {
		for range 6 {
			wantSlug(t, a.as(t, agent).get("/api/v1/audit"), http.StatusForbidden, "forbidden")
		}
		c := a.as(t, auditor)
		whole := c.audit(qs("action", "access.denied", "limit", "200"))
		if len(whole) < 8 {
			t.Fatalf("%d denials", len(whole))
		}
		var ids []string
		for _, e := range whole {
			ids = append(ids, e.Source+"/"+e.ID)
		}
		for _, limit := range []int{1, 2, 3, 7} {
			got := listAll(t, c, "/api/v1/audit?action=access.denied", limit, func(e auditRow) string { return e.Source + "/" + e.ID })
			if !slices.Equal(got, ids) {
				t.Errorf("limit %d pages\n%v\nthe whole list\n%v", limit, got, ids)
			}
		}
		// Newest first.
		for i := 1; i < len(whole); i++ {
			if whole[i].At.After(whole[i-1].At) {
				t.Errorf("entry %d is newer than entry %d", i, i-1)
			}
		}
	})

	t.Run("CSV export", func(t *testing.T) {
		c := a.as(t, auditor)
		for _, action := range []string{"access.denied", "login.failed", "account"} {
			rows := c.audit(qs("action", action, "limit", "200"))
			r := c.get("/api/v1/audit?format=csv&action=" + action)
			want(t, r, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
				t.Errorf("Content-Disposition %q", cd)
			}
			recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header := []string{"at", "source", "id", "action", "outcome", "actor_id", "actor_role", "ip", "subject_type", "subject_id", "detail"}
			if len(recs) == 0 || !slices.Equal(recs[0], header) {
				t.Fatalf("header %v", recs)
			}
			// Events of sign-ins may still be landing: the export has at
			// least what the page showed, in the same order, the same.
			shown := map[string]auditRow{}
			var order []string
			for _, e := range rows {
				shown[e.Source+"/"+e.ID] = e
				order = append(order, e.Source+"/"+e.ID)
			}
			var exported []string
			for _, rec := range recs[1:] {
				k := rec[1] + "/" + rec[2]
				e, ok := shown[k]
				if !ok {
					continue
				}
				exported = append(exported, k)
				if rec[0] != e.At.UTC().Format(time.RFC3339Nano) || rec[3] != e.Action || rec[4] != e.Outcome ||
					rec[5] != e.ActorID || rec[6] != e.ActorRole || rec[7] != e.IP || rec[8] != e.SubjectType {
					t.Errorf("%s: row %v, entry %+v", action, rec, e)
				}
			}
			if !slices.Equal(exported, order) {
				t.Errorf("%s: the export has %d of the %d entries, or in another order", action, len(exported), len(order))
			}
		}
		// A cell a spreadsheet would evaluate is defused.
		r := c.get("/api/v1/audit?format=csv&action=login.failed")
		recs, _ := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		masked := "'" + formula[:1] + "***@evil.test"
		if !slices.ContainsFunc(recs, func(rec []string) bool { return rec[9] == masked }) {
			t.Errorf("no row with subject %q: %v", masked, recs)
		}
		if rows := c.audit(qs("action", "login.failed", "subject", formula[:1]+"***@evil.test")); len(rows) != 1 {
			t.Errorf("JSON keeps the subject as is: %d rows", len(rows))
		}
	})

	t.Run("nothing changes it", func(t *testing.T) {
		c := a.as(t, a.admin)
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			wantSlug(t, c.do(m, "/api/v1/audit", obj{}), http.StatusMethodNotAllowed, "method-not-allowed")
		}
		wantSlug(t, c.delete("/api/v1/audit/1"), http.StatusNotFound, "not-found")
		ctx := context.Background()
		var n int
		if err := a.Pool.QueryRow(ctx, "SELECT count(*) FROM security_log").Scan(&n); err != nil || n == 0 {
			t.Fatalf("security_log: %d rows, %v", n, err)
		}
		for _, stmt := range []string{
			"UPDATE security_log SET outcome = 'succeeded' WHERE outcome = 'denied'",
			"UPDATE security_log SET detail = '{}'",
			"DELETE FROM security_log WHERE action = 'access.denied'",
			"DELETE FROM security_log",
			"TRUNCATE security_log",
		} {
			_, err := a.Pool.Exec(ctx, stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the append-only refusal", stmt, err)
			}
		}
		var after int
		if err := a.Pool.QueryRow(ctx, "SELECT count(*) FROM security_log WHERE outcome = 'denied'").Scan(&after); err != nil || after == 0 {
			t.Errorf("denied entries after the attempts: %d, %v", after, err)
		}
		if err := a.Pool.QueryRow(ctx, "SELECT count(*) FROM security_log").Scan(&after); err != nil || after < n {
			t.Errorf("security_log has %d rows, had %d", after, n)
		}
	})
}
