package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// importDebtsPath is the route of a debt import. The global body limit
// skips it: importCreate bounds the body itself, to the file's limit.
const importDebtsPath = "/api/v1/imports/debts"

// MaxImportBodyBytes bounds the body of an import request: the file and
// the few form fields around it (413 above).
const MaxImportBodyBytes = MaxImportFileBytes + 1<<20

// maxRunningImports bounds the imports one API process runs at once: each
// holds its file's rows in memory (a few hundred bytes per row). Beyond
// it, POST answers 429.
const maxRunningImports = 4

// importRuns are the imports running in the background of the server.
// They outlive the request that started them and stop with the server:
// Close cancels them and waits until each has recorded where it stopped.
type importRuns struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
}

func newImportRuns() *importRuns {
	ctx, cancel := context.WithCancel(context.Background())
	return &importRuns{ctx: ctx, cancel: cancel, slots: make(chan struct{}, maxRunningImports)}
}

// stop interrupts the running imports and waits until they have recorded
// it: the commands in flight are decided first (importDrainGrace), the
// rows not sent are left for a re-run, which is safe.
func (r *importRuns) stop() {
	r.cancel()
	r.wg.Wait()
}

// importView is an import as GET /api/v1/imports/:id shows it.
type importView struct {
	ID         string `json:"id"`
	CreditorID string `json:"creditor_id"`
	FileName   string `json:"file_name"`
	FileSize   int64  `json:"file_size"`
	DryRun     bool   `json:"dry_run"`
	Status     string `json:"status"`
	ImportCounts
	Errors          json.RawMessage `json:"errors"`
	ErrorsTruncated bool            `json:"errors_truncated"`
	Failure         string          `json:"failure,omitempty"`
	CreatedBy       *string         `json:"created_by"`
	StartedAt       time.Time       `json:"started_at"`
	FinishedAt      *time.Time      `json:"finished_at"`
}

func newImportView(r store.ImportGetRow) importView {
	errs := json.RawMessage(r.Errors)
	if len(errs) == 0 {
		errs = json.RawMessage("[]")
	}
	return importView{
		ID: r.ID, CreditorID: r.CreditorID, FileName: r.FileName, FileSize: r.FileSize, DryRun: r.DryRun,
		Status: r.Status,
		ImportCounts: ImportCounts{Total: int(r.Total), Processed: int(r.Processed), Created: int(r.Created),
			Unchanged: int(r.Unchanged), Failed: int(r.Failed)},
		Errors: errs, ErrorsTruncated: r.ErrorsTruncated, Failure: r.Failure, CreatedBy: r.CreatedBy,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
	}
}

// importCreate starts an import of debts from a CSV file: POST
// /api/v1/imports/debts, multipart/form-data with the fields creditor_id
// and file, ?dry_run=true to validate only. The file is read and checked
// before the answer (415 for what is not CSV text, 422 for a header or
// encoding the format refuses); the rows are then imported in the
// background and the answer is 202 with the import, whose progress GET
// /api/v1/imports/:id shows.
func (s *Server) importCreate(c echo.Context) error {
	req := c.Request()
	if req.ContentLength > MaxImportBodyBytes {
		return importTooLarge()
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, MaxImportBodyBytes)
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"send the file as multipart/form-data, with the fields creditor_id and file (a CSV UTF-8 file)")
	}
	dryRun, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	select {
	case s.imports.slots <- struct{}{}:
	default:
		return tooMany(c, 30*time.Second, "this server is already running its most imports at once")
	}
	started := false
	defer func() {
		if !started {
			<-s.imports.slots
		}
	}()
	form, err := readImportForm(req.Body, params["boundary"])
	if err != nil {
		return err
	}

	p := principalOf(c)
	creditorID := strings.TrimSpace(form.creditorID)
	var fe collection.FieldErrors
	switch {
	case p.Role == access.RoleCreditor && creditorID == "":
		creditorID = p.CreditorID
	case p.Role == access.RoleCreditor && !strings.EqualFold(creditorID, p.CreditorID):
		// Refused, never silently replaced by the creditor's own id.
		return problem(http.StatusForbidden, "field-forbidden", "Field not settable by your role",
			"a creditor imports its own debts only; leave creditor_id out",
			collection.FieldError{Field: "creditor_id", Reason: "must be your own creditor id, or left out"})
	case creditorID == "":
		fe.Add("creditor_id", "is required")
	}
	if !form.hasFile {
		fe.Add("file", "is required: the CSV file, as a file field")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	var createdBy *string
	if p.AccountID != "" {
		createdBy = &p.AccountID
	}
	by := p.AccountID
	ctx := req.Context()
	prep, err := s.importer.Prepare(ctx, ImportRequest{
		CreditorID: creditorID, FileName: form.fileName, ContentType: form.contentType, Data: form.file,
		DryRun: dryRun, CreditorScoped: p.Role == access.RoleCreditor, Actor: actor(c), By: by, CreatedBy: createdBy,
	})
	if err != nil {
		return err
	}
	started = true
	s.imports.wg.Add(1)
	go func() {
		defer s.imports.wg.Done()
		defer func() { <-s.imports.slots }()
		res := s.importer.Run(s.imports.ctx, prep, nil)
		s.log.Info("debt import ended", "import", res.ID, "creditor", prep.req.CreditorID, "status", res.Status,
			"dry_run", dryRun, "total", res.Total, "created", res.Created, "unchanged", res.Unchanged, "failed", res.Failed)
	}()
	row, err := s.q.ImportGet(ctx, store.ImportGetParams{ID: prep.ID, StaleBefore: s.cfg.Now().UTC().Add(-importStaleAfter)})
	if err != nil {
		return err
	}
	href := "/api/v1/imports/" + prep.ID
	c.Response().Header().Set(echo.HeaderLocation, href)
	return c.JSON(http.StatusAccepted, newImportView(row))
}

