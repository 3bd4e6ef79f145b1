package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/importcsv"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// A debt import reads a creditor's CSV file (importcsv) and opens one debt
// per row, registering the row's debtor when it is new. It runs in three
// steps, so that a row with an error is never applied, not even in part:
//
//  1. Read and check: every row is parsed, then validated as the API
//     validates a debt (collection.DebtInput) and, when its debtor is new,
//     a debtor (collection.DebtorInput). A row with any problem is reported
//     with its line and column and goes no further.
//  2. Match, with a few batched queries: a row whose (creditor,
//     external_ref) already names a debt is unchanged; a row's debtor is
//     the debtor holding its NIN or NIF, or, when the row gives neither, the
//     one debtor having one of its phone numbers; rows naming the same new
//     debtor share one registration. A dry run stops here.
//  3. Apply: the unique values (references, NIN, NIF) are claimed in
//     batches, the data keys created with one COPY per batch, and the
//     commands submitted by a pool of workers, each waiting for its own
//     outcome while the decider batches them into Kafka transactions. The
//     read models are waited for once, at the end.
//
// Re-importing a file is safe: what was created reads unchanged, the claims
// of the first run guarding against duplicates even while it still runs.

// Limits and rhythms of an import.
const (
	// MaxImportFileBytes is the largest file accepted (413 above).
	MaxImportFileBytes = importcsv.DefaultMaxBytes
	// MaxImportErrors bounds the errors an import keeps: the first found.
	// Failed still counts every failed row.
	MaxImportErrors = 10_000
	// importStaleAfter is how old the heartbeat of a running import may be
	// before it reads as interrupted: its process died.
	importStaleAfter = 30 * time.Second
	// importHeartbeat is how often a running import writes its progress
	// even when no row moved (while waiting for outcomes or projections).
	importHeartbeat = 5 * time.Second
	// importProgressRows is how many rows go by between progress writes.
	importProgressRows = 250
	// importChunk is how many rows are claimed and keyed in one batch.
	importChunk = 500
	// importLookupBatch is how many values one matching query looks up.
	importLookupBatch = 5000
	// importDrainGrace is how long the commands in flight when an import is
	// stopped get to finish before they are abandoned.
	importDrainGrace = 10 * time.Second
)

// Import statuses. An import is running until it is done; one stopped by
// a shutdown (or whose process died) is interrupted, one stopped by an
// internal error failed. Running the same file again is safe in every case.
const (
	ImportRunning     = "running"
	ImportDone        = "done"
	ImportInterrupted = "interrupted"
	ImportFailed      = "failed"
)

// OperatorID is the account the system operator stands for where a
// command needs one and the command line has none: the "by" of the debts
// `tahsil import debts` opens. The events' actor (role system, the tool,
// the login and host that ran it) says who it was.
const OperatorID = "00000000-0000-7000-8000-000000000000"

// ImporterConfig configures an Importer: the API server's own dependencies.
type ImporterConfig struct {
	Pool     *pgxpool.Pool
	Bus      Bus
	Progress Progress
	Registry *events.Registry
	Sealer   *events.Sealer
	Keys     *keyring.Keyring
	// ClaimKey keys the digests of unique values; it must be the API's, or
	// an import would not see what the API claimed.
	ClaimKey []byte
	Logger   *slog.Logger
	Now      func() time.Time
	// Workers is how many commands an import keeps in flight (default
	// 1024). The decider folds concurrent commands into one Kafka
	// transaction, so throughput grows with it until the broker's fsyncs
	// or PostgreSQL saturate: 100,000 rows took 60 s with 256 and 36.5 s
	// with 1024 on the benchmark machine (docs/PERFORMANCE.md).
	Workers int
	// OutcomeWait bounds the wait for one command's outcome (default 2 min);
	// a command still undecided then is reported on its row.
	OutcomeWait time.Duration
	// ProjectionWait bounds the final wait for the read models (default 2
	// min): when it runs out the import is done all the same, the lists
	// catching up a moment later.
	ProjectionWait time.Duration
}

