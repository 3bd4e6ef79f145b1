-- Documents, interactions and tasks of the case files: read models of the
-- debt aggregate's document_attached, interaction_logged, task_created and
-- task_completed events (projection "casework"). A document's bytes are
-- not here: they are in the blob store, under the document's id. How
-- urgent a task is (the days past due and balance of its debt) is read
-- from debts when the work queue is listed, never copied.

CREATE TABLE documents (
    id          uuid PRIMARY KEY,             -- also its key in the blob store
    debt_id     uuid NOT NULL,
    name        text NOT NULL,                -- the file name as given, cleaned
    media_type  text NOT NULL,                -- application/pdf | image/jpeg | image/png, sniffed from the content
    size        bigint NOT NULL,              -- bytes
    sha256      text NOT NULL,                -- of the content, lower-case hex
    kind        text NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX documents_debt ON documents (debt_id, uploaded_at DESC, id DESC);
-- The decider refuses the same content twice on a debt.
CREATE UNIQUE INDEX documents_content ON documents (debt_id, sha256);

CREATE TABLE interactions (
    id          uuid PRIMARY KEY,
    debt_id     uuid NOT NULL,
    channel     text NOT NULL,                -- call | visit | letter | email | sms | note
    direction   text NOT NULL,                -- inbound | outbound; '' for a visit or a note
    outcome     text NOT NULL,                -- of a call or a visit; '' otherwise
    summary     text NOT NULL,
    occurred_at timestamptz NOT NULL,
    logged_by   text NOT NULL,
    logged_at   timestamptz NOT NULL
);
CREATE INDEX interactions_debt ON interactions (debt_id, occurred_at DESC, id DESC);

CREATE TABLE tasks (
    id             uuid PRIMARY KEY,
    debt_id        uuid NOT NULL,
    interaction_id uuid,                      -- the interaction it follows up
    title          text NOT NULL,
    due_at         timestamptz NOT NULL,
    assignee_id    uuid NOT NULL,
    status         text NOT NULL,             -- open | done
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL,
    completed_by   text NOT NULL,
    completed_at   timestamptz
);
-- An agent's queue: their open tasks due before a time.
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_due ON tasks (status, due_at);
CREATE INDEX tasks_debt ON tasks (debt_id);
CREATE UNIQUE INDEX tasks_interaction ON tasks (interaction_id);
