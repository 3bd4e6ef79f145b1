package main

import (
	"fmt"
	"os"
	"strings"
)

// subcommand is one verb of a command group (`users create`, `keys rotate`):
// its name and what it runs with the arguments after it.
type subcommand struct {
	name string
	run  func(args []string) error
}

// dispatch runs the subcommand args[0] names among subs. help prints usage
// (when the group has one) on standard output; a missing or unknown verb
// prints it on standard error and fails, naming the verbs.
func dispatch(group, usage string, args []string, subs ...subcommand) error {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "--help":
			fmt.Print(usage)
			return nil
		}
		for _, s := range subs {
			if s.name == args[0] {
				return s.run(args[1:])
			}
		}
	}
	fmt.Fprint(os.Stderr, usage)
	if len(args) == 0 {
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = s.name
		}
		return fmt.Errorf("%s: give %s", group, orList(names))
	}
	return fmt.Errorf("%s: unknown subcommand %q", group, args[0])
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
