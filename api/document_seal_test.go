package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/blobseal"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/keyring"
)

// markedPDF is a PDF whose text holds marker, to look for where it must
// not be.
func markedPDF(marker string) []byte {
	return []byte(strings.Replace(minimalPDF, "trailer", "4 0 obj (Carte nationale "+marker+") endobj\ntrailer", 1))
}

// filesHolding lists the files under the blob store's root, temporary
// files included, that hold marker.
func filesHolding(t testing.TB, app *apptest.App, marker string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(app.Blobs.Root(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(marker)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// blobPath is the file of a document's blob in the test's store.
func blobPath(t testing.TB, app *apptest.App, id string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(app.Blobs.Root(), "*", "*", id))
	if err != nil || len(matches) != 1 {
		t.Fatalf("the blob of document %s: %v, %v", id, matches, err)
	}
	return matches[0]
}

// attachInClear attaches a document as Tahsil did before sealing: the file
// in clear in the blob store, and a version 1 command with the name in
// clear in its data.
func attachInClear(t testing.TB, app *apptest.App, c *client, debtID, name string, content []byte) documentBody {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	docID := uuid.Must(uuid.NewV7()).String()
	if _, _, err := app.Blobs.Put(ctx, docID, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	cmdID := uuid.Must(uuid.NewV7()).String()
	out, err := app.Bus.Submit(ctx, &events.CommandEnvelope{
		ID: cmdID, Type: "debt.attach_document", V: 1,
		Aggregate:       events.AggregateRef{Type: collection.DebtAggregate, ID: debtID},
		ExpectedVersion: collection.AnyVersion, IssuedAt: time.Now().UTC(), Actor: events.Actor{Role: "test"},
		CorrelationID: cmdID, Data: mustJSON(t, obj{"id": debtID, "document_id": docID, "name": name,
			"media_type": "application/pdf", "size": len(content), "sha256": sha256Hex(content), "kind": "contract",
			"by": c.user.ID}),
	})
	if err != nil || out.Status != events.Accepted {
		t.Fatalf("attach in clear: %+v, %v", out, err)
	}
	var doc documentBody
	eventually(t, 10*time.Second, "the document in clear listed", func() bool {
		for _, d := range c.documents(debtID) {
			if d.ID == docID {
				doc = d
				return true
			}
		}
		return false
	})
	return doc
}

// documents lists a debt's documents.
func (c *client) documents(debtID string) []documentBody {
	c.t.Helper()
	r := c.get("/api/v1/debts/" + debtID + "/documents")
	want(c.t, r, http.StatusOK)
	var l page[documentBody]
	r.decode(c.t, &l)
	return l.Items
}

// wantDownload checks that a document downloads as content.
func wantDownload(t testing.TB, c *client, doc documentBody, content []byte) {
	t.Helper()
	r := c.get(doc.Href)
	want(t, r, http.StatusOK)
	if !bytes.Equal(r.Body, content) || doc.SHA256 != sha256Hex(content) || doc.Size != int64(len(content)) {
		t.Errorf("%s: %d bytes with SHA-256 %s, recorded %d and %s; want the %d uploaded", doc.ID, len(r.Body),
			sha256Hex(r.Body), doc.Size, doc.SHA256, len(content))
	}
	if got, want := r.Header.Get("Content-Disposition"), `attachment; filename="`+doc.Name+`"`; got != want {
		t.Errorf("%s: Content-Disposition %q, want %q", doc.ID, got, want)
	}
}

// TestDocumentSealing: a document's content is sealed on disk and its name
// in the log, both under the debtor's key; both come back whole; a changed
// blob is never served; documents from before sealing still download.
func TestDocumentSealing(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	dr := agent.createDebtor(validDebtor())
	d := agent.openDebt(validDebt(agent.createCreditor(validCreditor()).ID, dr.ID))
	const marker, nameMarker = "TAHSIL-CNI-4417-ZOUBIDA", "Zoubida-Secret-9921"
	content := markedPDF(marker)
	var doc documentBody

	t.Run("upload", func(t *testing.T) {
		doc = agent.on(t).uploaded(d.ID, fileField("CNI "+nameMarker+".pdf", "", content))
		if doc.Name != "CNI "+nameMarker+".pdf" || doc.SHA256 != sha256Hex(content) || doc.Size != int64(len(content)) || doc.Erased {
			t.Errorf("uploaded %+v", doc)
		}
	})

	t.Run("the blob store holds no clear content", func(t *testing.T) {
		if files := filesHolding(t, app, marker); len(files) != 0 {
			t.Errorf("the content in clear in %v", files)
		}
		raw, err := os.ReadFile(blobPath(t, app, doc.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, []byte("TAHSILSB\x01")) || len(raw) != 48+len(content)+16 {
			t.Errorf("the blob: %d bytes starting %q", len(raw), raw[:min(len(raw), 9)])
		}
	})

	t.Run("the name is sealed", func(t *testing.T) {
		for _, q := range []string{`SELECT count(*) FROM documents WHERE name LIKE '%' || $1 || '%'`,
			`SELECT count(*) FROM event_log WHERE data::text LIKE '%' || $1 || '%'`} {
			var n int
			if err := app.Pool.QueryRow(context.Background(), q, nameMarker).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d, %v", q, n, err)
			}
		}
		kcat := lookKcat(t)
		for _, topic := range []string{"tahsil.events", "tahsil.commands"} {
			if out := runKcat(t, kcat, app.Brokers[0], topic); bytes.Contains(out, []byte(nameMarker)) {
				t.Errorf("%s holds the document's name in clear", topic)
			}
		}
		if l := agent.on(t).documents(d.ID); len(l) != 1 || l[0] != doc {
			t.Errorf("listed %+v, want %+v", l, doc)
		}
	})

	t.Run("download", func(t *testing.T) {
		wantDownload(t, agent.on(t), doc, content)
	})

	t.Run("a changed blob is never served", func(t *testing.T) {
		c := agent.on(t)
		path := blobPath(t, app, doc.ID)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{20, 48 + 10, len(orig) - 1} { // the salt, the content, the tag
			changed := bytes.Clone(orig)
			changed[at] ^= 0x01
			if err := os.WriteFile(path, changed, 0o600); err != nil {
				t.Fatal(err)
			}
			r := c.get(doc.Href)
			wantSlug(t, r, http.StatusInternalServerError, "internal")
			if bytes.Contains(r.Body, []byte(marker)) {
				t.Errorf("byte %d changed: the answer holds the content", at)
			}
		}
		if err := os.WriteFile(path, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		wantDownload(t, c, doc, content)
	})

	t.Run("a document from before sealing still downloads", func(t *testing.T) {
		c := agent.on(t)
		old := markedPDF("ancien contrat")
		legacy := attachInClear(t, app, c, d.ID, "ancien contrat.pdf", old)
		if legacy.Name != "ancien contrat.pdf" || legacy.SHA256 != sha256Hex(old) || legacy.Erased {
			t.Errorf("listed %+v", legacy)
		}
		wantDownload(t, c, legacy, old)
		if l := c.documents(d.ID); len(l) != 2 || l[0] != legacy || l[1] != doc {
			t.Errorf("listed %+v", l)
		}
	})
}

// TestDocumentsOfAnErasedDebtor: erasing the debtor erases their
// documents: no name in the list, 410 for the content, no file left, and
// a sealed file kept elsewhere (a backup) no longer opens.
func TestDocumentsOfAnErasedDebtor(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	admin := agent.as(app.NewStaff(t, "admin"))
	dr := agent.createDebtor(validDebtor())
	d := agent.openDebt(validDebt(agent.createCreditor(validCreditor()).ID, dr.ID))
	const marker, oldMarker = "TAHSIL-CNI-5150-YACINE", "TAHSIL-ACTE-0042-YACINE"
	sealed := agent.uploaded(d.ID, fileField("CNI Yacine.pdf", "", markedPDF(marker)))
	inClear := attachInClear(t, app, agent, d.ID, "acte Yacine.pdf", markedPDF(oldMarker))
	backup, err := os.ReadFile(blobPath(t, app, sealed.ID))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("erase the debtor", func(t *testing.T) {
		c := admin.on(t)
		c.moveDebt(d.ID, obj{"to": "withdrawn", "reason": "le créancier retire le dossier"})
		want(t, c.delete("/api/v1/debtors/"+dr.ID), http.StatusOK)
		want(t, c.post("/api/v1/debtors/"+dr.ID+"/erasure", obj{"reason": erasureReason}), http.StatusOK)
	})

	t.Run("the list shows the documents erased", func(t *testing.T) {
		for _, c := range []*client{agent.on(t), admin.on(t)} {
			l := c.documents(d.ID)
			if len(l) != 2 {
				t.Fatalf("listed %+v", l)
			}
			for i, want := range []documentBody{inClear, sealed} {
				want.Name, want.Erased = "", true
				if l[i] != want {
					t.Errorf("listed %+v, want %+v", l[i], want)
				}
			}
		}
	})

	t.Run("the content is gone", func(t *testing.T) {
		for _, doc := range []documentBody{sealed, inClear} {
			p := wantSlug(t, agent.on(t).get(doc.Href), http.StatusGone, "erased")
			if !strings.Contains(p.Detail, "the debtor's personal data was erased") {
				t.Errorf("410 detail %q", p.Detail)
			}
		}
	})

	t.Run("no file is left", func(t *testing.T) {
		blobs, _ := blobFiles(t, app)
		if len(blobs) != 0 {
			t.Errorf("files left: %v", blobs)
		}
		for _, m := range []string{marker, oldMarker} {
			if files := filesHolding(t, app, m); len(files) != 0 {
				t.Errorf("%s in %v", m, files)
			}
		}
	})

	t.Run("a sealed file kept elsewhere does not open", func(t *testing.T) {
		ctx := context.Background()
		if _, _, err := app.Blobs.Put(ctx, sealed.ID, bytes.NewReader(backup)); err != nil {
			t.Fatal(err)
		}
		if _, err := blobseal.New(app.Blobs, app.Keys).Open(ctx, sealed.ID, dr.ID); !errors.Is(err, keyring.ErrErased) {
			t.Errorf("open the file of an erased debtor: %v, want ErrErased", err)
		}
		wantSlug(t, agent.on(t).get(sealed.Href), http.StatusGone, "erased")
		// Erasing again is refused, and deletes what is left.
		wantSlug(t, admin.on(t).post("/api/v1/debtors/"+dr.ID+"/erasure", obj{"reason": erasureReason}),
			http.StatusConflict, "wrong_status")
		if blobs, _ := blobFiles(t, app); len(blobs) != 0 {
			t.Errorf("files left after the second request: %v", blobs)
		}
	})

	t.Run("the debt takes no more documents", func(t *testing.T) {
		wantSlug(t, agent.on(t).upload(d.ID, fileField("nouveau.pdf", "", markedPDF("nouveau"))), http.StatusConflict, "erased")
		if blobs, temps := blobFiles(t, app); len(blobs)+len(temps) != 0 {
			t.Errorf("files left by a refused upload: %v %v", blobs, temps)
		}
	})

	t.Run("a rebuild shows the same", func(t *testing.T) {
		c := agent.on(t)
		before := c.documents(d.ID)
		rebuildAll(t, app)
		if after := c.documents(d.ID); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("after a rebuild %+v, before %+v", after, before)
		}
		wantSlug(t, c.get(sealed.Href), http.StatusGone, "erased")
	})

	t.Run("the history shows the sealed name erased", func(t *testing.T) {
		r := agent.on(t).get("/api/v1/debts/" + d.ID + "/history")
		want(t, r, http.StatusOK)
		var h page[struct {
			Type     string         `json:"type"`
			Data     map[string]any `json:"data"`
			Personal map[string]any `json:"personal"`
			Erased   bool           `json:"personal_erased"`
		}]
		r.decode(t, &h)
		var seen int
		for _, e := range h.Items {
			if e.Type != "debt.document_attached" {
				continue
			}
			seen++
			switch e.Data["document_id"] {
			case sealed.ID:
				if !e.Erased || e.Personal != nil || e.Data["name"] != nil {
					t.Errorf("the sealed document's event: %+v", e)
				}
			case inClear.ID: // version 1: the log keeps its name in clear for good
				if e.Data["name"] != "acte Yacine.pdf" || e.Erased {
					t.Errorf("the version 1 event: %+v", e)
				}
			}
		}
		if seen != 2 {
			t.Errorf("%d document events, want 2", seen)
		}
	})
}

// lookKcat finds kcat, which the tests that read the topics need.
func lookKcat(t testing.TB) string {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat not found: install kcat (apt-get install kcat): %v", err)
	}
	return kcat
}
