package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// A document is the debtor's personal data (an ID card's scan, a name in
// its file name): its content is sealed in the blob store (blobseal) and
// its name in the event's personal part, both under the data key of the
// debt's debtor, so that erasing the debtor erases them. What the
// document routes share for that is here.

// debtorErasedProblem answers a request that needs an erased debtor's
// personal data: 410 for what was there and is gone, 409 for a change
// that would add to it.
func debtorErasedProblem(status int, detail string) *Problem {
	return problem(status, "erased", "The debtor was erased", detail)
}

func documentGone(id string) *Problem {
	return debtorErasedProblem(http.StatusGone,
		fmt.Sprintf("document %s: the debtor's personal data was erased, and the document's content and name with it", id))
}

func documentRefusedErased(debtID string) *Problem {
	return debtorErasedProblem(http.StatusConflict,
		fmt.Sprintf("the debtor's personal data was erased: no document can be attached to debt %s any more", debtID))
}

// sealDocumentName seals a document's name under its debtor's data key.
func (s *Server) sealDocumentName(ctx context.Context, debt store.Debt, name string) (collection.Sealed, error) {
	if err := collection.ValidateDocumentName(name); err != nil {
		return nil, err
	}
	return s.cfg.Sealer.Seal(ctx, debt.DebtorID, collection.DocumentPersonal{Name: name})
}

// documentViews shows documents of one debt. The name of a document of
// version 2 is opened from its sealed part in the event log (the read
// model holds it empty). Once the debtor is erased, no document shows a
// name, not even those that travelled in clear (version 1).
func (s *Server) documentViews(ctx context.Context, debt store.Debt, docs []store.Document) ([]documentView, error) {
	erased, err := s.isErased(ctx, collection.DebtorAggregate, debt.DebtorID)
	if err != nil {
		return nil, err
	}
	var names map[string]string
	if !erased {
		names, err = s.openDocumentNames(ctx, debt, docs)
		erased = errors.Is(err, keyring.ErrErased) // erased since the read model was read
		if err != nil && !erased {
			return nil, err
		}
	}
	views := make([]documentView, 0, len(docs))
	for _, d := range docs {
		v := newDocumentView(d)
		switch {
		case erased:
			v.Name, v.Erased = "", true
		case d.Name == "":
			v.Name = names[d.ID]
		}
		views = append(views, v)
	}
	return views, nil
}

// openDocumentNames opens the sealed names of those documents that have
// one, by document id.
func (s *Server) openDocumentNames(ctx context.Context, debt store.Debt, docs []store.Document) (map[string]string, error) {
	var ids []string
	for _, d := range docs {
		if d.Name == "" {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.q.EventLogDocumentNames(ctx, store.EventLogDocumentNamesParams{DebtID: debt.ID, DocumentIds: ids})
	if err != nil {
		return nil, fmt.Errorf("the sealed names of debt %s's documents: %w", debt.ID, err)
	}
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		var p collection.DocumentPersonal
		if err := s.cfg.Sealer.Open(ctx, debt.DebtorID, r.Personal, &p); err != nil {
			return nil, fmt.Errorf("open the name of document %s: %w", r.DocumentID, err)
		}
		names[r.DocumentID] = p.Name
	}
	return names, nil
}

// Deleting an erased debtor's files: each is tried deleteAttempts times,
// deleteBackoff apart (doubling), within eraseFilesTimeout in all.
const (
	deleteAttempts    = 3
	deleteBackoff     = 100 * time.Millisecond
	eraseFilesTimeout = time.Minute
)

// eraseDocumentFiles deletes the files of an erased debtor's documents.
// Sealed files are already unreadable without the key; this removes them
// all the same, and the files written before sealing, which are readable.
//
// It runs only once the read model shows the debtor erased, which the
// party projection commits with the key's destruction, so it never
// deletes the files of an erasure that did not happen; never in a
// projection, whose batch it must not fail. Deleting is idempotent: a
// file that cannot be deleted is logged, and a repeated erasure request
// for the same debtor (answered 409, already erased) tries again.
func (s *Server) eraseDocumentFiles(ctx context.Context, debtorID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eraseFilesTimeout)
	defer cancel()
	erased, err := s.isErased(ctx, collection.DebtorAggregate, debtorID)
	if err != nil {
		s.log.Error("erasure: cannot tell whether the debtor is erased; their documents' files are kept",
			"debtor_id", debtorID, "err", err)
		return
	}
	if !erased {
		return
	}
	ids, err := s.q.DocumentIDsOfDebtor(ctx, debtorID)
	if err != nil {
		s.log.Error("erasure: cannot list the debtor's documents; their files are kept", "debtor_id", debtorID, "err", err)
		return
	}
	for _, id := range ids {
		if err := s.deleteBlobRetrying(ctx, id); err != nil {
			s.log.Error("erasure: a document's file is left; post the erasure again to retry",
				"debtor_id", debtorID, "document_id", id, "err", err)
		}
	}
}

func (s *Server) deleteBlobRetrying(ctx context.Context, key string) error {
	wait := deleteBackoff
	for attempt := 1; ; attempt++ {
		err := s.cfg.Blobs.Delete(ctx, key)
		if err == nil || attempt == deleteAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}
