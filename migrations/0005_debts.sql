-- Case files (debts) and their payments: read models of the debt aggregate.

CREATE TABLE debts (
    id               uuid PRIMARY KEY,
    ref              text NOT NULL UNIQUE,
    creditor_id      uuid NOT NULL,
    debtor_id        uuid NOT NULL,
    external_ref     text NOT NULL,
    type             text NOT NULL,
    currency         text NOT NULL,
    status           text NOT NULL,
    previous_status  text NOT NULL,
    hold_reason      text NOT NULL,
    principal        bigint NOT NULL,     -- centimes, as opened
    charges          bigint NOT NULL,     -- fees at opening plus every charge added
    discount         bigint NOT NULL,
    written_off      bigint NOT NULL,
    paid             bigint NOT NULL,     -- net of reversals
    credit           bigint NOT NULL,     -- overpayment kept for the debtor
    balance          bigint NOT NULL,     -- what is still owed
    acknowledged_on  date,
    original_due_on  date NOT NULL,
    current_due_on   date NOT NULL,
    agent_id         uuid,
    -- The debtor's wilaya, copied from the debtor's events so that the
    -- list can filter on it with an index (see debt_debtor_wilayas).
    wilaya           int,
    description      text NOT NULL,
    last_payment_on  date,
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- Lists are newest first within the common filters; days past due is a
-- range on current_due_on, so it uses the due-date indexes.
CREATE INDEX debts_list ON debts (created_at DESC, id DESC);
CREATE INDEX debts_status ON debts (status, created_at DESC, id DESC);
CREATE INDEX debts_creditor ON debts (creditor_id, status, created_at DESC, id DESC);
CREATE INDEX debts_debtor ON debts (debtor_id, created_at DESC, id DESC);
CREATE INDEX debts_agent ON debts (agent_id, status, current_due_on) WHERE agent_id IS NOT NULL;
CREATE INDEX debts_due ON debts (status, current_due_on);
CREATE INDEX debts_balance ON debts (status, balance);
CREATE INDEX debts_external_ref ON debts (creditor_id, external_ref);
CREATE INDEX debts_wilaya ON debts (wilaya, created_at DESC, id DESC);
CREATE INDEX debts_type_due ON debts (type, current_due_on);
CREATE INDEX debts_due_on ON debts (current_due_on);

-- Each debtor's wilaya as the debts projection last saw it: a debt opened
-- before its debtor's events reach this projection (another partition)
-- gets the wilaya when they do, so any order ends in the same rows.
CREATE TABLE debt_debtor_wilayas (
    debtor_id uuid PRIMARY KEY,
    wilaya    int NOT NULL
);

CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    debt_id          uuid NOT NULL,
    creditor_id      uuid NOT NULL,
    debtor_id        uuid NOT NULL,
    amount           bigint NOT NULL,
    value_date       date NOT NULL,
    recorded_at      timestamptz NOT NULL,
    method           text NOT NULL,
    reference        text NOT NULL,
    note             text NOT NULL,
    alloc_fees       bigint NOT NULL,
    alloc_principal  bigint NOT NULL,
    alloc_credit     bigint NOT NULL,
    recorded_by      text NOT NULL,
    reversed_at      timestamptz,
    reversal_reason  text NOT NULL
);
CREATE INDEX payments_debt ON payments (debt_id, value_date, recorded_at);
CREATE INDEX payments_creditor ON payments (creditor_id, recorded_at DESC);

-- Maker-checker proposals on a debt: write-off, settlement discount,
-- escalation to a legal procedure.
CREATE TABLE debt_proposals (
    id              uuid PRIMARY KEY,
    debt_id         uuid NOT NULL,
    creditor_id     uuid NOT NULL,
    action          text NOT NULL,
    discount        bigint NOT NULL,
    reason          text NOT NULL,
    proposed_by     text NOT NULL,
    proposed_at     timestamptz NOT NULL,
    status          text NOT NULL,        -- pending | approved | refused
    decided_by      text NOT NULL,
    decided_at      timestamptz,
    decision_reason text NOT NULL
);
CREATE INDEX debt_proposals_pending ON debt_proposals (status, proposed_at DESC);
CREATE INDEX debt_proposals_debt ON debt_proposals (debt_id);
