package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// importRun is an import as GET /api/v1/imports/{id} shows it.
type importRun struct {
	ID         string        `json:"id"`
	CreditorID string        `json:"creditor_id"`
	FileName   string        `json:"file_name"`
	DryRun     bool          `json:"dry_run"`
	Status     string        `json:"status"`
	Total      int           `json:"total"`
	Processed  int           `json:"processed"`
	Created    int           `json:"created"`
	Unchanged  int           `json:"unchanged"`
	Failed     int           `json:"failed"`
	Errors     []importError `json:"errors"`
	Failure    string        `json:"failure"`
	FinishedAt *time.Time    `json:"finished_at"`
}

type importError struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// importSeq makes the unique values of the import fixtures.
var importSeq atomic.Int64

func importNIN() string    { return fmt.Sprintf("1098%014d", importSeq.Add(1)) }
func importMobile() string { return fmt.Sprintf("07%08d", 10_000_000+importSeq.Add(1)) }

// multipartFile builds an import form: creditor_id (when not empty) and
// the file, with its declared media type (text/csv when empty).
func multipartFile(t testing.TB, creditorID, name, mediaType string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if creditorID != "" {
		if err := w.WriteField("creditor_id", creditorID); err != nil {
			t.Fatal(err)
		}
	}
	if mediaType == "" {
		mediaType = "text/csv"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", mediaType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// importFile posts a file to POST /api/v1/imports/debts (query: "" or
// "?dry_run=true").
func (c *client) importFile(query, creditorID string, data []byte) response {
	c.t.Helper()
	body, ct := multipartFile(c.t, creditorID, "créances mars.csv", "", data)
	return c.post("/api/v1/imports/debts"+query, body, contentType(ct))
}

// startImport posts a file and returns the 202 answer's import.
func (c *client) startImport(query, creditorID string, data []byte) importRun {
	c.t.Helper()
	r := c.importFile(query, creditorID, data)
	want(c.t, r, http.StatusAccepted)
	var run importRun
	r.decode(c.t, &run)
	if loc := r.Header.Get("Location"); loc != "/api/v1/imports/"+run.ID {
		c.t.Errorf("Location %q, want /api/v1/imports/%s", loc, run.ID)
	}
	if run.Status != "running" && run.Status != "done" {
		c.t.Errorf("a new import is %q", run.Status)
	}
	return run
}

// waitImport polls an import until it is no longer running, checking at
// every look that its progress adds up and never goes back.
func (c *client) waitImport(id string) importRun {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	last := -1
	for {
		r := c.get("/api/v1/imports/" + id)
		want(c.t, r, http.StatusOK)
		var run importRun
		r.decode(c.t, &run)
		if run.Processed < last || run.Processed > run.Total || run.Created+run.Unchanged+run.Failed != run.Processed {
			c.t.Fatalf("progress does not add up (after %d processed): %+v", last, run)
		}
		last = run.Processed
		if run.Status != "running" {
			if run.Status != "done" || run.Processed != run.Total {
				c.t.Fatalf("import ended %s with %d of %d rows processed: %s", run.Status, run.Processed, run.Total, run.Failure)
			}
			return run
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("import still running after 2 minutes: %+v", run)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// debtRefs lists the external references of a creditor's debts.
func debtRefs(t testing.TB, c *client, creditorID string) []string {
	t.Helper()
	r := c.get("/api/v1/debts?limit=200&creditor_id=" + creditorID)
	want(t, r, http.StatusOK)
	var p page[struct {
		ExternalRef string `json:"external_ref"`
		DebtorID    string `json:"debtor_id"`
	}]
	r.decode(t, &p)
	var refs []string
	for _, d := range p.Items {
		refs = append(refs, d.ExternalRef)
	}
	slices.Sort(refs)
	return refs
}

func debtorCount(t testing.TB, c *client) int {
	t.Helper()
	r := c.get("/api/v1/debtors?limit=200")
	want(t, r, http.StatusOK)
	var p page[debtor]
	r.decode(t, &p)
	return len(p.Items)
}

func hasError(errs []importError, line, column int, field, reason string) bool {
	for _, e := range errs {
		if e.Line == line && e.Column == column && e.Field == field && strings.Contains(e.Reason, reason) {
			return true
		}
	}
	return false
}

// TestImportDebts imports a creditor's file as the issue describes it:
// French headers, semicolons, Arabic names; debtors matched by NIN or
// phone or created; rows with errors reported with line and column and
// not applied; a re-import creates nothing; a dry run writes nothing.
func TestImportDebts(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	cred := agent.createCreditor(validCreditor())
	knownNIN, knownMobile := importNIN(), importMobile()
	byNIN := agent.createDebtor(with(validDebtor(), obj{"nin": knownNIN, "full_name": "Karim Benali"}))
	byPhone := agent.createDebtor(with(validDebtor(), obj{"nin": nil, "phones": []string{knownMobile}, "full_name": "Samir Touati"}))
	debtorsBefore := debtorCount(t, agent)

	newNIN, errNIN, noWilayaNIN := importNIN(), importNIN(), importNIN()
	newMobile := importMobile()
	// Columns: 1 Référence, 2 Type, 3 Montant, 4 Frais, 5 Date d'échéance,
	// 6 Libellé, 7 Nom complet, 8 NIN, 9 Téléphone, 10 Wilaya, 11 Langue.
	file := strings.Join([]string{
		"Référence;Type;Montant;Frais;Date d'échéance;Libellé;Nom complet;NIN;Téléphone;Wilaya;Langue",
		"IMP-001;Facture;12 500,50;1 000;31/03/2026;Fourniture de matériel;محمد بن علي;" + newNIN + ";;16;ar", // line 2: new debtor
		"IMP-002;Loyer;45 000;;28/02/2026;Loyer de février;محمد بن علي;" + newNIN + ";;16;ar",                 // line 3: the same new debtor
		"IMP-003;Prêt;25 000 DA;;15/01/2026;;فاطمة الزهراء بوعلام;;" + newMobile + ";سطيف;ar",                 // line 4: new debtor by phone
		"IMP-004;Facture;8 000;;01/04/2026;;Karim Benali;" + knownNIN + ";;31;fr",                             // line 5: known by NIN
		"IMP-005;Facture;12.500;;01/04/2026;;Yacine Mebarki;" + errNIN + ";;16;fr",                            // line 6: ambiguous amount
		"IMP-006;Facture;9 000;;01/04/2026;;Nadia Ouali;" + noWilayaNIN + ";;;fr",                             // line 7: new debtor without wilaya
		"IMP-007;Chèque impayé;150 000,00;;10/03/2026;Chèque n° 4521;سمير طواتي;;" + knownMobile + ";;ar",     // line 8: known by phone
		"",
	}, "\r\n")

	var first importRun
	t.Run("import", func(t *testing.T) {
		c := agent.on(t)
		run := c.startImport("", cred.ID, []byte(file))
		if run.Total != 7 || run.CreditorID != cred.ID || run.DryRun || run.FileName != "créances mars.csv" {
			t.Fatalf("202 answer: %+v", run)
		}
		first = c.waitImport(run.ID)
		if first.Created != 5 || first.Unchanged != 0 || first.Failed != 2 {
			t.Fatalf("import: %+v", first)
		}
		if !hasError(first.Errors, 6, 3, "principal", "ambiguous") {
			t.Errorf("no error at line 6, column 3 (principal): %+v", first.Errors)
		}
		if !hasError(first.Errors, 7, 10, "debtor_wilaya", "is required") {
			t.Errorf("no error at line 7, column 10 (wilaya): %+v", first.Errors)
		}
		if len(first.Errors) != 2 {
			t.Errorf("errors: %+v", first.Errors)
		}
		if got, want := debtRefs(t, c, cred.ID), []string{"IMP-001", "IMP-002", "IMP-003", "IMP-004", "IMP-007"}; !slices.Equal(got, want) {
			t.Fatalf("debts %v, want %v", got, want)
		}
		// Two new debtors (rows 2 and 3 share one); the debtors of the rows
		// with errors are not created.
		if n := debtorCount(t, c); n != debtorsBefore+2 {
			t.Fatalf("%d debtors, want %d", n, debtorsBefore+2)
		}
		for _, nin := range []string{errNIN, noWilayaNIN} {
			r := c.get("/api/v1/debtors?q=" + nin)
			want(t, r, http.StatusOK)
			var p page[debtor]
			r.decode(t, &p)
			if len(p.Items) != 0 {
				t.Errorf("the debtor of a row with an error was created: %+v", p.Items)
			}
		}
		// The known debtors received their debts.
		for _, d := range []debtor{byNIN, byPhone} {
			r := c.get("/api/v1/debtors/" + d.ID + "/debts")
			want(t, r, http.StatusOK)
			var p page[struct {
				ExternalRef string `json:"external_ref"`
			}]
			r.decode(t, &p)
			if len(p.Items) != 1 {
				t.Errorf("debtor %s has %d debts, want 1", d.FullName, len(p.Items))
			}
		}
		// The new debtor as the file describes it.
		r := c.get("/api/v1/debtors?q=" + newNIN)
		want(t, r, http.StatusOK)
		var p page[debtor]
		r.decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].FullName != "محمد بن علي" || p.Items[0].Wilaya != 16 || p.Items[0].Kind != "person" {
			t.Fatalf("new debtor: %+v", p.Items)
		}
	})

	t.Run("re-import creates nothing", func(t *testing.T) {
		c := agent.on(t)
		run := c.waitImport(c.startImport("", cred.ID, []byte(file)).ID)
		if run.Created != 0 || run.Unchanged != 5 || run.Failed != 2 || len(run.Errors) != 2 {
			t.Fatalf("re-import: %+v", run)
		}
		if got := debtRefs(t, c, cred.ID); len(got) != 5 {
			t.Fatalf("debts after a re-import: %v", got)
		}
		if n := debtorCount(t, c); n != debtorsBefore+2 {
			t.Fatalf("%d debtors after a re-import, want %d", n, debtorsBefore+2)
		}
	})

	t.Run("dry run writes nothing", func(t *testing.T) {
		c := agent.on(t)
		dry := "Référence;Montant;Date d'échéance;Nom complet;NIN;Téléphone;Wilaya\n" +
			"DRY-001;1 000;01/05/2026;Amina Haddad;" + importNIN() + ";;16\n" +
			"IMP-001;1 000;01/05/2026;محمد بن علي;" + newNIN + ";;16\n" +
			"DRY-002;-5;01/05/2026;Amina Haddad;;;16\n"
		run := c.waitImport(c.startImport("?dry_run=true", cred.ID, []byte(dry)).ID)
		if !run.DryRun || run.Created != 1 || run.Unchanged != 1 || run.Failed != 1 {
			t.Fatalf("dry run: %+v", run)
		}
		if !hasError(run.Errors, 4, 2, "principal", "negative") {
			t.Errorf("dry run errors: %+v", run.Errors)
		}
		if got := debtRefs(t, c, cred.ID); len(got) != 5 {
			t.Fatalf("debts after a dry run: %v", got)
		}
		if n := debtorCount(t, c); n != debtorsBefore+2 {
			t.Fatalf("%d debtors after a dry run, want %d", n, debtorsBefore+2)
		}
	})

	t.Run("rows sharing a new debtor", func(t *testing.T) {
		c := agent.on(t)
		other := c.createCreditor(validCreditor())
		before := debtorCount(t, c)
		nif, nin, mobile := "000116001234567", importNIN(), importMobile()
		// Columns: 1 Référence, 2 Montant, 3 Date d'échéance, 4 Raison
		// sociale, 5 NIN, 6 NIF, 7 RC, 8 Téléphone, 9 Adresse, 10 Wilaya.
		file := "\ufeffRéférence,Montant,Date d'échéance,Raison sociale,NIN,NIF,RC,Téléphone,Adresse,Wilaya\n" +
			"CO-1,\"1.250.000,00\",28/02/2026,SARL El Baraka,," + nif + ",16/00-0123456 B 19," + mobile + ",\"Zone industrielle, lot 12\nRouiba\",Alger\n" + // lines 2-3
			"CO-2,5 000,28/02/2026,SARL El Baraka,," + nif + ",,,,\n" + // line 4: the same company, by NIF; its wilaya is not needed
			"CO-3,6 000,28/02/2026,El Baraka,,,," + mobile + ",,\n" + // line 5: the same company, by phone
			"CO-4,7 000,28/02/2026,Karim Benali," + nin + ",,,,,16\n" + // line 6: a new person
			"CO-5,8 000,28/02/2026,Karim Benali," + nin + "," + nif + ",,,,16\n" // line 7: that NIN and that NIF are two debtors
		run := c.waitImport(c.startImport("", other.ID, []byte(file)).ID)
		if run.Created != 4 || run.Failed != 1 || !hasError(run.Errors, 7, 6, "debtor_nif", "two different debtors of this file") {
			t.Fatalf("import: %+v", run)
		}
		if n := debtorCount(t, c); n != before+2 {
			t.Fatalf("%d debtors, want %d", n, before+2)
		}
		r := c.get("/api/v1/debtors?q=" + nif)
		want(t, r, http.StatusOK)
		var p page[debtor]
		r.decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].Kind != "company" || p.Items[0].Address != "Zone industrielle, lot 12 Rouiba" || p.Items[0].Wilaya != 16 {
			t.Fatalf("the company: %+v", p.Items)
		}
		r = c.get("/api/v1/debtors/" + p.Items[0].ID + "/debts")
		want(t, r, http.StatusOK)
		var debts page[struct {
			ExternalRef string `json:"external_ref"`
		}]
		r.decode(t, &debts)
		if len(debts.Items) != 3 {
			t.Fatalf("the company has %d debts, want 3 (CO-1, CO-2, CO-3)", len(debts.Items))
		}
	})

	t.Run("creditor scoping", func(t *testing.T) {
		other := agent.on(t).createCreditor(validCreditor())
		mine := newClient(t, app).as(app.NewTenant(t, "creditor", cred.ID))
		theirs := newClient(t, app).as(app.NewTenant(t, "creditor", other.ID))
		// A creditor imports for itself, creditor_id left out.
		own := mine.waitImport(mine.startImport("?dry_run=true", "", []byte(file)).ID)
		if own.CreditorID != cred.ID || own.Unchanged != 5 {
			t.Fatalf("a creditor's own import: %+v", own)
		}
		// Another creditor's import is not found; the creditor cannot
		// import for another creditor.
		wantProblem(t, theirs.get("/api/v1/imports/"+first.ID), http.StatusNotFound)
		wantProblem(t, theirs.get("/api/v1/imports/"+own.ID), http.StatusNotFound)
		wantProblem(t, theirs.importFile("", cred.ID, []byte(file)), http.StatusForbidden, "creditor_id")
		// Staff see every import.
		want(t, agent.on(t).get("/api/v1/imports/"+own.ID), http.StatusOK)
		// A creditor's row without NIN or NIF is matched by phone only to
		// the debtors the creditor sees: another's debtor with that phone
		// is neither used nor revealed, a new debtor is registered.
		phoneOnly := "Référence;Montant;Date d'échéance;Nom complet;Téléphone;Wilaya\n" +
			"THEIRS-1;2 000;01/05/2026;Samir Touati;" + knownMobile + ";16\n"
		run := theirs.waitImport(theirs.startImport("", "", []byte(phoneOnly)).ID)
		if run.Created != 1 {
			t.Fatalf("phone-only import by another creditor: %+v", run)
		}
		wantProblem(t, theirs.get("/api/v1/debtors/"+byPhone.ID), http.StatusNotFound)
		r := theirs.get("/api/v1/debts?limit=10")
		want(t, r, http.StatusOK)
		var p page[struct {
			DebtorID string `json:"debtor_id"`
		}]
		r.decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].DebtorID == byPhone.ID {
			t.Fatalf("the other creditor's debts: %+v", p.Items)
		}
	})

	t.Run("refused requests", func(t *testing.T) {
		c := agent.on(t)
		// Not multipart: 415.
		wantProblem(t, c.post("/api/v1/imports/debts", obj{"creditor_id": cred.ID}), http.StatusUnsupportedMediaType)
		// A workbook, a PDF, a binary: 415 with a message saying what to send.
		for _, data := range [][]byte{
			append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte{0}, 100)...),
			[]byte("%PDF-1.7\n%âãÏÓ\n"),
			{0x00, 0x01, 0x02, 0x03, 0xff},
		} {
			body, ct := multipartFile(t, cred.ID, "creances.xlsx", "application/octet-stream", data)
			p := wantProblem(t, c.post("/api/v1/imports/debts", body, contentType(ct)), http.StatusUnsupportedMediaType, "file")
			if !strings.Contains(p.Detail, "CSV UTF-8") {
				t.Errorf("415 detail %q does not say how to save the file", p.Detail)
			}
		}
		body, ct := multipartFile(t, cred.ID, "creances.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte(file))
		wantProblem(t, c.post("/api/v1/imports/debts", body, contentType(ct)), http.StatusUnsupportedMediaType, "file")
		// A header the format does not know: 422, nothing recorded.
		wantProblem(t, c.importFile("", cred.ID, []byte("Référence;Couleur\nA;bleu\n")), http.StatusUnprocessableEntity, "file")
		// A header without rows, a missing file, a missing creditor, an
		// unknown creditor.
		wantProblem(t, c.importFile("", cred.ID, []byte("Référence;Montant;Date d'échéance;Nom;NIN\n")), http.StatusUnprocessableEntity, "file")
		wantProblem(t, c.importFile("", "", []byte(file)), http.StatusUnprocessableEntity, "creditor_id")
		wantProblem(t, c.importFile("", "0190a000-0000-7000-8000-000000000000", []byte(file)), http.StatusUnprocessableEntity, "creditor_id")
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("creditor_id", cred.ID)
		w.Close()
		wantProblem(t, c.post("/api/v1/imports/debts", b.Bytes(), contentType(w.FormDataContentType())), http.StatusUnprocessableEntity, "file")
		wantProblem(t, c.importFile("?dry_run=maybe", cred.ID, []byte(file)), http.StatusBadRequest, "dry_run")
		wantProblem(t, c.get("/api/v1/imports/0190a000-0000-7000-8000-000000000000"), http.StatusNotFound)
	})

	t.Run("too large", func(t *testing.T) {
		c := agent.on(t)
		// Above 1 MiB, the limit of other bodies, is fine for an import.
		big := []byte(file + strings.Repeat(";;;;;;;;;;\r\n", 150_000))
		if len(big) < 1<<20+1 {
			t.Fatal("the big file is not big")
		}
		run := c.waitImport(c.startImport("?dry_run=true", cred.ID, big).ID)
		if run.Total != 7 {
			t.Fatalf("big file: %+v", run)
		}
		// Above 50 MiB: 413.
		huge := append([]byte(file), bytes.Repeat([]byte(";;;;;;;;;;\n"), (50<<20)/11+1)...)
		p := wantProblem(t, c.importFile("", cred.ID, huge), http.StatusRequestEntityTooLarge)
		if !strings.Contains(p.Detail, "50 MiB") {
			t.Errorf("413 detail %q", p.Detail)
		}
	})
}

// TestImportInterrupted stops an import while it runs, as a shutdown
// does: GET has shown its progress, the commands in flight are decided,
// the import reads interrupted, and running the file again completes it
// without creating anything twice.
func TestImportInterrupted(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	cred := agent.createCreditor(validCreditor())
	log := apptest.Logger()
	ctx, stopProgress := context.WithCancel(context.Background())
	t.Cleanup(stopProgress)
	progress := projections.NewProgress(app.Pool, apptest.ProjectionNames(), log)
	go progress.Run(ctx)
	claimKey := make([]byte, 32)
	rand.Read(claimKey)
	im, err := api.NewImporter(api.ImporterConfig{
		Pool: app.Pool, Bus: app.Bus, Progress: progress, Registry: app.Registry, Sealer: app.Sealer, Keys: app.Keys,
		// Few commands in flight, so the interruption lands mid-file.
		ClaimKey: claimKey, Logger: log, Workers: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	const rows = 2000
	var b strings.Builder
	b.WriteString("Référence;Montant;Date d'échéance;Nom complet;NIN;Wilaya\n")
	for i := range rows {
		fmt.Fprintf(&b, "INT-%05d;1 000;01/05/2026;Amina Haddad;1096%014d;16\n", i, i)
	}
	req := api.ImportRequest{CreditorID: cred.ID, FileName: "big.csv", Data: []byte(b.String()),
		Actor: events.Actor{Role: "system", UserAgent: "import test"}}
	prep, err := im.Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, interrupt := context.WithCancel(context.Background())
	done := make(chan api.ImportResult)
	go func() { done <- im.Run(runCtx, prep, nil) }()

	// GET shows the progress while the import runs.
	deadline := time.Now().Add(time.Minute)
	for {
		var run importRun
		r := agent.get("/api/v1/imports/" + prep.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &run)
		if run.Status != "running" {
			t.Fatalf("the import ended before it was seen running with some rows processed: %+v", run)
		}
		if run.Processed > 0 && run.Processed < run.Total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %+v", run)
		}
		time.Sleep(20 * time.Millisecond)
	}
	interrupt()
	res := <-done
	if res.Status != api.ImportInterrupted || res.Processed >= rows || res.Created == 0 ||
		res.Created+res.Failed != res.Processed || !strings.Contains(res.Failure, "again is safe") {
		t.Fatalf("interrupted import: %+v", res)
	}
	t.Logf("interrupted after %d of %d rows: %d created, %d failed", res.Processed, rows, res.Created, res.Failed)
	var rec importRun
	r := agent.get("/api/v1/imports/" + prep.ID)
	want(t, r, http.StatusOK)
	r.decode(t, &rec)
	if rec.Status != "interrupted" || rec.Processed != res.Processed || rec.Created != res.Created {
		t.Fatalf("the record of an interrupted import: %+v, the run says %+v", rec, res)
	}

	// Running the file again completes it: what the first run created is
	// unchanged, nothing is created twice.
	prep, err = im.Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	again := im.Run(context.Background(), prep, nil)
	if again.Status != api.ImportDone || again.Failed != 0 || again.Created+again.Unchanged != rows || again.Unchanged < res.Created {
		t.Fatalf("second run: %+v (first: %+v)", again, res)
	}
	var debts, debtors int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM debts WHERE creditor_id = $1", cred.ID).Scan(&debts); err != nil {
		t.Fatal(err)
	}
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM debtors WHERE nin LIKE '1096%'").Scan(&debtors); err != nil {
		t.Fatal(err)
	}
	if debts != rows || debtors != rows {
		t.Fatalf("%d debts and %d debtors, want %d of each", debts, debtors, rows)
	}

	// Through the API: the server's Close (its shutdown) interrupts the
	// import it runs in the background and records it.
	b.Reset()
	// Five times the rows: with a thousand commands in flight a small file
	// would be done before the first progress report.
	apiRows := 5 * rows
	b.WriteString("Référence;Montant;Date d'échéance;Nom complet;NIN;Wilaya\n")
	for i := range apiRows {
		fmt.Fprintf(&b, "API-%05d;1 000;01/05/2026;Amina Haddad;1095%014d;16\n", i, i)
	}
	run := agent.startImport("", cred.ID, []byte(b.String()))
	for {
		var now importRun
		r := agent.get("/api/v1/imports/" + run.ID)
		r.decode(t, &now)
		if now.Status != "running" {
			t.Fatalf("the import ended before the server stopped: %+v", now)
		}
		if now.Processed > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	app.Server.Close()
	r = agent.get("/api/v1/imports/" + run.ID)
	want(t, r, http.StatusOK)
	r.decode(t, &rec)
	if rec.Status != "interrupted" || rec.Processed == 0 || rec.Processed >= apiRows || rec.FinishedAt == nil {
		t.Fatalf("after the server's Close: %+v", rec)
	}
}
