package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Report is the result of a run, printable as plain text or Markdown.
type Report struct {
	Title    string
	Machine  [][2]string
	Command  string
	Sections []*Section
}

// Section is one scenario's figures.
type Section struct {
	Title  string
	Lead   string
	Tables []Table
	Checks []Check
	Notes  []string
}

// Table is a titled grid.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Check is a target and whether the measurement meets it.
type Check struct {
	Target   string
	Measured string
	Pass     bool
}

// Verdict is PASS or MISS.
func (c Check) Verdict() string {
	if c.Pass {
		return "PASS"
	}
	return "MISS"
}

// WriteText writes the report as aligned plain text.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s\n%s\n\n", r.Title, strings.Repeat("=", utf8.RuneCountInString(r.Title)))
	kv := Table{Header: []string{"machine", ""}}
	for _, m := range r.Machine {
		kv.Rows = append(kv.Rows, []string{m[0], m[1]})
	}
	writeTextTable(w, kv, false)
	fmt.Fprintf(w, "\nreproduce: %s\n", r.Command)
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n%s\n%s\n", s.Title, strings.Repeat("-", utf8.RuneCountInString(s.Title)))
		if s.Lead != "" {
			fmt.Fprintf(w, "%s\n", wrap(s.Lead, 100, ""))
		}
		for _, t := range s.Tables {
			fmt.Fprintln(w)
			if t.Title != "" {
				fmt.Fprintf(w, "%s:\n", t.Title)
			}
			writeTextTable(w, t, true)
		}
		if len(s.Checks) > 0 {
			fmt.Fprintf(w, "\ntargets:\n")
			for _, c := range s.Checks {
				fmt.Fprintf(w, "  [%s] %s — measured %s\n", c.Verdict(), c.Target, c.Measured)
			}
		}
		if len(s.Notes) > 0 {
			fmt.Fprintf(w, "\nnotes:\n")
			for _, n := range s.Notes {
				fmt.Fprintf(w, "%s\n", wrap(n, 100, "  - "))
			}
		}
	}
}

func writeTextTable(w io.Writer, t Table, header bool) {
	widths := make([]int, len(t.Header))
	rows := t.Rows
	if header {
		rows = append([][]string{t.Header}, rows...)
	}
	for _, row := range rows {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	for ri, row := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range row {
			pad := widths[i] - utf8.RuneCountInString(c)
			if header && i > 0 && looksNumeric(c) && ri > 0 {
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if header && ri == 0 {
			var u strings.Builder
			u.WriteString("  ")
			for i := range widths {
				u.WriteString(strings.Repeat("-", widths[i]))
				if i < len(widths)-1 {
					u.WriteString("  ")
				}
			}
			fmt.Fprintln(w, u.String())
		}
	}
}

func looksNumeric(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '-' && len(s) > 1)
}

// WriteMarkdown writes the report as Markdown for docs/PERFORMANCE.md.
func (r *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## %s\n\n", r.Title)
	fmt.Fprintf(w, "| machine | |\n|---|---|\n")
	for _, m := range r.Machine {
		fmt.Fprintf(w, "| %s | %s |\n", mdCell(m[0]), mdCell(m[1]))
	}
	fmt.Fprintf(w, "\nReproduce: `%s`\n", r.Command)
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n### %s\n\n", s.Title)
		if s.Lead != "" {
			fmt.Fprintf(w, "%s\n", s.Lead)
		}
		for _, t := range s.Tables {
			fmt.Fprintln(w)
			if t.Title != "" {
				fmt.Fprintf(w, "%s:\n\n", t.Title)
			}
			fmt.Fprintf(w, "| %s |\n|", strings.Join(mdCells(t.Header), " | "))
			for range t.Header {
				fmt.Fprint(w, "---|")
			}
			fmt.Fprintln(w)
			for _, row := range t.Rows {
				fmt.Fprintf(w, "| %s |\n", strings.Join(mdCells(row), " | "))
			}
		}
		if len(s.Checks) > 0 {
			fmt.Fprintf(w, "\n| target | measured | |\n|---|---|---|\n")
			for _, c := range s.Checks {
				fmt.Fprintf(w, "| %s | %s | **%s** |\n", mdCell(c.Target), mdCell(c.Measured), c.Verdict())
			}
		}
		if len(s.Notes) > 0 {
			fmt.Fprintln(w)
			for _, n := range s.Notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
		}
	}
}

func mdCells(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = mdCell(c)
	}
	return out
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func wrap(s string, width int, first string) string {
	indent := strings.Repeat(" ", utf8.RuneCountInString(first))
	var b strings.Builder
	line, empty := first, true
	for _, word := range strings.Fields(s) {
		if !empty && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			b.WriteString(line + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(line)
	return b.String()
}

// ms formats a duration in milliseconds with a precision that suits it.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f ms", f)
	case f >= 10:
		return fmt.Sprintf("%.1f ms", f)
	default:
		return fmt.Sprintf("%.2f ms", f)
	}
}

// rate formats a per-second rate with thousands separators.
func rate(f float64) string { return thousands(int64(f + 0.5)) }

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
