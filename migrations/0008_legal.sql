-- Legal procedures of debts, their steps and their deadlines: read models
-- of the debt aggregate's legal_procedure_opened and legal_step_recorded
-- events (projection "legal", collection/debt_legal.go). The creditor and
-- debtor of the debt are copied on each row so that tenant scoping is a
-- filter in SQL, as for the debts.

CREATE TABLE legal_procedures (
    id               uuid PRIMARY KEY,
    debt_id          uuid NOT NULL,
    creditor_id      uuid NOT NULL,
    debtor_id        uuid NOT NULL,
    kind             text NOT NULL,        -- formal_notice | payment_order | summary_proceedings | lawsuit | enforcement
    court            text NOT NULL,        -- as last recorded (an appeal moves it to the court of appeal)
    section          text NOT NULL,
    case_number      text NOT NULL,
    bailiff          text NOT NULL,
    lawyer           text NOT NULL,
    claimed_amount   bigint NOT NULL,      -- centimes
    opened_on        date NOT NULL,
    opened_by        text NOT NULL,
    opened_at        timestamptz NOT NULL,
    status           text NOT NULL,        -- open | closed
    step             text NOT NULL,        -- the last step, 'opened' before the first
    step_on          date NOT NULL,        -- its date (opened_on before the first)
    steps            int NOT NULL,         -- how many steps were recorded
    judgment         text NOT NULL,        -- the last judgment's outcome: won | lost | partial, or ''
    amount_awarded   bigint NOT NULL,      -- by the last judgment, centimes
    appealed         boolean NOT NULL,
    outcome          text NOT NULL,        -- once closed: paid | settled | enforced | lost | withdrawn | escalated | uncollectible
    closed_on        date,
    costs            bigint NOT NULL,      -- the legal costs its steps added to the debt, centimes
    version          bigint NOT NULL,      -- the debt's version after the procedure's last event
    updated_at       timestamptz NOT NULL
);
CREATE INDEX legal_procedures_debt ON legal_procedures (debt_id, opened_at, id);
CREATE INDEX legal_procedures_creditor ON legal_procedures (creditor_id, status);
CREATE INDEX legal_procedures_debtor ON legal_procedures (debtor_id, status);

CREATE TABLE legal_steps (
    id               uuid PRIMARY KEY,
    procedure_id     uuid NOT NULL,
    debt_id          uuid NOT NULL,
    seq              int NOT NULL,         -- 1 for the procedure's first step
    step             text NOT NULL,
    step_on          date NOT NULL,
    hearing_on       date,
    room             text NOT NULL,
    outcome          text NOT NULL,        -- a judgment's or a closure's
    amount_awarded   bigint NOT NULL,
    court            text NOT NULL,        -- set by filed or appeal when they name one
    section          text NOT NULL,
    case_number      text NOT NULL,
    note             text NOT NULL,
    document_ids     uuid[] NOT NULL,
    cost             bigint NOT NULL,      -- centimes, added to the debt's fees as a legal_cost charge
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    UNIQUE (procedure_id, seq)
);

-- Every deadline a step started, as the decider computed it on the
-- business calendar (the dates are in the event). A deadline is open until
-- a later step ends it (met or moot) or the procedure is closed; its id is
-- derived from (procedure, seq, name), so a rebuild gives the same rows.
CREATE TABLE legal_deadlines (
    id               uuid PRIMARY KEY,
    procedure_id     uuid NOT NULL,
    debt_id          uuid NOT NULL,
    creditor_id      uuid NOT NULL,
    debtor_id        uuid NOT NULL,
    kind             text NOT NULL,        -- the procedure's
    seq              int NOT NULL,         -- the step that started it
    step             text NOT NULL,
    name             text NOT NULL,        -- pay | contest | hearing | appeal | cassation
    from_on          date NOT NULL,
    due_on           date NOT NULL,        -- the last day the act is in time, a business day
    days             int NOT NULL,
    business         boolean NOT NULL,
    franc            boolean NOT NULL,
    status           text NOT NULL,        -- open | ended
    ended_seq        int,                  -- the step that ended it
    ended_at         timestamptz,
    UNIQUE (procedure_id, seq, name)
);
-- GET /api/v1/legal/deadlines: open deadlines by date, for staff or one
-- tenant.
CREATE INDEX legal_deadlines_due ON legal_deadlines (due_on, id) WHERE status = 'open';
CREATE INDEX legal_deadlines_creditor ON legal_deadlines (creditor_id, due_on, id) WHERE status = 'open';
CREATE INDEX legal_deadlines_debtor ON legal_deadlines (debtor_id, due_on, id) WHERE status = 'open';
