package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// debtDocumentsPath is the route of a document upload. The global body
// limit skips it: documentCreate bounds the body itself.
const debtDocumentsPath = "/api/v1/debts/:id/documents"

// MaxDocumentBodyBytes bounds the body of an upload: the file
// (collection.MaxDocumentBytes) and the multipart envelope around it.
const MaxDocumentBodyBytes = collection.MaxDocumentBytes + 1<<20

// sniffLen is how much of a file decides its type (what
// http.DetectContentType reads).
const sniffLen = 512

// documentView is a document as the API shows it: its metadata, and where
// to download its content.
type documentView struct {
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
	// Erased says the debtor was erased: the name is blank, and the
	// content answers 410.
	Erased bool `json:"erased"`
}

func newDocumentView(d store.Document) documentView {
	return documentView{ID: d.ID, DebtID: d.DebtID, Name: d.Name, MediaType: d.MediaType, Size: d.Size, SHA256: d.Sha256,
		Kind: d.Kind, UploadedBy: d.UploadedBy, UploadedAt: d.UploadedAt, Href: documentContentHref(d.ID)}
}

func documentContentHref(id string) string { return "/api/v1/documents/" + id + "/content" }

// documentCreate attaches a file to a debt: POST /api/v1/debts/:id/documents,
// multipart/form-data with the field file (a PDF, JPEG or PNG of at most
// 10 MiB) and, optionally, kind (default other). The type is sniffed from
// the content: the client's Content-Type and the file's name decide
// nothing, and any other content is 415.
//
// The file is sealed under the data key of the debt's debtor and written
// to the blob store, under the new document's id, before the command is
// submitted: the event only carries its metadata, and its name sealed
// under the same key. A debt whose debtor was erased takes no document
// (409 erased). When the decider rejects the command (the same file
// already on the debt: 409 with existing_id), the blob is removed.
// Hazard: when the outcome is unknown (202, or the bus failed) the blob is
// kept, since the command may still be applied; a blob whose command
// never reached the log stays behind, found by comparing the store with
// the documents table.
func (s *Server) documentCreate(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	req := c.Request()
	if req.ContentLength > MaxDocumentBodyBytes {
		return documentTooLarge()
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, MaxDocumentBodyBytes)
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"send the file as multipart/form-data, with the field file (a PDF, JPEG or PNG) and optionally kind")
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	ctx := req.Context()
	erased, err := s.isErased(ctx, collection.DebtorAggregate, row.DebtorID)
	if err != nil {
		return err
	}
	if erased {
		return documentRefusedErased(row.ID)
	}
	docID := newID()
	form, err := s.readDocumentForm(ctx, req.Body, params["boundary"], documentBlob{key: docID, debt: row})
	if err == nil {
		form.sealedName, err = s.sealDocumentName(ctx, row, form.name)
		if errors.Is(err, keyring.ErrErased) {
			err = documentRefusedErased(row.ID)
		}
	}
	if err != nil {
		if form.stored {
			s.deleteBlob(ctx, docID)
		}
		return err
	}
	cmd := collection.AttachDocument{
		ID: row.ID, DocumentID: docID, MediaType: form.mediaType, Size: form.size, SHA256: form.sha256,
		Kind: form.kind, By: principalOf(c).AccountID, Personal: form.sealedName,
	}
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion, cmd, row.ID)
	if late(res, err) {
		return pending(c, commandID)
	}
	if rej, ok := collection.AsRejection(err); ok {
		s.deleteBlob(ctx, docID)
		if rej.Code == collection.CodeAlreadyExists {
			return s.duplicateDocument(ctx, row.ID, form.sha256, rej)
		}
		return err
	}
	if err != nil {
		return err
	}
	d, err := s.q.DocumentGet(ctx, docID)
	if err != nil {
		return err
	}
	views, err := s.documentViews(ctx, row, []store.Document{d})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, documentContentHref(docID))
	return c.JSON(http.StatusCreated, views[0])
}

