package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// debtTexts are what staff wrote about a debtor on a case file, with the
// erased flags the API shows beside them. LegalNote is the note of the
// step of the debt's legal procedure (details.note there).
type debtTexts struct {
	Description       string `json:"description"`
	DescriptionErased bool   `json:"description_erased"`
	Note              string `json:"note"`
	NoteErased        bool   `json:"note_erased"`
	Summary           string `json:"summary"`
	SummaryErased     bool   `json:"summary_erased"`
	Title             string `json:"title"`
	TitleErased       bool   `json:"title_erased"`
	LegalNote         string `json:"-"`
	LegalNoteErased   bool   `json:"-"`
}

// readDebtTexts reads a debt's texts through the API: the case file, its
// payments, its interactions with their tasks, the work queue, its legal
// procedure (the list and the procedure itself).
func readDebtTexts(t testing.TB, c *client, debtID string) debtTexts {
	t.Helper()
	var got debtTexts
	r := c.get("/api/v1/debts/" + debtID)
	want(t, r, http.StatusOK)
	r.decode(t, &got)

	r = c.get("/api/v1/debts/" + debtID + "/payments")
	want(t, r, http.StatusOK)
	var payments page[debtTexts]
	r.decode(t, &payments)
	r = c.get("/api/v1/debts/" + debtID + "/interactions")
	want(t, r, http.StatusOK)
	var interactions page[struct {
		debtTexts
		FollowUp *debtTexts `json:"follow_up"`
	}]
	r.decode(t, &interactions)
	r = c.get("/api/v1/tasks?debt_id=" + debtID)
	want(t, r, http.StatusOK)
	var tasks page[debtTexts]
	r.decode(t, &tasks)
	if len(payments.Items) != 1 || len(interactions.Items) != 1 || interactions.Items[0].FollowUp == nil || len(tasks.Items) != 1 {
		t.Fatalf("debt %s: %d payments, %+v interactions, %d tasks", debtID, len(payments.Items), interactions.Items, len(tasks.Items))
	}
	r = c.get("/api/v1/debts/" + debtID + "/legal-procedures")
	want(t, r, http.StatusOK)
	var procs page[legalProcedureBody]
	r.decode(t, &procs)
	if len(procs.Items) != 1 || len(procs.Items[0].Steps) != 1 {
		t.Fatalf("debt %s: legal procedures %+v", debtID, procs.Items)
	}
	step := procs.Items[0].Steps[0].Details
	got.LegalNote, got.LegalNoteErased = step.Note, step.NoteErased
	r = c.get("/api/v1/legal-procedures/" + procs.Items[0].ID)
	want(t, r, http.StatusOK)
	var proc legalProcedureBody
	r.decode(t, &proc)
	if len(proc.Steps) != 1 || proc.Steps[0].Details != step {
		t.Errorf("the procedure's steps %+v, the list's %+v", proc.Steps, step)
	}
	i, task := interactions.Items[0], tasks.Items[0]
	got.Note, got.NoteErased = payments.Items[0].Note, payments.Items[0].NoteErased
	got.Summary, got.SummaryErased = i.Summary, i.SummaryErased
	got.Title, got.TitleErased = task.Title, task.TitleErased
	if i.FollowUp.Title != task.Title || i.FollowUp.TitleErased != task.TitleErased {
		t.Errorf("the interaction's task %+v, the queue's %+v", i.FollowUp, task)
	}
	return got
}

