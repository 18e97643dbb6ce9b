-- What actually ran, the portfolios' escalation triggers, and the alerts they raised.
CREATE TABLE actuals (
    portfolio TEXT NOT NULL,
    period TEXT NOT NULL,
    initiative TEXT NOT NULL,
    activity DOUBLE PRECISION NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (portfolio, period, initiative)
);

CREATE TABLE triggers (
    portfolio TEXT PRIMARY KEY,
    config TEXT NOT NULL
);

CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    portfolio TEXT NOT NULL,
    plan_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    measured DOUBLE PRECISION NOT NULL,
    limit_value DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    UNIQUE (portfolio, plan_id, kind, subject, period)
);
