-- The free text staff write about a debtor (a debt's description, a
-- payment's note, an interaction's summary, a task's title) is sealed in
-- the events' personal part under the debtor's data key since schema
-- version 2 (collection.DebtPersonal). The projections open it; once the
-- debtor is erased (their key destroyed, their row erased) it is blanked
-- and *_erased is set, which the API shows.

ALTER TABLE debts ADD COLUMN description_erased boolean NOT NULL DEFAULT false;
ALTER TABLE payments ADD COLUMN note_erased boolean NOT NULL DEFAULT false;
ALTER TABLE interactions ADD COLUMN summary_erased boolean NOT NULL DEFAULT false;
ALTER TABLE tasks ADD COLUMN title_erased boolean NOT NULL DEFAULT false;

-- Texts of debtors erased before this version were written in clear
-- (version 1) and kept: blank them as a rebuild now would.
UPDATE debts d SET description = '', description_erased = true
FROM debtors x WHERE x.id = d.debtor_id AND x.erased AND d.description <> '';
UPDATE payments p SET note = '', note_erased = true
FROM debtors x WHERE x.id = p.debtor_id AND x.erased AND p.note <> '';
UPDATE interactions i SET summary = '', summary_erased = true
FROM debts d JOIN debtors x ON x.id = d.debtor_id WHERE d.id = i.debt_id AND x.erased AND i.summary <> '';
UPDATE tasks t SET title = '', title_erased = true
FROM debts d JOIN debtors x ON x.id = d.debtor_id WHERE d.id = t.debt_id AND x.erased AND t.title <> '';
