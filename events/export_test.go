package events

import "sort"

// SetBeforeCommit installs a hook that runs after a batch's records are
// produced and before its transaction is committed. Call it before Run.
func SetBeforeCommit(p *Processor, f func()) { p.beforeCommit = f }

// RegisteredTypes lists the record types of a registry, sorted.
func RegisteredTypes(r *Registry) []string {
	out := make([]string, 0, len(r.codecs))
	for t := range r.codecs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
