-- A legal step's note (details.note) is free text about the debtor, sealed
-- in the events' personal part under the debtor's data key since schema
-- version 2 of debt.record_legal_step and debt.legal_step_recorded
-- (collection.DebtPersonal.LegalNote), like the texts of 0011. The legal
-- projection opens it; once the debtor is erased (their key destroyed,
-- their row erased) it is blanked and note_erased is set, which the API
-- shows.

ALTER TABLE legal_steps ADD COLUMN note_erased boolean NOT NULL DEFAULT false;

-- Notes about debtors erased before this version were written in clear
-- (version 1) and kept: blank them as a rebuild now would.
UPDATE legal_steps s SET note = '', note_erased = true
FROM legal_procedures p JOIN debtors x ON x.id = p.debtor_id
WHERE p.id = s.procedure_id AND x.erased AND s.note <> '';