// duplicateDocument answers the upload of a file the debt already has:
// 409 naming the document that holds it.
func (s *Server) duplicateDocument(ctx context.Context, debtID, sum string, rej *collection.Rejection) error {
	p := fromDomain(rej)
	if d, err := s.q.DocumentByContent(ctx, store.DocumentByContentParams{DebtID: debtID, Sha256: sum}); err == nil {
		p.ExistingID = d.ID
	}
	return p
}

// deleteBlob removes the blob of a document that will not exist. A
// failure leaves an orphan blob, which is logged, not the client's
// problem.
func (s *Server) deleteBlob(ctx context.Context, key string) {
	if err := s.cfg.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.Warn("remove the blob of a refused document", "document_id", key, "err", err)
	}
}

// documentForm is what an upload's form held; stored says the file is in
// the blob store. size and sha256 are the clear content's.
type documentForm struct {
	stored     bool
	name       string
	sealedName collection.Sealed
	mediaType  string
	size       int64
	sha256     string
	kind       string
}

// documentBlob is where a document's file goes: its key in the blob store,
// and the debt whose debtor's data key seals it.
type documentBlob struct {
	key  string
	debt store.Debt
}

// readDocumentForm reads the fields file and kind, refusing any other and a
// second file. The file is sniffed from its first bytes (415 unless a PDF,
// JPEG or PNG), then sealed and streamed to the blob store (413 beyond
// collection.MaxDocumentBytes).
func (s *Server) readDocumentForm(ctx context.Context, body io.Reader, boundary string, blob documentBlob) (documentForm, error) {
	f := documentForm{kind: collection.DocumentKindOther}
	hasKind := false
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, documentFormProblem(err)
		}
		switch name := part.FormName(); name {
		case "kind":
			if hasKind {
				return f, invalidRequest("give the kind once", collection.FieldError{Field: "kind", Reason: "given twice"})
			}
			b, err := io.ReadAll(io.LimitReader(part, 65))
			if err != nil {
				return f, documentFormProblem(err)
			}
			if len(b) > 64 {
				return f, invalidRequest("kind is too long",
					collection.FieldError{Field: "kind", Reason: "must be one of " + strings.Join(collection.DocumentKinds(), ", ")})
			}
			hasKind = true
			if k := strings.ToLower(strings.TrimSpace(string(b))); k != "" {
				f.kind = k
			}
		case "file":
			if f.stored {
				return f, invalidRequest("send one file per document", collection.FieldError{Field: "file", Reason: "given twice"})
			}
			if err := s.storeDocumentFile(ctx, part, blob, &f); err != nil {
				return f, err
			}
		default:
			return f, invalidRequest("the form has a field a document does not have",
				collection.FieldError{Field: name, Reason: "unknown field (known: file, kind)"})
		}
	}
	if !f.stored {
		return f, invalidRequest("no file", collection.FieldError{Field: "file", Reason: "is required: the document, as a file field"})
	}
	return f, nil
}

// storeDocumentFile sniffs the file part and streams it, sealed, to the
// blob store.
func (s *Server) storeDocumentFile(ctx context.Context, part *multipart.Part, blob documentBlob, f *documentForm) error {
	br := bufio.NewReaderSize(clientReader{part}, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return documentFormProblem(err)
	}
	f.mediaType = sniffDocument(head)
	if f.mediaType == "" {
		return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"the file is not a PDF, JPEG or PNG: its content decides, not its name or Content-Type",
			collection.FieldError{Field: "file", Reason: "content is " + strings.SplitN(http.DetectContentType(head), ";", 2)[0] +
				", not application/pdf, image/jpeg or image/png"})
	}
	f.name = documentName(part.FileName(), f.mediaType)
	size, sum, err := s.docs.Put(ctx, blob.key, blob.debt.DebtorID, &capReader{r: br, left: collection.MaxDocumentBytes})
	var ce clientReadError
	switch {
	case errors.Is(err, errDocumentTooLarge):
		return documentTooLarge()
	case errors.As(err, &ce):
		return documentFormProblem(ce.err)
	case errors.Is(err, context.Canceled):
		return badRequest("the upload was interrupted")
	case errors.Is(err, keyring.ErrErased): // erased since the read model was read
		return documentRefusedErased(blob.debt.ID)
	case err != nil:
		return fmt.Errorf("store document %s: %w", blob.key, err)
	}
	f.stored, f.size, f.sha256 = true, size, sum
	return nil
}