// importGet shows an import and its progress: GET /api/v1/imports/:id. A
// creditor's account sees its own imports only; any other id is not found.
func (s *Server) importGet(c echo.Context) error {
	id, err := pathID(c, "import")
	if err != nil {
		return err
	}
	row, err := s.q.ImportGet(c.Request().Context(), store.ImportGetParams{
		ID: id, ScopeCreditor: scopeOf(c).creditor, StaleBefore: s.cfg.Now().UTC().Add(-importStaleAfter),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("import", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newImportView(row))
}

// importForm is the multipart body of an import.
type importForm struct {
	creditorID  string
	hasFile     bool
	fileName    string
	contentType string
	file        []byte
}

// readImportForm reads the fields creditor_id and file, refusing any
// other, a second file and a file over MaxImportFileBytes.
func readImportForm(body io.Reader, boundary string) (importForm, error) {
	var f importForm
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return f, formProblem(err)
		}
		switch name := part.FormName(); name {
		case "creditor_id":
			b, err := io.ReadAll(io.LimitReader(part, 101))
			if err != nil {
				return f, formProblem(err)
			}
			if len(b) > 100 {
				return f, invalidRequest("creditor_id is too long", collection.FieldError{Field: "creditor_id", Reason: "must be a creditor's id (a UUID)"})
			}
			f.creditorID = string(b)
		case "file":
			if f.hasFile {
				return f, invalidRequest("send one file per import", collection.FieldError{Field: "file", Reason: "given twice"})
			}
			f.hasFile, f.fileName, f.contentType = true, part.FileName(), part.Header.Get(echo.HeaderContentType)
			if f.file, err = io.ReadAll(io.LimitReader(part, MaxImportFileBytes+1)); err != nil {
				return f, formProblem(err)
			}
			if len(f.file) > MaxImportFileBytes {
				return f, importTooLarge()
			}
		default:
			return f, invalidRequest("the form has a field an import does not have",
				collection.FieldError{Field: name, Reason: "unknown field (known: creditor_id, file)"})
		}
	}
}

// formProblem is the problem of a multipart body that cannot be read.
func formProblem(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return importTooLarge()
	}
	return badRequest("the multipart/form-data body cannot be read")
}

func importTooLarge() *Problem {
	return problem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
		fmt.Sprintf("the file exceeds the limit of %d MiB: split it into several files", MaxImportFileBytes>>20),
		collection.FieldError{Field: "file", Reason: fmt.Sprintf("larger than %d MiB", MaxImportFileBytes>>20)})
}

// queryBool reads a boolean query parameter: true or false (1 or 0),
// false when absent.
func queryBool(c echo.Context, name string) (bool, error) {
	switch strings.ToLower(c.QueryParam(name)) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, badRequest(name+" must be true or false", collection.FieldError{Field: name, Reason: "must be true or false"})
}
