-- A failure an operator skipped (tahsil projections skip) is told apart from
-- one a later release applied: a rebuild must skip the same record again.
ALTER TABLE projection_failures ADD COLUMN skipped boolean NOT NULL DEFAULT false;
