package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// sealDebtText seals what staff wrote about a debt's debtor (a
// description, a note, a summary, a title) under the debtor's data key,
// so that erasing the debtor erases it: nil when there is no text. The
// text was checked before, as the decider cannot read it. Nothing more is
// written about a debtor already erased (409 erased).
func (s *Server) sealDebtText(ctx context.Context, debtorID string, text collection.DebtPersonal) (collection.Sealed, error) {
	if text.IsZero() {
		return nil, nil
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, debtorID, text)
	if errors.Is(err, keyring.ErrErased) {
		return nil, debtorErasedProblem(http.StatusConflict,
			"debtor "+debtorID+" was erased: nothing more is written about them")
	}
	return sealed, err
}

// hideClearText removes from a history entry's data the text a record of
// version 1 carried in clear about a debtor now erased, and says it is
// erased: the history then shows what the read models do. The log keeps
// that text; erasure cannot reach it there.
func (s *Server) hideClearText(e *historyEntry, r store.EventLog) error {
	v, err := s.cfg.Registry.Decode(r.Type, int(r.SchemaVersion), r.Data, nil)
	if err != nil {
		return err
	}
	c, ok := v.(collection.DebtTextCarrier)
	if !ok || c.ClearText().IsZero() {
		return nil
	}
	var fields, data map[string]json.RawMessage
	clear, err := json.Marshal(c.ClearText())
	if err != nil {
		return err
	}
	if err := json.Unmarshal(clear, &fields); err != nil {
		return err
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		return err
	}
	for name := range fields {
		if err := deleteField(data, clearTextPath(name)...); err != nil {
			return err
		}
	}
	if e.Data, err = json.Marshal(data); err != nil {
		return err
	}
	e.Erased = true
	return nil
}

// clearTextPath is where a record of version 1 carried the text that
// collection.DebtPersonal names field: the field of that name in its
// data, but a legal step's note, which was in its details.
func clearTextPath(field string) []string {
	if field == "legal_note" {
		return []string{"details", "note"}
	}
	return []string{field}
}

// deleteField removes the field at path from a JSON object's fields; an
// object on the way that is absent leaves nothing to remove.
func deleteField(data map[string]json.RawMessage, path ...string) error {
	if len(path) == 1 {
		delete(data, path[0])
		return nil
	}
	raw, ok := data[path[0]]
	if !ok {
		return nil
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(raw, &inner); err != nil {
		return err
	}
	if err := deleteField(inner, path[1:]...); err != nil {
		return err
	}
	var err error
	data[path[0]], err = json.Marshal(inner)
	return err
}
