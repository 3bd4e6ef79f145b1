-- Payment plans and promises to pay: read models of the debt aggregate's
-- plan.set and promise_made events (projection "plans"). Only facts are
-- stored; where an instalment or a promise stands (paid, missed, kept,
-- broken) is derived at read time from the payments and the date in
-- Algiers, so a rebuild gives the same answer.

CREATE TABLE payment_plans (
    id            uuid PRIMARY KEY,
    debt_id       uuid NOT NULL,
    creditor_id   uuid NOT NULL,
    debtor_id     uuid NOT NULL,
    status        text NOT NULL,          -- active | superseded
    instalments   jsonb NOT NULL,         -- [{"due": "YYYY-MM-DD", "amount": centimes}], by due date
    total         bigint NOT NULL,        -- the instalments' sum: the balance when the plan was set
    reason        text NOT NULL,
    supersedes    uuid,                   -- the plan this one replaced
    set_on        date NOT NULL,          -- the day in Algiers the plan was agreed
    set_by        text NOT NULL,
    set_at        timestamptz NOT NULL,
    superseded_at timestamptz
);
-- A debt has at most one current plan.
CREATE UNIQUE INDEX payment_plans_active ON payment_plans (debt_id) WHERE status = 'active';
CREATE INDEX payment_plans_debt ON payment_plans (debt_id, set_at DESC, id DESC);
CREATE INDEX payment_plans_creditor ON payment_plans (creditor_id, status);

-- The payments recorded while a plan was the debt's current plan: the ones
-- its instalments count (payments recorded before it are in the balance
-- it covers). Amounts, value dates and reversals are read from payments.
-- Linked in log order, so exact whatever the clocks did.
CREATE TABLE plan_payments (
    plan_id    uuid NOT NULL,
    payment_id uuid NOT NULL,
    PRIMARY KEY (plan_id, payment_id)
);

CREATE TABLE promises (
    id          uuid PRIMARY KEY,
    debt_id     uuid NOT NULL,
    creditor_id uuid NOT NULL,
    debtor_id   uuid NOT NULL,
    amount      bigint NOT NULL,          -- centimes
    due_on      date NOT NULL,
    made_on     date NOT NULL,            -- the day in Algiers the promise was made
    made_by     text NOT NULL,
    made_at     timestamptz NOT NULL
);
CREATE INDEX promises_debt ON promises (debt_id, made_at DESC, id DESC);
CREATE INDEX promises_due ON promises (due_on);