func (c *ImporterConfig) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers == 0 {
		c.Workers = 1024
	}
	if c.OutcomeWait == 0 {
		c.OutcomeWait = 2 * time.Minute
	}
	if c.ProjectionWait == 0 {
		c.ProjectionWait = 2 * time.Minute
	}
}

// Validate reports every missing dependency at once.
func (c ImporterConfig) Validate() error {
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("importer: no database pool"))
	}
	if c.Bus == nil {
		errs = append(errs, errors.New("importer: no bus"))
	}
	if c.Progress == nil {
		errs = append(errs, errors.New("importer: no projection progress"))
	}
	if c.Registry == nil || c.Sealer == nil || c.Keys == nil {
		errs = append(errs, errors.New("importer: registry, sealer and keyring are required"))
	}
	if len(c.ClaimKey) < 32 {
		errs = append(errs, errors.New("importer: claim key must be at least 32 bytes"))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("importer: %d workers", c.Workers))
	}
	return errors.Join(errs...)
}

// Importer imports creditors' debt files. The API runs it in the
// background of POST /api/v1/imports/debts; `tahsil import debts` runs it
// in the foreground. Both go through the same steps and records.
type Importer struct {
	s   *Server // the claims, references and command envelopes of the API
	cfg ImporterConfig
}

// NewImporter returns an importer outside an API server (the command line).
func NewImporter(cfg ImporterConfig) (*Importer, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: Config{
			Pool: cfg.Pool, Bus: cfg.Bus, Progress: cfg.Progress, Registry: cfg.Registry, Sealer: cfg.Sealer,
			Keys: cfg.Keys, ClaimKey: cfg.ClaimKey, Logger: cfg.Logger, Now: cfg.Now,
		},
		q: store.New(cfg.Pool), log: cfg.Logger,
	}
	return &Importer{s: s, cfg: cfg}, nil
}

// newImporter is the importer of an API server.
func newImporter(s *Server) *Importer {
	cfg := ImporterConfig{
		Pool: s.cfg.Pool, Bus: s.cfg.Bus, Progress: s.cfg.Progress, Registry: s.cfg.Registry, Sealer: s.cfg.Sealer,
		Keys: s.cfg.Keys, ClaimKey: s.cfg.ClaimKey, Logger: s.log, Now: s.cfg.Now,
	}
	cfg.setDefaults()
	return &Importer{s: s, cfg: cfg}
}

// ImportRequest is a file to import.
type ImportRequest struct {
	// CreditorID is the creditor whose debts the file lists.
	CreditorID string
	// FileName is the name the file was sent under (shown, never trusted).
	FileName string
	// ContentType is the media type the client declared for the file, if
	// any; the content decides, but a declared workbook or PDF is refused.
	ContentType string
	Data        []byte
	// DryRun validates and matches every row and writes nothing but the
	// import record.
	DryRun bool
	// CreditorScoped is set when the creditor imports through its own
	// account: a row without NIN or NIF is then matched by phone only to
	// the debtors the creditor already sees, so that a file cannot reveal
	// who else has a phone number. (A NIN or NIF is the person's own
	// identifier: those match every debtor, as for staff.)
	CreditorScoped bool
	// Actor is who imports: the signed-in principal, or the system
	// operator on the command line. By is the account the debts are opened
	// by (OperatorID when empty), CreatedBy the account recorded on the
	// import (nil for the command line).
	Actor     events.Actor
	By        string
	CreatedBy *string
}

