-- Creditors and debtors: the read models of their aggregates. Personal
-- columns are decrypted copies; erasing a person blanks them and sets erased.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE creditors (
    id             uuid PRIMARY KEY,
    ref            text NOT NULL UNIQUE,
    status         text NOT NULL,
    name           text NOT NULL,
    legal_form     text NOT NULL,
    nif            text NOT NULL,
    rc             text NOT NULL,
    sector         text NOT NULL,
    wilaya         int  NOT NULL,
    address        text NOT NULL,
    phone          text NOT NULL,
    email          text NOT NULL,
    contact_name   text NOT NULL,
    commission_bps int  NOT NULL,
    erased         boolean NOT NULL,
    search         text NOT NULL,
    version        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX creditors_list ON creditors (created_at DESC, id DESC);
CREATE INDEX creditors_search ON creditors USING gin (search gin_trgm_ops);

CREATE TABLE debtors (
    id                uuid PRIMARY KEY,
    ref               text NOT NULL UNIQUE,
    status            text NOT NULL,
    kind              text NOT NULL,
    full_name         text NOT NULL,
    nin               text NOT NULL,
    nif               text NOT NULL,
    rc                text NOT NULL,
    phones            text[] NOT NULL,
    email             text NOT NULL,
    address           text NOT NULL,
    wilaya            int  NOT NULL,
    preferred_channel text NOT NULL,
    language          text NOT NULL,
    erased            boolean NOT NULL,
    search            text NOT NULL,
    version           bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX debtors_list ON debtors (created_at DESC, id DESC);
CREATE INDEX debtors_search ON debtors USING gin (search gin_trgm_ops);
CREATE INDEX debtors_nin ON debtors (nin) WHERE nin <> '';
