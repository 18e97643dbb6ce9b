-- Resource use as finance records it (optional: without it, use is computed from
-- the initiatives' recorded activity).
CREATE TABLE resource_actuals (
    portfolio TEXT NOT NULL,
    period TEXT NOT NULL,
    resource TEXT NOT NULL,
    used DOUBLE PRECISION NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (portfolio, period, resource)
);