// sniffDocument returns the media type of a file from its first bytes, or
// "" when it is not an allowed type. Both http.DetectContentType (the
// WHATWG sniffing algorithm) and the format's own signature must agree.
func sniffDocument(head []byte) string {
	detected := strings.SplitN(http.DetectContentType(head), ";", 2)[0]
	switch {
	case detected == collection.MediaTypePDF && bytes.HasPrefix(head, []byte("%PDF-")):
		return collection.MediaTypePDF
	case detected == collection.MediaTypePNG && bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return collection.MediaTypePNG
	case detected == collection.MediaTypeJPEG && bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return collection.MediaTypeJPEG
	}
	return ""
}

// extensions are the file name extensions of each media type, the usual
// one first.
var extensions = map[string][]string{
	collection.MediaTypePDF:  {".pdf"},
	collection.MediaTypeJPEG: {".jpg", ".jpeg"},
	collection.MediaTypePNG:  {".png"},
}

// documentName cleans the file name a client gave: no directory (a
// browser on Windows may send C:\…), no control or invisible characters
// (a bidi override makes "cod.exe" read "exe.doc"), one space between
// words, at most collection.MaxDocumentNameLength runes with the
// extension kept. An empty name becomes "document" with the type's
// extension.
func documentName(given, mediaType string) string {
	if i := strings.LastIndexAny(given, `/\`); i >= 0 {
		given = given[i+1:]
	}
	given = strings.ToValidUTF8(given, "")
	given = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, given)
	given = strings.Join(strings.Fields(given), " ")
	if strings.Trim(given, ".") == "" {
		return "document" + extensions[mediaType][0]
	}
	if utf8.RuneCountInString(given) > collection.MaxDocumentNameLength {
		ext := filepath.Ext(given)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(given, ext))
		given = strings.TrimSpace(string(runes[:collection.MaxDocumentNameLength-utf8.RuneCountInString(ext)])) + ext
	}
	return given
}

// downloadName is the name a download is saved under: the document's
// name, with the extension of its media type when it has another (a PNG
// uploaded as "scan.pdf" is saved as "scan.pdf.png"), so that the file
// opens as what it is.
func downloadName(name, mediaType string) string {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range extensions[mediaType] {
		if ext == e {
			return name
		}
	}
	return name + extensions[mediaType][0]
}

// contentDisposition is an attachment header carrying name safely (RFC
// 6266): an ASCII fallback for old clients, and the UTF-8 name as
// filename* (RFC 8187) for the others.
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	v := `attachment; filename="` + fallback + `"`
	if fallback != name {
		v += "; filename*=UTF-8''" + rfc8187(name)
	}
	return v
}

// rfc8187 percent-encodes every byte of s but the attr-chars of RFC 8187.
func rfc8187(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChars, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// documentList is GET /api/v1/debts/:id/documents: the debt's documents,
// newest first, for whoever may see the debt.
func (s *Server) documentList(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	debt, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, err := s.q.DocumentsOfDebt(ctx, debtID)
	if err != nil {
		return err
	}
	views, err := s.documentViews(ctx, debt, rows)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[documentView]{Items: views})
}

// documentContent is GET /api/v1/documents/:id/content: the file, for
// whoever may see its debt (another tenant's document is not found), or
// 410 once the debtor is erased. The stored blob is opened (a sealed one
// is authenticated segment by segment) and read once to check its size
// and SHA-256 against the recorded ones before a byte is sent, so a
// damaged file is a 500 (and logged), never served as if it were the
// original; it is then streamed with its recorded media type, as an
// attachment, not to be sniffed or cached. Repr-Digest (RFC 9530) carries
// the SHA-256 for the client to check.
func (s *Server) documentContent(c echo.Context) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.q.DocumentGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("document", id)
	}
	if err != nil {
		return err
	}
	debt, err := s.debtRow(c, d.DebtID)
	if err != nil {
		var p *Problem
		if errors.As(err, &p) && p.Status == http.StatusNotFound {
			return notFound("document", id)
		}
		return err
	}
	views, err := s.documentViews(ctx, debt, []store.Document{d})
	if err != nil {
		return err
	}
	view := views[0]
	if view.Erased {
		return documentGone(d.ID)
	}
	if err := s.verifyBlob(ctx, debt, d); err != nil {
		return err
	}
	rc, err := s.openBlob(ctx, debt, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	sum, _ := hex.DecodeString(d.Sha256)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, d.MediaType)
	h.Set(echo.HeaderContentLength, strconv.FormatInt(d.Size, 10))
	h.Set(echo.HeaderContentDisposition, contentDisposition(downloadName(view.Name, d.MediaType)))
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	h.Set("Cache-Control", "private, no-store")
	c.Response().WriteHeader(http.StatusOK)
	if n, err := io.CopyN(c.Response(), rc, d.Size); err != nil {
		// The status is sent: the client sees a body shorter than its
		// Content-Length, which every HTTP client reports as an error.
		s.log.Warn("document download cut short", "document_id", d.ID, "sent", n, "size", d.Size, "err", err)
	}
	return nil
}

// openBlob opens a document's blob, sealed under its debtor's data key or
// (written before sealing) in clear.
func (s *Server) openBlob(ctx context.Context, debt store.Debt, d store.Document) (io.ReadCloser, error) {
	rc, err := s.docs.Open(ctx, d.ID, debt.DebtorID)
	if errors.Is(err, keyring.ErrErased) { // erased since the read model was read
		return nil, documentGone(d.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", d.ID, err)
	}
	return rc, nil
}

// verifyBlob reads a document's blob through and compares its size and
// SHA-256 with the recorded ones (a sealed blob that does not open fails
// the read).
func (s *Server) verifyBlob(ctx context.Context, debt store.Debt, d store.Document) error {
	rc, err := s.openBlob(ctx, debt, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, d.Size+1))
	if err != nil {
		return fmt.Errorf("document %s: read blob: %w", d.ID, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != d.Size || got != d.Sha256 {
		return fmt.Errorf("document %s: the blob does not match its record: %d bytes with SHA-256 %s, recorded %d bytes with %s",
			d.ID, n, got, d.Size, d.Sha256)
	}
	return nil
}

// errDocumentTooLarge stops a file beyond collection.MaxDocumentBytes.
var errDocumentTooLarge = errors.New("document larger than the limit")

// capReader yields at most left bytes of r, and errDocumentTooLarge if r
// has more.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errDocumentTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errDocumentTooLarge
	}
	return n, err
}

// clientReadError marks an error reading the request (a client that went
// away, a malformed form, the body limit), told apart from the blob
// store's own failures.
type clientReadError struct{ err error }

func (e clientReadError) Error() string { return e.err.Error() }
func (e clientReadError) Unwrap() error { return e.err }

type clientReader struct{ r io.Reader }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = clientReadError{err}
	}
	return n, err
}

// documentFormProblem is the problem of an upload body that cannot be read.
func documentFormProblem(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return documentTooLarge()
	}
	return badRequest("the multipart/form-data body cannot be read")
}

func documentTooLarge() *Problem {
	return problem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
		fmt.Sprintf("a document is at most %d MiB", collection.MaxDocumentBytes>>20),
		collection.FieldError{Field: "file", Reason: fmt.Sprintf("larger than %d MiB", collection.MaxDocumentBytes>>20)})
}