// historyTexts reads the texts of a debt's history: each event's opened
// personal part, by type, and whether it was erased.
func historyTexts(t testing.TB, c *client, debtID string) (texts map[string]map[string]any, erased map[string]bool) {
	t.Helper()
	r := c.get("/api/v1/debts/" + debtID + "/history")
	want(t, r, http.StatusOK)
	var h page[struct {
		historyEntry
		Erased bool `json:"personal_erased"`
	}]
	r.decode(t, &h)
	texts, erased = map[string]map[string]any{}, map[string]bool{}
	for _, e := range h.Items {
		if e.Personal != nil || e.Erased {
			texts[e.Type], erased[e.Type] = e.Personal, e.Erased
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"description", "note", "summary", "title"} {
			if _, ok := data[field]; ok {
				t.Errorf("%s carries its %s in data: %s", e.Type, field, e.Data)
			}
		}
		var details map[string]json.RawMessage
		if raw, ok := data["details"]; ok {
			if err := json.Unmarshal(raw, &details); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := details["note"]; ok {
			t.Errorf("%s carries its note in data: %s", e.Type, e.Data)
		}
	}
	return texts, erased
}

// TestDebtTextsSealed works a case file through the API, an import too,
// with free text about the debtor everywhere it goes (a legal step's note
// too): the API answers with the text, the log (read with kcat) holds
// none of it in clear, and once the debtor is erased the texts show as
// erased in the case file, its lists, the work queue, its legal procedure
// and the history, also after a rebuild, and nothing more is written
// about them.
func TestDebtTextsSealed(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat not found: install kcat (apt-get install kcat): %v", err)
	}
	app, agent := start(t, apptest.Options{})
	admin := agent.as(app.NewStaff(t, "admin"))
	cr := admin.createCreditor(validCreditor())
	d := admin.createDebtor(validDebtor())
	day := func(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

	texts := debtTexts{
		Description: "Licencié en mars, Zéphyrine-Confidentiel",
		Note:        "Payé par sa sœur, Quetzal-Privé",
		Summary:     "زوجته في المستشفى\nOrnithorynque-Secret rappellera",
		Title:       "Rappeler après l'hôpital, Wapiti-Caché",
		LegalNote:   "Renvoi demandé: hospitalisé à Blida\nCasoar-Sous-Scellé",
	}
	imported := "Libellé-Kumquat-Importé, chômage"
	var debtID, importedID string
	t.Run("the API answers with the texts", func(t *testing.T) {
		c := agent.on(t)
		opened := c.openDebt(with(validDebt(cr.ID, d.ID), obj{"description": texts.Description}))
		debtID = opened.ID
		if opened.Description != texts.Description {
			t.Errorf("description %q", opened.Description)
		}
		if p := c.pay(debtID, obj{"amount": 100_000, "value_date": day(-2), "method": "cash", "note": texts.Note}); p.Note != texts.Note {
			t.Errorf("note %q", p.Note)
		}
		i := c.logInteraction(debtID, obj{"channel": "call", "direction": "inbound", "outcome": "reached",
			"summary": "  " + strings.ReplaceAll(texts.Summary, "\n", "\r\n") + " ", "follow_up": obj{"due": day(3), "title": texts.Title}})
		if i.Summary != texts.Summary || i.FollowUp == nil || i.FollowUp.Title != texts.Title {
			t.Errorf("interaction %+v %+v", i, i.FollowUp)
		}
		legalEscalate(t, c, admin.on(t), debtID)
		proc := legalOpen(t, c, debtID, obj{"kind": "payment_order", "court": "Tribunal de Blida", "claimed_amount": 100_000,
			"opened_on": day(-1)})
		note := " " + strings.ReplaceAll(texts.LegalNote, "\n", "\r\n") + " "
		if p := legalStep(t, c, proc.ID, obj{"step": "filed", "details": obj{"case_number": "25/04417", "note": note}}); len(p.Steps) != 1 ||
			p.Steps[0].Details.Note != texts.LegalNote || p.Steps[0].Details.CaseNumber != "25/04417" {
			t.Errorf("legal step %+v", p.Steps)
		}
		// The note is checked before it is sealed.
		r := c.post("/api/v1/legal-procedures/"+proc.ID+"/steps", obj{"step": "served", "details": obj{"note": "a\u202eb"}})
		wantProblem(t, r, http.StatusUnprocessableEntity, "details.note")
		if got := readDebtTexts(t, c, debtID); got != texts {
			t.Errorf("texts %+v, want %+v", got, texts)
		}
		h, erased := historyTexts(t, c, debtID)
		for typ, want := range map[string]map[string]any{
			"debt.opened": {"description": texts.Description}, "debt.payment_recorded": {"note": texts.Note},
			"debt.interaction_logged": {"summary": texts.Summary}, "debt.task_created": {"title": texts.Title},
			"debt.legal_step_recorded": {"legal_note": texts.LegalNote},
		} {
			if got, _ := json.Marshal(h[typ]); string(got) != string(must(json.Marshal(want))) || erased[typ] {
				t.Errorf("history of %s: %s (erased %v)", typ, got, erased[typ])
			}
		}

		// A file's description goes the same way, for a debtor the import
		// finds by NIN.
		file := "Référence;Type;Montant;Date d'échéance;Libellé;Nom complet;NIN;Wilaya\r\n" +
			"IMP-TXT-1;Facture;8 000;01/04/2026;" + imported + ";Amine Khelifi;" + d.NIN + ";16\r\n"
		run := c.waitImport(c.startImport("", cr.ID, []byte(file)).ID)
		if run.Created != 1 {
			t.Fatalf("import: %+v", run)
		}
		r = c.get("/api/v1/debts?creditor_id=" + cr.ID + "&q=IMP-TXT-1")
		want(t, r, http.StatusOK)
		var l page[debt]
		r.decode(t, &l)
		if len(l.Items) != 1 || l.Items[0].Description != imported || l.Items[0].DebtorID != d.ID {
			t.Fatalf("imported debts %+v", l.Items)
		}
		importedID = l.Items[0].ID
	})

	t.Run("the log holds no text in clear", func(t *testing.T) {
		secrets := withEncodings(append(append(strings.Split(texts.Summary, "\n"), strings.Split(texts.LegalNote, "\n")...),
			texts.Description, texts.Note, texts.Title, imported, "Zéphyrine", "Quetzal", "Ornithorynque", "Wapiti", "Kumquat",
			"Casoar"))
		sealedTypes := map[string]bool{"debt.open": true, "debt.opened": true, "debt.record_payment": true,
			"debt.payment_recorded": true, "debt.log_interaction": true, "debt.interaction_logged": true, "debt.task_created": true,
			"debt.record_legal_step": true, "debt.legal_step_recorded": true}
		for _, topic := range []string{"tahsil.events", "tahsil.commands"} {
			out := runKcat(t, kcat, app.Brokers[0], topic)
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("%s holds %q in clear", topic, s)
				}
			}
			seen := 0
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				hdrs, _, _ := strings.Cut(line, " ")
				h := parseHeaders(hdrs)
				if sealedTypes[h["type"]] {
					seen++
					if h["v"] != "2" {
						t.Errorf("%s %s at version %s", topic, h["type"], h["v"])
					}
				}
			}
			if seen < 5 {
				t.Errorf("%s: %d records of the sealed types", topic, seen)
			}
		}
	})

	t.Run("erased with the debtor", func(t *testing.T) {
		c := admin.on(t)
		for _, id := range []string{debtID, importedID} {
			c.moveDebt(id, obj{"to": "withdrawn", "reason": "le créancier retire le dossier"})
		}
		want(t, c.delete("/api/v1/debtors/"+d.ID), http.StatusOK)
		want(t, c.post("/api/v1/debtors/"+d.ID+"/erasure", obj{"reason": erasureReason}), http.StatusOK)
		wantErasedTexts(t, c, debtID, importedID)

		// Nothing more is written about the debtor; a call without text
		// still is logged.
		body := obj{"channel": "note", "summary": "nouvelle adresse"}
		wantSlug(t, c.post("/api/v1/debts/"+debtID+"/interactions", body), http.StatusConflict, "erased")
		wantSlug(t, c.post("/api/v1/legal-procedures/"+legalProcedureOf(t, c, debtID)+"/steps",
			obj{"step": "closed", "details": obj{"outcome": "withdrawn", "note": "nouvelle adresse"}}), http.StatusConflict, "erased")
		c.logInteraction(importedID, obj{"channel": "call", "direction": "outbound", "outcome": "no_answer"})
	})

	t.Run("a rebuild shows them erased", func(t *testing.T) {
		rebuildAll(t, app)
		wantErasedTexts(t, admin.on(t), debtID, importedID)
	})
}

