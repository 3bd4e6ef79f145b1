package api_test

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// erasedDebtor is a debtor as the API shows it, with its erased flag.
type erasedDebtor struct {
	debtor
	Erased bool `json:"erased"`
}

// erasedCreditor is a creditor as the API shows it, with its erased flag.
type erasedCreditor struct {
	creditor
	Erased bool `json:"erased"`
}

const erasureReason = "demande d'effacement du 02/05/2025 par lettre recommandée, dossier DP-2025-014"

// TestDebtorErasure erases a debtor through the API, as an admin: only an
// archived debtor with no debt still worked, once; the record stays with
// its personal fields blank, the history and the log keep nothing
// readable, a rebuild shows the same, and the person can be registered
// again.
func TestDebtorErasure(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	admin := agent.as(app.NewStaff(t, "admin"))

	body := with(validDebtor(), obj{"full_name": "Ouiza Tafsut-Amrane", "phones": []string{"0557 12 34 98"},
		"email": "ouiza.tafsut@secret-mail.dz", "address": "Rue des Figuiers Cachés, Bouira", "wilaya": 10})
	d := admin.createDebtor(body)
	path := "/api/v1/debtors/" + d.ID
	erase := path + "/erasure"
	reason := obj{"reason": erasureReason}

	t.Run("only an admin erases", func(t *testing.T) {
		wantSlug(t, agent.on(t).post(erase, reason), http.StatusForbidden, "forbidden")
	})

	t.Run("the reason is required", func(t *testing.T) {
		c := admin.on(t)
		wantSlug(t, c.post(erase, obj{}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post(erase, obj{"reason": " \n "}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post(erase, obj{"reason": strings.Repeat("é", 501)}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post(erase, obj{"reason": "ok", "full_name": "x"}), http.StatusUnprocessableEntity, "validation", "full_name")
		wantSlug(t, c.post(erase, obj{"reason": 42}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post(erase, `{"reason": "ok"`), http.StatusBadRequest, "bad-request")
		wantSlug(t, c.post(erase, ""), http.StatusBadRequest, "bad-request")
		wantSlug(t, c.post(erase, reason, ifMatch("three")), http.StatusBadRequest, "bad-request", "If-Match")
		wantSlug(t, c.post("/api/v1/debtors/"+uuid.Must(uuid.NewV7()).String()+"/erasure", reason), http.StatusNotFound, "not-found")
	})

	t.Run("an active debtor is not erased", func(t *testing.T) {
		p := wantSlug(t, admin.on(t).post(erase, reason), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "is active") || !strings.Contains(p.Detail, "archive it first") {
			t.Errorf("detail %q does not name the status", p.Detail)
		}
	})

	cr := admin.createCreditor(validCreditor())
	debt := admin.openDebt(validDebt(cr.ID, d.ID))

	t.Run("a debtor with a debt still worked is not erased", func(t *testing.T) {
		c := admin.on(t)
		want(t, c.delete(path), http.StatusOK)
		p := wantSlug(t, c.post(erase, reason), http.StatusConflict, "open-debts")
		if !strings.Contains(p.Detail, "1 debt not closed") {
			t.Errorf("detail %q does not count the open debt", p.Detail)
		}
		c.moveDebt(debt.ID, obj{"to": "withdrawn", "reason": "le créancier retire le dossier"})
	})

	t.Run("erase", func(t *testing.T) {
		c := admin.on(t)
		wantSlug(t, c.post(erase, reason, ifMatch(`"1"`)), http.StatusPreconditionFailed, "version-conflict", "If-Match")
		r := c.post(erase, reason, ifMatch(`"2"`))
		want(t, r, http.StatusOK)
		var got erasedDebtor
		r.decode(t, &got)
		wantErasedDebtor(t, got, d, 3)
		if r.Header.Get("ETag") != `"3"` {
			t.Errorf("ETag %q", r.Header.Get("ETag"))
		}
		r = c.get(path)
		want(t, r, http.StatusOK)
		got = erasedDebtor{}
		r.decode(t, &got)
		wantErasedDebtor(t, got, d, 3)
		wantErasedHistory(t, c, path, "debtor", 3)
	})

	t.Run("twice", func(t *testing.T) {
		p := wantSlug(t, admin.on(t).post(erase, reason), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "already erased") {
			t.Errorf("detail %q", p.Detail)
		}
	})

	t.Run("an erased debtor is not changed", func(t *testing.T) {
		c := admin.on(t)
		wantSlug(t, c.patch(path, obj{"nin": uniqueNIN(), "full_name": "Autre Nom"}), http.StatusConflict, "archived")
		wantSlug(t, c.delete(path), http.StatusConflict, "archived")
	})

	t.Run("the same person registers again", func(t *testing.T) {
		again := admin.on(t).createDebtor(body)
		if again.ID == d.ID || again.NIN != d.NIN || again.Ref == d.Ref {
			t.Errorf("registered again: %+v (erased: %s %s)", again, d.ID, d.Ref)
		}
		// The new record holds the NIN now, like any other.
		wantSlug(t, admin.on(t).post("/api/v1/debtors", body), http.StatusConflict, "duplicate", "nin")
	})

	t.Run("the log keeps nothing readable", func(t *testing.T) {
		kcat, err := exec.LookPath("kcat")
		if err != nil {
			t.Fatalf("kcat not found: install kcat (apt-get install kcat): %v", err)
		}
		out := runKcat(t, kcat, app.Brokers[0], "tahsil.events")
		var erased []byte
		for _, line := range bytes.Split(out, []byte("\n")) {
			if bytes.Contains(line, []byte(d.ID)) && bytes.Contains(line, []byte("type=debtor.erased")) {
				erased = line
			}
		}
		if !bytes.Contains(erased, []byte(erasureReason)) || bytes.Contains(erased, []byte(`"personal"`)) {
			t.Errorf("the debtor.erased record: %s", erased)
		}
		for _, s := range withEncodings([]string{"Ouiza", "Tafsut", d.NIN, "+213557123498", "0557123498",
			"ouiza.tafsut@secret-mail.dz", "Figuiers Cachés"}) {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("tahsil.events holds %q in clear", s)
			}
		}
	})

	t.Run("a rebuild shows the debtor erased", func(t *testing.T) {
		c := admin.on(t)
		rebuildAll(t, app)
		r := c.get(path)
		want(t, r, http.StatusOK)
		var got erasedDebtor
		r.decode(t, &got)
		wantErasedDebtor(t, got, d, 3)
		wantErasedHistory(t, c, path, "debtor", 3)
	})
}

// TestCreditorErasure erases a creditor: the same rules, with the
// creditor's debts and NIF.
func TestCreditorErasure(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	admin := agent.as(app.NewStaff(t, "admin"))

	body := with(validCreditor(), obj{"name": "Boulangerie Tamazight", "contact_name": "Idir Aït Secret"})
	cr := admin.createCreditor(body)
	path := "/api/v1/creditors/" + cr.ID
	erase := path + "/erasure"
	reason := obj{"reason": erasureReason}
	first := admin.openDebt(validDebt(cr.ID, admin.createDebtor(validDebtor()).ID))
	second := admin.openDebt(validDebt(cr.ID, admin.createDebtor(validDebtor()).ID))

	t.Run("only an admin erases", func(t *testing.T) {
		wantSlug(t, agent.on(t).post(erase, reason), http.StatusForbidden, "forbidden")
	})
	t.Run("a creditor with debts still worked is not erased", func(t *testing.T) {
		c := admin.on(t)
		p := wantSlug(t, c.post(erase, reason), http.StatusConflict, "open-debts")
		if !strings.Contains(p.Detail, "2 debts not closed") {
			t.Errorf("detail %q does not count the open debts", p.Detail)
		}
		c.moveDebt(first.ID, obj{"to": "withdrawn", "reason": "le créancier retire le dossier"})
		p = wantSlug(t, c.post(erase, reason), http.StatusConflict, "open-debts")
		if !strings.Contains(p.Detail, "1 debt not closed") {
			t.Errorf("detail %q does not count the open debt", p.Detail)
		}
		c.moveDebt(second.ID, obj{"to": "uncollectible", "reason": "société radiée"})
	})
	t.Run("an active creditor is not erased", func(t *testing.T) {
		p := wantSlug(t, admin.on(t).post(erase, reason), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "is active") {
			t.Errorf("detail %q does not name the status", p.Detail)
		}
	})
	t.Run("erase", func(t *testing.T) {
		c := admin.on(t)
		want(t, c.delete(path), http.StatusOK)
		r := c.post(erase, reason)
		want(t, r, http.StatusOK)
		var got erasedCreditor
		r.decode(t, &got)
		if !got.Erased || got.Status != "archived" || got.Name != "" || got.NIF != "" || got.Phone != "" ||
			got.Email != "" || got.ContactName != "" || got.Address != "" || got.RC != "" ||
			got.Ref != cr.Ref || got.CommissionBPS != cr.CommissionBPS || got.Version != 3 {
			t.Errorf("erased creditor %+v", got)
		}
		wantErasedHistory(t, c, path, "creditor", 3)
		wantSlug(t, c.post(erase, reason), http.StatusConflict, "wrong_status")
		wantSlug(t, c.patch(path, obj{"nif": uniqueNIF()}), http.StatusConflict, "archived")
		// The debts stay, with their amounts.
		if d := c.getDebt(first.ID); d.CreditorID != cr.ID || d.Status != "withdrawn" || d.Principal != first.Principal {
			t.Errorf("debt after the erasure %+v", d)
		}
	})
	t.Run("the same NIF registers again", func(t *testing.T) {
		again := admin.on(t).createCreditor(body)
		if again.ID == cr.ID || again.NIF != cr.NIF {
			t.Errorf("registered again: %+v", again)
		}
	})
}

func wantErasedDebtor(t testing.TB, got erasedDebtor, before debtor, version int64) {
	t.Helper()
	if !got.Erased || got.Status != "archived" || got.FullName != "" || got.NIN != "" || got.NIF != "" ||
		got.RC != "" || got.Email != "" || got.Address != "" || got.Phones == nil || len(got.Phones) != 0 ||
		got.ID != before.ID || got.Ref != before.Ref || got.Wilaya != before.Wilaya || got.Version != version {
		t.Errorf("erased debtor %+v", got)
	}
}

// wantErasedHistory checks a party's history after its erasure: every
// personal part is unreadable, the erasure is the last event, with its
// reason.
func wantErasedHistory(t testing.TB, c *client, path, kind string, events int) {
	t.Helper()
	r := c.get(path + "/history")
	want(t, r, http.StatusOK)
	var h page[struct {
		historyEntry
		Erased bool `json:"personal_erased"`
	}]
	r.decode(t, &h)
	if len(h.Items) != events || h.Items[events-1].Type != kind+".erased" {
		t.Fatalf("history %s", r.Body)
	}
	if !h.Items[0].Erased || h.Items[0].Personal != nil {
		t.Errorf("the registration still opens: %+v", h.Items[0])
	}
	if last := h.Items[events-1]; last.Erased || !strings.Contains(string(last.Data), erasureReason) {
		t.Errorf("the erasure event: %+v, data %s", last, last.Data)
	}
}

// rebuildAll rebuilds every event projection from offset zero beside the
// running app, as `tahsil projections rebuild` does.
func rebuildAll(t testing.TB, app *apptest.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := projections.Rebuild(ctx, projections.RebuildConfig{
		Brokers: app.Brokers, Pool: app.Pool, Projections: app.EventProjections(), Registry: app.Registry,
	})
	if err != nil || len(res.Failures) > 0 {
		t.Fatalf("rebuild: %v %+v", err, res.Failures)
	}
}
