package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// documentBody is a document as the API shows it.
type documentBody struct {
	ID         string    `json:"id"`
	DebtID     string    `json:"debt_id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Kind       string    `json:"kind"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
	Href       string    `json:"href"`
	Erased     bool      `json:"erased"`
}

// minimalPDF is a one-page PDF written by hand.
const minimalPDF = "%PDF-1.4\n" +
	"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n" +
	"trailer << /Root 1 0 R >>\n%%EOF\n"

// testImage draws a small image with a gradient.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	return img
}

func pngFile(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegFile(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// formPart is one part of a multipart form: a field, or a file when
// fileName is set.
type formPart struct {
	name, fileName, contentType string
	data                        []byte
}

func fileField(fileName, contentType string, data []byte) formPart {
	return formPart{name: "file", fileName: fileName, contentType: contentType, data: data}
}

func textField(name, value string) formPart { return formPart{name: name, data: []byte(value)} }

// multipartBody builds a multipart/form-data body and its Content-Type.
func multipartBody(t testing.TB, parts ...formPart) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := map[string]string{"name": p.name}
		if p.fileName != "" {
			disp["filename"] = p.fileName
		}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", disp))
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// upload posts a form to a debt's documents.
func (c *client) upload(debtID string, parts ...formPart) response {
	c.t.Helper()
	body, ct := multipartBody(c.t, parts...)
	return c.post("/api/v1/debts/"+debtID+"/documents", body, contentType(ct))
}

// uploaded posts a form and returns the document created.
func (c *client) uploaded(debtID string, parts ...formPart) documentBody {
	c.t.Helper()
	r := c.upload(debtID, parts...)
	want(c.t, r, http.StatusCreated)
	var d documentBody
	r.decode(c.t, &d)
	return d
}

// blobFiles lists the files of the blob store, its temporary files apart.
func blobFiles(t testing.TB, app *apptest.App) (blobs, temps []string) {
	t.Helper()
	root := app.Blobs.Root()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			temps = append(temps, rel)
		} else {
			blobs = append(blobs, filepath.Base(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return blobs, temps
}

func TestDocuments(t *testing.T) {
	t.Parallel()
	app, agent := start(t, apptest.Options{})
	cr := agent.createCreditor(validCreditor())
	cr2 := agent.createCreditor(with(validCreditor(), obj{"name": "Cevital Agro"}))
	dr := agent.createDebtor(validDebtor())
	dr2 := agent.createDebtor(with(validDebtor(), obj{"full_name": "Nadia Bouzid"}))
	d := agent.openDebt(validDebt(cr.ID, dr.ID))
	other := agent.openDebt(validDebt(cr2.ID, dr2.ID))
	creditor := agent.as(app.NewTenant(t, "creditor", cr.ID))
	creditor2 := agent.as(app.NewTenant(t, "creditor", cr2.ID))
	debtor := agent.as(app.NewTenant(t, "debtor", dr.ID))
	debtor2 := agent.as(app.NewTenant(t, "debtor", dr2.ID))
	auditor := agent.as(app.NewStaff(t, "auditor"))

	pdf, pngData, jpegData := []byte(minimalPDF), pngFile(t), jpegFile(t)
	var contract, scan, invoice documentBody

	t.Run("upload a PDF, a PNG and a JPEG", func(t *testing.T) {
		c := agent.on(t)
		r := c.upload(d.ID, fileField("Contrat de vente 2025.pdf", "application/pdf", pdf), textField("kind", "contract"))
		want(t, r, http.StatusCreated)
		r.decode(t, &contract)
		if contract.MediaType != "application/pdf" || contract.Size != int64(len(pdf)) || contract.SHA256 != sha256Hex(pdf) ||
			contract.Kind != "contract" || contract.Name != "Contrat de vente 2025.pdf" || contract.DebtID != d.ID ||
			contract.UploadedBy != c.user.ID || !uuidPattern.MatchString(contract.ID) {
			t.Errorf("PDF: %+v", contract)
		}
		if got, want := r.Header.Get("Location"), "/api/v1/documents/"+contract.ID+"/content"; got != want || contract.Href != want {
			t.Errorf("Location %q, href %q, want %q", got, contract.Href, want)
		}
		// The content decides the type, not the name nor the Content-Type
		// the client gave; a path in the name is dropped.
		scan = c.uploaded(d.ID, fileField(`C:\Scans\photo-reçu.pdf`, "application/pdf", pngData), textField("kind", " Payment_Proof "))
		if scan.MediaType != "image/png" || scan.SHA256 != sha256Hex(pngData) || scan.Name != "photo-reçu.pdf" ||
			scan.Kind != "payment_proof" {
			t.Errorf("PNG: %+v", scan)
		}
		// The debt's creditor provides the invoice; no kind is other.
		invoice = creditor.on(t).uploaded(d.ID, fileField("فاتورة.jpg", "", jpegData))
		if invoice.MediaType != "image/jpeg" || invoice.Kind != "other" || invoice.Name != "فاتورة.jpg" ||
			invoice.UploadedBy != creditor.user.ID {
			t.Errorf("JPEG: %+v", invoice)
		}
		// The event holds the metadata, and the name sealed under the
		// debtor's key, which the history opens.
		r = c.get("/api/v1/debts/" + d.ID + "/history")
		want(t, r, http.StatusOK)
		var h page[struct {
			Type     string         `json:"type"`
			Data     map[string]any `json:"data"`
			Personal map[string]any `json:"personal"`
		}]
		r.decode(t, &h)
		var names []any
		for _, e := range h.Items {
			if e.Type != "debt.document_attached" {
				continue
			}
			names = append(names, e.Personal["name"])
			if _, clear := e.Data["name"]; clear || len(e.Data) != 7 || e.Data["sha256"] == "" || e.Data["document_id"] == nil {
				t.Errorf("document_attached data %v", e.Data)
			}
		}
		if want := []any{contract.Name, scan.Name, invoice.Name}; fmt.Sprint(names) != fmt.Sprint(want) {
			t.Errorf("document_attached names %v, want %v", names, want)
		}
	})

	t.Run("what is not a PDF, JPEG or PNG is 415", func(t *testing.T) {
		c := agent.on(t)
		for name, data := range map[string][]byte{
			"a text file named .pdf": []byte("Ceci n'est pas un PDF.\nMerci de payer.\n"),
			"HTML":                   []byte("<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.4</body></html>"),
			"a PDF after junk":       append([]byte("junk\n"), pdf...),
			"an empty file":          {},
			"a GIF":                  []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
			"a ZIP (a .docx)":        []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
		} {
			r := c.upload(d.ID, fileField("facture.pdf", "application/pdf", data))
			p := wantProblem(t, r, http.StatusUnsupportedMediaType, "file")
			if !strings.HasSuffix(p.Type, "/unsupported-media-type") {
				t.Errorf("%s: %+v", name, p)
			}
		}
		// A body that is not a form at all.
		wantProblem(t, c.post("/api/v1/debts/"+d.ID+"/documents", obj{"file": "JVBERi0="}), http.StatusUnsupportedMediaType)
		wantProblem(t, c.post("/api/v1/debts/"+d.ID+"/documents", pdf, contentType("application/pdf")), http.StatusUnsupportedMediaType)
	})

	t.Run("larger than 10 MiB is 413", func(t *testing.T) {
		c := agent.on(t)
		// Exactly 10 MiB is accepted.
		exact := append(bytes.Clone(pdf), bytes.Repeat([]byte{'\n'}, 10<<20-len(pdf))...)
		big := c.uploaded(d.ID, fileField("gros.pdf", "", exact))
		if big.Size != 10<<20 || big.SHA256 != sha256Hex(exact) {
			t.Errorf("10 MiB: %+v", big)
		}
		// One byte more: the file is refused while it is read.
		tooBig := append(exact, '\n')
		p := wantProblem(t, c.upload(d.ID, fileField("trop gros.pdf", "", tooBig)), http.StatusRequestEntityTooLarge, "file")
		if !strings.HasSuffix(p.Type, "/too-large") || !strings.Contains(p.Detail, "10 MiB") {
			t.Errorf("413: %+v", p)
		}
		// A body beyond the route's limit is refused before it is read,
		// with or without a Content-Length.
		huge, ct := multipartBody(t, fileField("énorme.pdf", "", append(tooBig, make([]byte, 1<<20)...)))
		wantProblem(t, c.post("/api/v1/debts/"+d.ID+"/documents", huge, contentType(ct)), http.StatusRequestEntityTooLarge)
		chunked := io.MultiReader(bytes.NewReader(huge[:10]), bytes.NewReader(huge[10:]))
		wantProblem(t, c.post("/api/v1/debts/"+d.ID+"/documents", chunked, contentType(ct)), http.StatusRequestEntityTooLarge)
	})

	t.Run("bad forms", func(t *testing.T) {
		c := agent.on(t)
		wantProblem(t, c.upload(d.ID, textField("kind", "invoice")), http.StatusUnprocessableEntity, "file")
		wantProblem(t, c.upload(d.ID, fileField("a.pdf", "", pdf), fileField("b.pdf", "", append(bytes.Clone(pdf), ' '))),
			http.StatusUnprocessableEntity, "file")
		wantProblem(t, c.upload(d.ID, fileField("a.pdf", "", append(bytes.Clone(pdf), 'x')), textField("colour", "blue")),
			http.StatusUnprocessableEntity, "colour")
		// A kind the decider refuses: the file written first is removed.
		wantProblem(t, c.upload(d.ID, fileField("a.pdf", "", append(bytes.Clone(pdf), 'y')), textField("kind", "receipt")),
			http.StatusUnprocessableEntity, "kind")
		// The same content twice on a debt: 409 naming the document.
		r := c.upload(d.ID, fileField("copie du contrat.pdf", "", pdf), textField("kind", "contract"))
		p := wantProblem(t, r, http.StatusConflict)
		if !strings.HasSuffix(p.Type, "/already-exists") || p.ExistingID != contract.ID {
			t.Errorf("duplicate: %+v", p)
		}
		// The same file on another debt is another document.
		agent.on(t).uploaded(other.ID, fileField("contrat.pdf", "", pdf))
	})

	t.Run("blob store holds exactly the documents", func(t *testing.T) {
		blobs, temps := blobFiles(t, app)
		if len(temps) != 0 {
			t.Errorf("temporary files left: %v", temps)
		}
		// contract, scan, invoice, the 10 MiB one, the one on the other debt.
		if len(blobs) != 5 {
			t.Errorf("blob store holds %d files, want 5: %v", len(blobs), blobs)
		}
		for _, id := range []string{contract.ID, scan.ID, invoice.ID} {
			found := false
			for _, b := range blobs {
				found = found || b == id
			}
			if !found {
				t.Errorf("no blob for document %s", id)
			}
		}
	})

	t.Run("download", func(t *testing.T) {
		for _, tc := range []struct {
			doc         documentBody
			data        []byte
			disposition string
		}{
			{contract, pdf, `attachment; filename="Contrat de vente 2025.pdf"`},
			// A PNG named .pdf is saved as a .png.
			{scan, pngData, `attachment; filename="photo-re_u.pdf.png"; filename*=UTF-8''photo-re%C3%A7u.pdf.png`},
			{invoice, jpegData, `attachment; filename="______.jpg"; filename*=UTF-8''%D9%81%D8%A7%D8%AA%D9%88%D8%B1%D8%A9.jpg`},
		} {
			for _, c := range []*client{agent.on(t), creditor.on(t), debtor.on(t), auditor.on(t)} {
				r := c.get(tc.doc.Href)
				want(t, r, http.StatusOK)
				if !bytes.Equal(r.Body, tc.data) {
					t.Errorf("%s as %s: %d bytes differ from the %d uploaded", tc.doc.Name, c.user.Role, len(r.Body), len(tc.data))
				}
				sum := sha256.Sum256(tc.data)
				for h, v := range map[string]string{
					"Content-Type":           tc.doc.MediaType,
					"Content-Length":         fmt.Sprint(len(tc.data)),
					"Content-Disposition":    tc.disposition,
					"X-Content-Type-Options": "nosniff",
					"Cache-Control":          "private, no-store",
					"Repr-Digest":            "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
				} {
					if got := r.Header.Get(h); got != v {
						t.Errorf("%s: %s = %q, want %q", tc.doc.Name, h, got, v)
					}
				}
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, c := range []*client{agent.on(t), creditor.on(t), debtor.on(t), auditor.on(t)} {
			r := c.get("/api/v1/debts/" + d.ID + "/documents")
			want(t, r, http.StatusOK)
			var l page[documentBody]
			r.decode(t, &l)
			if len(l.Items) != 4 || l.Items[1] != invoice || l.Items[2] != scan || l.Items[3] != contract {
				t.Errorf("as %s: %+v", c.user.Role, l.Items)
			}
		}
	})

	t.Run("another tenant's documents are not found", func(t *testing.T) {
		for _, c := range []*client{creditor2.on(t), debtor2.on(t)} {
			wantProblem(t, c.get("/api/v1/debts/"+d.ID+"/documents"), http.StatusNotFound)
			for _, doc := range []documentBody{contract, scan, invoice} {
				p := wantProblem(t, c.get(doc.Href), http.StatusNotFound)
				if !strings.Contains(p.Detail, "document with id "+doc.ID) {
					t.Errorf("404 detail %q", p.Detail)
				}
			}
		}
		// Nor can a creditor upload to another creditor's debt.
		wantProblem(t, creditor2.on(t).upload(d.ID, fileField("x.pdf", "", append(bytes.Clone(pdf), 'z'))), http.StatusNotFound)
		// A debtor uploads nothing; unknown ids are not found.
		wantProblem(t, debtor.on(t).upload(d.ID, fileField("x.pdf", "", pdf)), http.StatusForbidden)
		wantProblem(t, agent.on(t).get("/api/v1/documents/0190a000-0000-7000-8000-000000000000/content"), http.StatusNotFound)
		wantProblem(t, agent.on(t).get("/api/v1/documents/not-an-id/content"), http.StatusNotFound)
		wantProblem(t, agent.on(t).upload("0190a000-0000-7000-8000-000000000000", fileField("x.pdf", "", pdf)), http.StatusNotFound)
	})

	t.Run("a damaged blob is never served", func(t *testing.T) {
		c := agent.on(t)
		// The same size, other bytes.
		damaged := bytes.Clone(pdf)
		damaged[len(damaged)-3] ^= 0xff
		if _, _, err := app.Blobs.Put(context.Background(), contract.ID, bytes.NewReader(damaged)); err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, c.get(contract.Href), http.StatusInternalServerError)
		if strings.Contains(p.Detail, contract.SHA256) || strings.Contains(p.Detail, "blob") {
			t.Errorf("the 500 tells internals: %q", p.Detail)
		}
		if err := app.Blobs.Delete(context.Background(), contract.ID); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, c.get(contract.Href), http.StatusInternalServerError)
	})
}