// wantErasedTexts checks that a debt's texts show as erased everywhere,
// and the description of another debt of the same debtor.
func wantErasedTexts(t testing.TB, c *client, debtID, otherID string) {
	t.Helper()
	erased := debtTexts{DescriptionErased: true, NoteErased: true, SummaryErased: true, TitleErased: true, LegalNoteErased: true}
	if got := readDebtTexts(t, c, debtID); got != erased {
		t.Errorf("texts after the erasure %+v", got)
	}
	h, flags := historyTexts(t, c, debtID)
	for _, typ := range []string{"debt.opened", "debt.payment_recorded", "debt.interaction_logged", "debt.task_created",
		"debt.legal_step_recorded"} {
		if h[typ] != nil || !flags[typ] {
			t.Errorf("history of %s after the erasure: %v (erased %v)", typ, h[typ], flags[typ])
		}
	}
	r := c.get("/api/v1/debts/" + otherID)
	want(t, r, http.StatusOK)
	var other debtTexts
	r.decode(t, &other)
	if other != (debtTexts{DescriptionErased: true}) {
		t.Errorf("the imported debt after the erasure %+v", other)
	}
}

// legalProcedureOf is the id of a debt's one legal procedure.
func legalProcedureOf(t testing.TB, c *client, debtID string) string {
	t.Helper()
	r := c.get("/api/v1/debts/" + debtID + "/legal-procedures")
	want(t, r, http.StatusOK)
	var procs page[legalProcedureBody]
	r.decode(t, &procs)
	if len(procs.Items) != 1 {
		t.Fatalf("debt %s: %d legal procedures", debtID, len(procs.Items))
	}
	return procs.Items[0].ID
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
