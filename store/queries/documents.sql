-- The documents' sealed names and their files' erasure (api/document_seal.go).

-- name: EventLogDocumentNames :many
-- The sealed names of some of a debt's documents: since version 2 of
-- debt.document_attached the name is in the event's personal part, and the
-- documents table holds it empty. A version 1 event has no personal part.
SELECT (data->>'document_id')::text AS document_id, personal
FROM event_log
WHERE aggregate_type = 'debt' AND aggregate_id = @debt_id AND type = 'debt.document_attached'
  AND personal IS NOT NULL AND data->>'document_id' = ANY(@document_ids::text[]);

-- name: DocumentIDsOfDebtor :many
-- The documents of every debt of a debtor, whose files go when the debtor
-- is erased.
SELECT d.id FROM documents d JOIN debts t ON t.id = d.debt_id
WHERE t.debtor_id = @debtor_id
ORDER BY d.id;
