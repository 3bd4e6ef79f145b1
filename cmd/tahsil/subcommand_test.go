package main

import (
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	var got []string
	subs := []subcommand{
		{"rebuild", func(args []string) error { got = append([]string{"rebuild"}, args...); return nil }},
		{"status", func([]string) error { got = []string{"status"}; return nil }},
		{"skip", func([]string) error { return nil }},
	}
	if err := dispatch("projections", "", []string{"rebuild", "debts", "plans"}, subs...); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "rebuild debts plans" {
		t.Errorf("ran %q, want rebuild with its arguments", got)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{nil, "projections: give rebuild, status or skip"},
		{[]string{"rebuilt"}, `projections: unknown subcommand "rebuilt"`},
		{[]string{"--help"}, ""},
	} {
		err := dispatch("projections", "", tc.args, subs...)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("dispatch(%q) = %v, want %q", tc.args, err, tc.err)
		}
	}
	if got := orList([]string{"create", "list"}); got != "create or list" {
		t.Errorf("orList = %q", got)
	}
}
