-- The debt list filtered by type and sorted newest first (its default)
-- read every debt of the type in the due-date range, about 4,000 of a
-- million, and sorted them: p99 44–61 ms in the benchmark. Walking this
-- index newest first reads the due date in the index itself, so the debts
-- outside the range cost no heap fetch and the first page stops after a
-- few hundred entries.
CREATE INDEX debts_type_list ON debts (type, created_at DESC, id DESC, current_due_on);
