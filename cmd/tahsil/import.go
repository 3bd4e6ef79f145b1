package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/projections"
)

const importUsage = `usage:
  tahsil import debts --creditor ID [--dry-run] FILE
      Imports a creditor's debts from a CSV UTF-8 file: one debt and its
      debtor per row (the columns, with their French, English and Arabic
      names, are those of POST /api/v1/imports/debts). Debtors are matched
      by NIN or NIF, or by phone when the row has neither, and registered
      when new; a debt whose reference the creditor already has is left
      unchanged, so importing a file again creates nothing twice. A row
      with an error is reported with its line and column and not applied.
      --dry-run checks and matches every row and changes nothing.

      The command works on the data directory's (or the configured)
      Kafka and PostgreSQL directly, as the system operator, like users
      create: beside a running server, or alone on a stopped system. It
      exits 1 when a row was not imported. Ctrl-C stops it cleanly; running
      it again is safe.
`

func importCommand(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	return dispatch("import", importUsage, args,
		subcommand{"debts", func(args []string) error { return importDebts(ctx, cfg, log, args, os.Stdout, os.Stderr) }},
	)
}

// maxErrorsShown bounds the row errors printed; the import record keeps
// the first api.MaxImportErrors.
const maxErrorsShown = 100

// importDebts is `tahsil import debts`. It runs the API's importer in this
// process rather than uploading the file to a server: the command line
// has no account to sign in with, and the system operator, who can read
// the data directory (or holds the master key and the addresses), acts
// directly, as `users create` does. The import is recorded like one made
// through the API, and GET /api/v1/imports/{id} shows it.
func importDebts(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import debts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage) }
	creditor := fs.String("creditor", "", "the id of the creditor whose debts the file lists (required)")
	dryRun := fs.Bool("dry-run", false, "check and match every row, change nothing")
	// Flags may come before or after the file.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("import debts: %w", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	var problems []string
	if strings.TrimSpace(*creditor) == "" {
		problems = append(problems, "--creditor: the creditor's id is required")
	}
	if len(files) != 1 {
		problems = append(problems, fmt.Sprintf("FILE: give exactly one file (got %d)", len(files)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("import debts: invalid input:\n  %s", strings.Join(problems, "\n  "))
	}
	path := files[0]
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("import debts: %w", err)
	}
	if fi.Size() > api.MaxImportFileBytes {
		return fmt.Errorf("import debts: %s is larger than %d MiB: split it into several files", path, api.MaxImportFileBytes>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import debts: %w", err)
	}

	// Ctrl-C interrupts the import cleanly: the commands in flight are
	// decided, the rest is left for a re-run. A second Ctrl-C ends at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	c, err := openConsole(context.WithoutCancel(ctx), cfg, log, shareAllowed)
	if err != nil {
		return err
	}
	defer c.close()
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	progress := projections.NewProgress(c.in.pool, projections.EventProjectionNames(), log)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = progress.Run(pctx) // returns when pctx ends
	}()
	defer func() { cancel(); <-done }()
	im, err := api.NewImporter(api.ImporterConfig{
		Pool: c.in.pool, Bus: c.bus, Progress: progress, Registry: c.in.registry, Sealer: c.in.sealer,
		Keys: c.in.keys, ClaimKey: c.in.master.ClaimKey, Logger: log,
	})
	if err != nil {
		return err
	}
	prep, err := im.Prepare(ctx, api.ImportRequest{
		CreditorID: *creditor, FileName: filepath.Base(path), Data: data, DryRun: *dryRun,
		Actor: operator("import debts"),
	})
	if err != nil {
		return fmt.Errorf("import debts: %s", describeImportError(err))
	}
	what := "importing"
	if *dryRun {
		what = "checking"
	}
	bar := progressbar.NewOptions(prep.Total(), progressbar.OptionSetDescription(what),
		progressbar.OptionSetWriter(stderr), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"), progressbar.OptionThrottle(100*time.Millisecond))
	res := im.Run(ctx, prep, func(n api.ImportCounts) { _ = bar.Set(n.Processed) })
	_ = bar.Finish()
	fmt.Fprintln(stderr)

	verb := "created"
	if *dryRun {
		verb = "to create"
	}
	fmt.Fprintf(stdout, "import %s (%s): %d rows: %d %s, %d unchanged, %d failed\n",
		res.ID, res.Status, res.Total, res.Created, verb, res.Unchanged, res.Failed)
	for i, e := range res.Errors {
		if i == maxErrorsShown {
			fmt.Fprintf(stdout, "  ... and %d more errors (GET /api/v1/imports/%s lists them)\n", len(res.Errors)-i, res.ID)
			break
		}
		fmt.Fprintf(stdout, "  %s\n", e.Error())
	}
	if res.ErrorsTruncated {
		fmt.Fprintf(stdout, "  (only the first %d errors were kept)\n", api.MaxImportErrors)
	}
	switch {
	case res.Status != api.ImportDone:
		return fmt.Errorf("import debts: %s: %s", res.Status, res.Failure)
	case res.Failed > 0:
		return fmt.Errorf("import debts: %d of %d rows were not imported; fix them and import the file again (what was imported reads unchanged)", res.Failed, res.Total)
	}
	return nil
}

// describeImportError turns what Prepare refuses into the operator's terms.
func describeImportError(err error) string {
	var fields []collection.FieldError
	var p *api.Problem
	if errors.As(err, &p) {
		if len(p.Errors) == 0 {
			return p.Detail
		}
		fields = p.Errors
	} else if rej, ok := collection.AsRejection(err); ok && len(rej.Errors) > 0 {
		fields = rej.Errors
	} else {
		return err.Error()
	}
	lines := make([]string, 0, len(fields))
	for _, fe := range fields {
		switch fe.Field {
		case "creditor_id":
			lines = append(lines, "--creditor: "+fe.Reason)
		case "file":
			lines = append(lines, fe.Reason)
		default:
			lines = append(lines, fe.Field+": "+fe.Reason)
		}
	}
	return "nothing was imported:\n  " + strings.Join(lines, "\n  ")
}
