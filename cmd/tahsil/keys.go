package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

const keysUsage = `usage:
  tahsil keys fingerprint
      Print the fingerprint of the master key (safe to show; note it beside
      each copy of the key). Start-up refuses a key whose fingerprint is not
      the one the database records.
  tahsil keys rotate [--new-key-file PATH | --print-new-key]
      Rewrap every data key under a new master key, in one transaction, on a
      stopped system (every tahsil serve and tool stopped). The new key is
      generated, or read from PATH or TAHSIL_NEW_MASTER_KEY (base64 of 32
      bytes). With the data directory's master.key, the file is replaced.
      With TAHSIL_MASTER_KEY[_FILE], which tahsil cannot change, give the new
      key, or pass --print-new-key to have it generated and printed once on
      standard output; then set the secret to it before the next start.
`

func keysCommand(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	return dispatch("keys", keysUsage, args,
		subcommand{"fingerprint", func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("keys fingerprint: unexpected argument %q", args[0])
			}
			return keysFingerprint(ctx, cfg, log, os.Stdout)
		}},
		subcommand{"rotate", func(args []string) error { return keysRotate(ctx, cfg, log, args, os.Stdout) }},
	)
}

// keysFingerprint opens the master key as every command does, so it also
// reports a mismatch, and completes a rotation a crash interrupted.
func keysFingerprint(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		return err
	}
	defer in.close()
	fmt.Fprintf(stdout, "%s  %s\n", in.master.Fingerprint, in.master.Source)
	return nil
}

// rotateRequest is what `keys rotate` was asked, checked before anything
// starts.
type rotateRequest struct {
	newKey    []byte
	from      string // where newKey came from; empty when generated here
	printOnce bool
}

func parseRotate(cfg config, args []string) (rotateRequest, error) {
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, keysUsage) }
	file := fs.String("new-key-file", "", "read the new master key (base64 of 32 bytes) from this file")
	printKey := fs.Bool("print-new-key", false, "generate the new key and print it once on standard output")
	if err := fs.Parse(args); err != nil {
		return rotateRequest{}, fmt.Errorf("keys rotate: %w", err)
	}
	if fs.NArg() > 0 {
		return rotateRequest{}, fmt.Errorf("keys rotate: unexpected argument %q (a key is never an argument: arguments show in ps)", fs.Arg(0))
	}
	req := rotateRequest{printOnce: *printKey}
	var err error
	switch {
	case *file != "" && cfg.NewMasterKey != "":
		return req, fmt.Errorf("keys rotate: the new key is given twice, by --new-key-file and %s", cfg.NewMasterKeyFrom)
	case (*file != "" || cfg.NewMasterKey != "") && *printKey:
		return req, errors.New("keys rotate: --print-new-key prints a generated key, and the new key is given")
	case *file != "":
		req.from = *file
		req.newKey, err = keyring.ReadKeyFile(*file)
	case cfg.NewMasterKey != "":
		req.from = cfg.NewMasterKeyFrom
		req.newKey, err = keyring.ParseKey(cfg.NewMasterKey, cfg.NewMasterKeyFrom)
	case cfg.MasterKey != "" && !*printKey:
		return req, fmt.Errorf("keys rotate: the master key comes from %s, which tahsil cannot change: "+
			"give the new key (--new-key-file PATH, or TAHSIL_NEW_MASTER_KEY), "+
			"or pass --print-new-key to have one generated and printed once, and set %[1]s to it before the next start", cfg.MasterKeyFrom)
	default:
		req.newKey, err = keyring.NewKey()
	}
	if err != nil {
		return req, fmt.Errorf("keys rotate: new key: %w", err)
	}
	return req, nil
}

func keysRotate(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	req, err := parseRotate(cfg, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	// In embedded mode a running server owns the PostgreSQL: shareNever
	// refuses with the same advice as for a second serve.
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareNever, rotation: true})
	if err != nil {
		return err
	}
	defer in.close() // after the key file's rename: the lock is held until then
	if err := lockForRotation(ctx, in); err != nil {
		return err
	}
	r := keyring.Rotation{Source: masterSource(cfg), NewKey: req.newKey, Now: time.Now(), Log: log}
	if req.printOnce {
		r.SaveNewKey = func(key []byte) error { return printNewKey(stdout, key) }
	}
	done, err := keyring.Rotate(ctx, in.pool, r)
	if err != nil {
		if req.printOnce {
			fmt.Fprintln(stdout, "The rotation failed: unless the error says its outcome is unknown, the key printed above wraps nothing; discard it.")
		}
		return err
	}
	reportRotation(stdout, cfg, req, done)
	return nil
}

// lockForRotation takes the master-key lock exclusively, on a connection
// held until the infrastructure closes, and refuses while other Tahsil
// processes use the database: a server keeps its cached data keys and
// would wrap new ones with the old master key.
func lockForRotation(ctx context.Context, in *infra) error {
	var err error
	if in.keyLock, err = pgxConnect(ctx, in); err != nil {
		return err
	}
	q := store.New(in.keyLock)
	ok, err := q.MasterKeyUseTryExclusive(ctx)
	if err != nil {
		return fmt.Errorf("master key lock: %w", err)
	}
	users, err := q.MasterKeyUsers(ctx)
	if err != nil {
		return fmt.Errorf("list the processes using the master key: %w", err)
	}
	if ok && len(users) == 0 {
		return nil
	}
	lines := []string{"another process holds the master key lock"}
	if len(users) > 0 {
		lines = lines[:0]
		for _, u := range users {
			lines = append(lines, describeSession(u))
		}
	}
	return fmt.Errorf("keys rotate: other tahsil processes use this database; stop every tahsil serve and tool first (the master key is rotated on a stopped system):\n  %s",
		strings.Join(lines, "\n  "))
}

func describeSession(u store.MasterKeyUsersRow) string {
	name, since := "a session", ""
	if u.ApplicationName != nil && *u.ApplicationName != "" {
		name = *u.ApplicationName
	}
	if u.BackendStart != nil {
		since = ", connected since " + u.BackendStart.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s (from %s%s)", name, u.Client, since)
}

// printNewKey shows a generated key before the commit: once the
// transaction commits, this output is the only copy.
func printNewKey(w io.Writer, key []byte) error {
	_, err := fmt.Fprintf(w, "New master key (fingerprint %s), shown once; keep it now:\n\n  %s\n\n",
		keyring.Fingerprint(key), base64.StdEncoding.EncodeToString(key))
	if f, ok := w.(*os.File); ok {
		f.Sync() //nolint:errcheck // a terminal cannot be synced, a file can
	}
	return err
}

func reportRotation(w io.Writer, cfg config, req rotateRequest, done keyring.Rotated) {
	fmt.Fprintf(w, "Master key rotated: %d data keys rewrapped (%d destroyed keys had nothing to rewrap).\n", done.DataKeys, done.Destroyed)
	fmt.Fprintf(w, "  old fingerprint  %s\n  new fingerprint  %s\n", done.Old, done.New)
	switch {
	case cfg.MasterKey == "":
		fmt.Fprintf(w, "%s now holds the new key: copy it to your offline copies now, with its fingerprint.\n", masterSource(cfg))
	case req.from != "":
		fmt.Fprintf(w, "Set %s to the new key from %s before the next start: until then every command refuses the old key.\n", cfg.MasterKeyFrom, req.from)
	default:
		fmt.Fprintf(w, "Set %s to the new key printed above before the next start: until then every command refuses the old key.\n", cfg.MasterKeyFrom)
	}
	fmt.Fprintln(w, "Keep the old key for as long as you keep backups of the database taken before now: they open only with it.")
}
