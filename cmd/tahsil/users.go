package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/store"
)

const usersUsage = `usage:
  tahsil users create --email E --name N --role admin|agent|auditor [--phone P]
      The password is read from standard input (one line) when it is not a
      terminal, else asked twice without echo. The user enrols an
      authenticator app (TOTP) at their first sign-in.
  tahsil users list [--role R] [--status S]
`

func usersCommand(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	return dispatch("users", usersUsage, args,
		subcommand{"create", func(args []string) error {
			return userCreate(ctx, cfg, log, args, os.Stdin, os.Stdout, os.Stderr)
		}},
		subcommand{"list", func(args []string) error { return userList(ctx, cfg, log, args, os.Stdout) }},
	)
}

// flagOf names the command-line flag of an input field in messages.
var flagOf = map[string]string{"email": "--email", "full_name": "--name", "phone": "--phone", "role": "--role", "password": "password"}

// userCreate creates an active staff account: `tahsil users create`. It
// is how the first admin of an installation comes to be; later ones can
// also be created by an admin through POST /api/v1/users.
func userCreate(ctx context.Context, cfg config, log *slog.Logger, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usersUsage) }
	var in collection.StaffInput
	fs.StringVar(&in.Email, "email", "", "the login e-mail (required)")
	fs.StringVar(&in.FullName, "name", "", "the person's full name (required)")
	fs.StringVar(&in.Role, "role", "", "admin, agent or auditor (required)")
	fs.StringVar(&in.Phone, "phone", "", "a phone number (optional)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("users create: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("users create: unexpected argument %q (the password is read from standard input, never from the command line)", fs.Arg(0))
	}
	// Everything that can be checked without the infrastructure is, and
	// every problem is reported at once, before a password is asked.
	_, _, verr := in.Validate()
	problems := fieldProblems(verr)
	if verr != nil && problems == nil {
		return fmt.Errorf("users create: %w", verr)
	}
	if len(problems) > 0 {
		return fmt.Errorf("users create: invalid input:\n  %s", strings.Join(problems, "\n  "))
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return fmt.Errorf("users create: %w", err)
	}
	if reason := access.CheckPassword(password); reason != "" {
		return fmt.Errorf("users create: password refused: %s", reason)
	}

	c, err := openConsole(ctx, cfg, log, shareAllowed)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	id, err := c.ids.CreateStaff(ctx, in, password, identity.BusSubmitter(c.bus, c.in.registry, c.in.pool, operator("users create")))
	if err != nil {
		return fmt.Errorf("users create: %w", describeAccountError(err, in.Email))
	}
	fmt.Fprintf(stdout, "created %s account %s for %s\n", strings.TrimSpace(in.Role), id, identity.NormalizeEmail(in.Email))
	fmt.Fprintf(stdout, "They sign in with this e-mail and password (POST /api/v1/auth/login) and enrol an authenticator app (TOTP) at their first sign-in.\n")
	return nil
}

// describeAccountError turns what CreateStaff refuses into the operator's
// terms.
func describeAccountError(err error, email string) error {
	if errors.Is(err, identity.ErrEmailTaken) {
		return fmt.Errorf("%s is already an account's login", identity.NormalizeEmail(email))
	}
	if problems := fieldProblems(err); len(problems) > 0 {
		return fmt.Errorf("invalid input:\n  %s", strings.Join(problems, "\n  "))
	}
	if rej, ok := collection.AsRejection(err); ok {
		return fmt.Errorf("refused: %s", rej.Reason)
	}
	return err
}

// fieldProblems lists the field errors of a validation rejection as
// "--flag: reason" lines, or nil.
func fieldProblems(err error) []string {
	rej, ok := collection.AsRejection(err)
	if !ok || rej.Code != collection.CodeInvalid || len(rej.Errors) == 0 {
		return nil
	}
	var out []string
	for _, fe := range rej.Errors {
		name := flagOf[fe.Field]
		if name == "" {
			name = fe.Field
		}
		out = append(out, name+": "+fe.Reason)
	}
	return out
}

// readPassword reads one line from stdin when it is not a terminal (a
// pipe, a file, a secret manager), else asks twice without echo. A
// password is never an argument: arguments show in ps and in the shell's
// history.
func readPassword(stdin *os.File, prompt io.Writer) (string, error) {
	fd := int(stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", errors.New("no password on standard input: give it as one line, e.g. printf '%s\\n' \"$PASSWORD\" | tahsil users create ...")
		}
		// The line ends are not part of it; anything else is, spaces
		// included (a password is judged exactly as typed).
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return "", errors.New("the password on standard input is empty")
		}
		return line, nil
	}
	ask := func(label string) (string, error) {
		fmt.Fprint(prompt, label)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	first, err := ask(fmt.Sprintf("Password (%d to %d characters): ", access.MinPasswordLength, access.MaxPasswordLength))
	if err != nil {
		return "", err
	}
	if reason := access.CheckPassword(first); reason != "" {
		return "", fmt.Errorf("password refused: %s", reason)
	}
	again, err := ask("The same password again: ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New("the two passwords differ; nothing was created")
	}
	return first, nil
}

// userList prints the accounts of the read model: `tahsil users list`.
func userList(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("users list", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usersUsage) }
	role := fs.String("role", "", "only this role")
	status := fs.String("status", "", "only this status (active, pending, disabled, ...)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("users list: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("users list: unexpected argument %q", fs.Arg(0))
	}
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		return err
	}
	defer in.close()
	params := store.AccountListParams{RowLimit: 500}
	if *role != "" {
		params.Role = role
	}
	if *status != "" {
		params.Status = status
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROLE\tSTATUS\tMFA\tEMAIL\tNAME")
	for {
		rows, err := store.New(in.pool).AccountList(ctx, params)
		if err != nil {
			return fmt.Errorf("users list: %w", err)
		}
		for _, a := range rows {
			role := a.Role
			if role == "" {
				role = a.Kind + " (registration)"
			}
			mfa := "no"
			if a.MfaEnrolled {
				mfa = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, role, a.Status, mfa, a.Email, a.FullName)
		}
		if len(rows) < int(params.RowLimit) {
			break
		}
		last := rows[len(rows)-1]
		params.AfterCreatedAt, params.AfterID = &last.CreatedAt, &last.ID
	}
	return w.Flush()
}
