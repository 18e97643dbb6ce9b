-- Plan records and the append-only audit trail. Portable SQL: the same file serves
-- SQLite and PostgreSQL (no autoincrement; ids are assigned in the transaction that
-- inserts, and a primary key refuses a second writer of the same id).
CREATE TABLE plans (
    id BIGINT PRIMARY KEY,
    portfolio TEXT NOT NULL,
    state TEXT NOT NULL,
    scenario TEXT NOT NULL,
    plan TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    parent BIGINT,
    approved_by TEXT,
    approved_at BIGINT,
    approval_comment TEXT,
    priority_changes TEXT,
    idempotency_key TEXT UNIQUE
);
-- At most one APPROVED plan per portfolio, whatever writes concurrently.
CREATE UNIQUE INDEX plans_one_approved ON plans (portfolio) WHERE state = 'APPROVED';
CREATE INDEX plans_by_portfolio ON plans (portfolio, id);

CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
