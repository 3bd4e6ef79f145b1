// Command tahsil is Tahsil's one binary: the server and its tools.
//
//	tahsil serve [--demo]            API, decider and projections (TAHSIL_COMPONENTS)
//	tahsil migrate                   apply database migrations
//	tahsil projections rebuild [NAME...]  replay read models from offset zero
//	tahsil projections status        offsets and stopped projections
//	tahsil projections skip NAME PARTITION OFFSET --by WHO --reason WHY
//	tahsil users create --email E --name N --role R [--phone P]
//	                                 create a staff account (password on stdin)
//	tahsil users list                list the accounts
//	tahsil import debts --creditor ID [--dry-run] FILE
//	                                 import a creditor's debts from a CSV file
//	tahsil keys fingerprint          the master key's fingerprint
//	tahsil keys rotate [--new-key-file PATH | --print-new-key]
//	                                 rewrap the data keys under a new master key
//	tahsil demo                      load demo data and accounts into a running server
//	tahsil health                    exit 0 when the server at TAHSIL_URL is ready
//	tahsil version
//
// It is the one composition root: configuration is read from the
// environment here, once, and every component gets its dependencies.
package main

import (
	"context"
	"fmt"
	"os"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const usage = `usage: tahsil <command> [arguments]

commands:
  serve [--demo]                         run the API, decider and projections
  migrate                                apply database migrations
  projections rebuild [NAME...]          rebuild read models from offset zero (all, or some by name)
  projections status                     show projection offsets and stopped projections
  projections skip NAME PARTITION OFFSET --by WHO --reason WHY
                                         skip a record a projection cannot apply (audited)
  users create --email E --name N --role admin|agent|auditor [--phone P]
                                         create a staff account; the password is read from
                                         standard input (one line), or asked twice on a terminal
  users list [--role R] [--status S]     list the accounts
  import debts --creditor ID [--dry-run] FILE
                                         import a creditor's debts from a CSV UTF-8 file, with a
                                         progress bar; a re-run creates nothing twice
  keys fingerprint                       print the master key's fingerprint
  keys rotate [--new-key-file PATH | --print-new-key]
                                         rewrap every data key under a new master key, on a
                                         stopped system (see docs/OPERATIONS.md)
  demo                                   load the demo data and accounts into the server at TAHSIL_URL
  health                                 exit 0 when the server at TAHSIL_URL is ready
  version                                print the version

configuration: environment variables TAHSIL_* (see README.md)
`

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tahsil:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command given")
	}
	cfg, err := loadConfig()
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := cfg.logger()
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log, args[1:])
	case "migrate":
		in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
		if err != nil {
			return err
		}
		in.close()
		fmt.Println("database is up to date")
		return nil
	case "projections":
		return projectionsCommand(ctx, cfg, log, args[1:])
	case "demo":
		return demoCommand(ctx, cfg, log)
	case "users":
		return usersCommand(ctx, cfg, log, args[1:])
	case "import":
		return importCommand(ctx, cfg, log, args[1:])
	case "keys":
		return keysCommand(ctx, cfg, log, args[1:])
	case "health":
		return health(ctx, cfg.URL)
	case "version":
		fmt.Println(version)
		return nil
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