// ImportCounts are an import's row counters. Processed rows have their
// final result: created (or, in a dry run, to be created), unchanged, or
// failed.
type ImportCounts struct {
	Total     int `json:"total"`
	Processed int `json:"processed"`
	Created   int `json:"created"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// ImportError is one problem of a row, where a spreadsheet user finds it:
// the 1-based physical line and column (0 when the problem is not in one
// column). Reasons never repeat the value, which is personal data.
type ImportError struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Error implements error: "line 3, column 2 (principal): cannot be negative".
func (e ImportError) Error() string {
	return importcsv.CellError{Line: e.Line, Column: e.Column, Field: e.Field, Reason: e.Reason}.Error()
}

// ImportResult is how an import ended.
type ImportResult struct {
	ID     string
	Status string
	ImportCounts
	// Errors are sorted by line and column; at most MaxImportErrors, and
	// ErrorsTruncated says some were left out.
	Errors          []ImportError
	ErrorsTruncated bool
	// Failure says why an interrupted or failed import stopped.
	Failure string
}

// PreparedImport is a file read and recorded, ready to Run.
type PreparedImport struct {
	ID        string
	StartedAt time.Time
	req       ImportRequest
	file      *importcsv.File
}

// Total is the number of data rows in the file.
func (p *PreparedImport) Total() int { return len(p.file.Rows) }

// Prepare checks the file and the creditor and records the import as
// running. It returns a *Problem when the request cannot be imported: a
// file that is not CSV text (415), or a creditor that is not active, or a
// file whose header, encoding or size is wrong, or that has no row (422,
// every problem named with its line and column).
func (im *Importer) Prepare(ctx context.Context, req ImportRequest) (*PreparedImport, error) {
	if reason := notCSV(req.ContentType, req.Data); reason != "" {
		return nil, problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			reason, collection.FieldError{Field: "file", Reason: reason})
	}
	var fe collection.FieldErrors
	creditorID, err := canonicalUUID(req.CreditorID)
	if err != nil {
		fe.Add("creditor_id", "must be a creditor's id (a UUID)")
	} else if err := im.creditorActive(ctx, creditorID); err != nil {
		var p *Problem
		if !errors.As(err, &p) {
			return nil, err
		}
		fe.Add("creditor_id", p.Detail)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	f, err := importcsv.Read(bytes.NewReader(req.Data), importcsv.Options{MaxBytes: MaxImportFileBytes})
	var fileErr *importcsv.FileError
	if errors.As(err, &fileErr) {
		errs := make([]collection.FieldError, len(fileErr.Problems))
		for i, p := range fileErr.Problems {
			errs[i] = collection.FieldError{Field: "file", Reason: p.Error()}
		}
		return nil, invalidRequest("the file cannot be imported: "+fileErr.Problems[0].Error(), errs...)
	}
	if err != nil {
		return nil, err
	}
	if len(f.Rows) == 0 {
		return nil, invalidRequest("the file has a header but no row: there is nothing to import",
			collection.FieldError{Field: "file", Reason: "has no row"})
	}
	req.CreditorID = creditorID
	if req.By == "" {
		req.By = OperatorID
	}
	p := &PreparedImport{ID: newID(), StartedAt: im.cfg.Now().UTC(), req: req, file: f}
	sum := sha256.Sum256(req.Data)
	role := req.Actor.Role
	if role == "" {
		role = "system"
	}
	if err := im.s.q.ImportInsert(ctx, store.ImportInsertParams{
		ID: p.ID, CreditorID: creditorID, CreatedBy: req.CreatedBy, CreatedByRole: role,
		FileName: cleanFileName(req.FileName), FileSize: int64(len(req.Data)), FileSha256: sum[:],
		DryRun: req.DryRun, Total: int32(len(f.Rows)), StartedAt: p.StartedAt,
	}); err != nil {
		return nil, fmt.Errorf("record import: %w", err)
	}
	p.req.Data = nil // read: the rows hold what is needed
	return p, nil
}

func canonicalUUID(s string) (string, error) {
	u, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// creditorActive checks that the creditor exists and is active.
func (im *Importer) creditorActive(ctx context.Context, id string) error {
	row, err := im.s.q.CreditorGet(ctx, store.CreditorGetParams{ID: id})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound("creditor", id)
	case err != nil:
		return err
	case row.Status != collection.StatusActive:
		return problem(http.StatusConflict, "archived", "The creditor is not active", "the creditor is "+row.Status)
	}
	return nil
}

// cleanFileName keeps the base name of what the client called the file,
// without control characters, at most 255 characters.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > 255 {
		name = string([]rune(name)[:255])
	}
	return strings.TrimSpace(name)
}

// notCSV says why data (declared as contentType) is not a CSV text file,
// or "" when it may be one. Only the refusals a file's first bytes or its
// declared type make certain are made here; importcsv reports the rest
// (a Windows code page, a wrong header) with their lines.
func notCSV(contentType string, data []byte) string {
	const save = `: save it as "CSV UTF-8" (comma or semicolon separated) and send that file`
	head := data[:min(len(data), 8192)]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "the file is a workbook (.xlsx or .ods) or an archive, not CSV text" + save
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return "the file is an old Excel workbook (.xls), not CSV text" + save
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "the file is a PDF document, not CSV text" + save
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		return `the file is in UTF-16 ("Unicode text"), not UTF-8` + save
	case bytes.IndexByte(head, 0) >= 0:
		return "the file is binary, not CSV text" + save
	}
	if detected := http.DetectContentType(head); !strings.HasPrefix(detected, "text/") {
		return "the file is " + detected + ", not CSV text" + save
	}
	mt := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch {
	case strings.HasPrefix(mt, "application/vnd.openxmlformats"), strings.HasPrefix(mt, "application/vnd.oasis.opendocument"),
		mt == "application/pdf", mt == "application/zip", mt == "application/gzip",
		strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return "the file is declared as " + mt + ", not CSV text" + save
	}
	return ""
}

// Run imports a prepared file and records how it ends. It returns when
// every row has its result, or, when ctx ends first, once the commands in
// flight are decided (the import then reads interrupted). onProgress, when
// set, is called from another goroutine a few times a second while the
// counters move. Run records its own failures in the import and returns
// them in the result; it does not return an error.
func (im *Importer) Run(ctx context.Context, p *PreparedImport, onProgress func(ImportCounts)) ImportResult {
	r := &importRun{
		im: im, s: im.s, p: p, creditor: p.req.CreditorID, cols: map[string]int{},
		counts: ImportCounts{Total: len(p.file.Rows)}, offsets: map[int32]int64{},
	}
	for _, c := range p.file.Header {
		if c.Field != "" {
			r.cols[c.Field] = c.Index
		}
	}
	stopFlush := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		r.flushLoop(ctx, stopFlush, onProgress)
	}()

	err := r.run(ctx)
	close(stopFlush)
	<-flushed

	res := ImportResult{ID: p.ID, Status: ImportDone}
	r.mu.Lock()
	res.ImportCounts = r.counts
	res.Errors = sortedErrors(r.errs)
	res.ErrorsTruncated = r.truncated
	r.mu.Unlock()
	switch {
	case ctx.Err() != nil && res.Processed < res.Total:
		res.Status = ImportInterrupted
		res.Failure = "the import was stopped (the server or the command shut down) before every row was processed; " +
			"importing the same file again is safe: the debts already created read unchanged"
	case err != nil:
		im.cfg.Logger.Error("debt import failed", "import", p.ID, "err", err)
		res.Status = ImportFailed
		res.Failure = "an internal error stopped the import (it has been logged); importing the same file again is safe: " +
			"the debts already created read unchanged"
	}
	errsJSON, _ := json.Marshal(res.Errors)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := im.s.q.ImportFinish(wctx, store.ImportFinishParams{
		ID: p.ID, Status: res.Status, Processed: int32(res.Processed), Created: int32(res.Created),
		Unchanged: int32(res.Unchanged), Failed: int32(res.Failed), Errors: errsJSON,
		ErrorsTruncated: res.ErrorsTruncated, Failure: res.Failure, At: im.cfg.Now().UTC(),
	}); err != nil {
		im.cfg.Logger.Error("record the end of a debt import", "import", p.ID, "err", err)
	}
	if onProgress != nil {
		onProgress(res.ImportCounts)
	}
	return res
}

func sortedErrors(errs []ImportError) []ImportError {
	out := slices.Clone(errs)
	slices.SortStableFunc(out, func(a, b ImportError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if out == nil {
		out = []ImportError{}
	}
	return out
}

// importRun is the state of one Run.
type importRun struct {
	im       *Importer
	s        *Server
	p        *PreparedImport
	creditor string
	cols     map[string]int // importcsv field → 1-based column

	mu        sync.Mutex
	counts    ImportCounts
	errs      []ImportError
	truncated bool
	errsDirty bool
	offsets   map[int32]int64 // the last event offset per partition of accepted commands
}

// importRow is a row on its way to a debt.
type importRow struct {
	line   int
	rec    *importcsv.Record
	cmd    collection.OpenDebt
	text   collection.DebtPersonal // sealed under the debtor's key once the debtor is known
	extKey string
	// The debtor: an existing one, or one the import registers.
	debtorID string
	group    *importDebtor
	// Set when applying: the debt's id and reference, and the values this
	// run claimed for it (released if the debt is not opened).
	id, ref string
	claims  []claimed
	skip    bool
}

// importDebtor is a new debtor, shared by the rows that name it.
type importDebtor struct {
	line     int // of the first row naming it
	nin, nif string
	members  []*importRow
	founded  bool // a member's debtor fields pass collection.DebtorInput
	profile  collection.DebtorProfile
	personal collection.DebtorPersonal

	id, ref string
	claims  []claimed
	sealed  collection.Sealed
	lost    string // why it cannot be registered, found while claiming

	once sync.Once
	err  string // why its registration failed: its rows fail with it
}

// claimed is a unique value a run holds.
type claimed struct{ kind, value, aggregateID string }

func (r *importRun) run(ctx context.Context) error {
	rows, err := r.plan(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if r.p.req.DryRun {
		r.mu.Lock()
		r.counts.Created += len(rows)
		r.counts.Processed += len(rows)
		r.mu.Unlock()
		return nil
	}
	err = r.apply(ctx, rows)
	r.waitReadModels(ctx)
	return err
}

// failRow records a row's errors and counts it failed.
func (r *importRun) failRow(errs ...ImportError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.Failed++
	r.counts.Processed++
	for _, e := range errs {
		if len(r.errs) >= MaxImportErrors {
			r.truncated = true
			break
		}
		r.errs = append(r.errs, e)
	}
	r.errsDirty = true
}

func (r *importRun) rowDone(created bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.Processed++
	if created {
		r.counts.Created++
	} else {
		r.counts.Unchanged++
	}
}

// cellError is a problem of a row in a column of the file.
func (r *importRun) cellError(line int, field, reason string) ImportError {
	return ImportError{Line: line, Column: r.cols[field], Field: field, Reason: reason}
}

// flushLoop reports the counters to onProgress a few times a second and
// writes them to the import every importProgressRows rows, at least every
// importHeartbeat, until stop.
func (r *importRun) flushLoop(ctx context.Context, stop <-chan struct{}, onProgress func(ImportCounts)) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var shown, written ImportCounts
	lastWrite := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		counts, dirty := r.counts, r.errsDirty
		var errs []ImportError
		var truncated bool
		if dirty {
			errs, truncated = sortedErrors(r.errs), r.truncated
			r.errsDirty = false
		}
		r.mu.Unlock()
		if onProgress != nil && counts != shown {
			onProgress(counts)
			shown = counts
		}
		since := time.Since(lastWrite)
		if !dirty && counts.Processed-written.Processed < importProgressRows &&
			!(counts != written && since >= time.Second) && since < importHeartbeat {
			continue
		}
		p := store.ImportProgressParams{
			ID: r.p.ID, Processed: int32(counts.Processed), Created: int32(counts.Created),
			Unchanged: int32(counts.Unchanged), Failed: int32(counts.Failed), At: r.im.cfg.Now().UTC(),
		}
		if dirty {
			p.Errors, _ = json.Marshal(errs)
			p.ErrorsTruncated = &truncated
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := r.s.q.ImportProgress(wctx, p)
		cancel()
		if err != nil {
			r.im.cfg.Logger.Warn("debt import: record progress", "import", r.p.ID, "err", err)
			if dirty {
				r.mu.Lock()
				r.errsDirty = true
				r.mu.Unlock()
			}
			continue
		}
		written, lastWrite = counts, time.Now()
	}
}
