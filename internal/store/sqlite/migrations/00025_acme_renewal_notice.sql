-- +goose Up
-- Renewal notices of DV certificates proved by a TXT record the customer
-- adds (issue 13): they are not renewed automatically, so the customer is
-- told once per certificate, identified by its end (not_after_ms), a
-- configured number of days before it ends. The primary key makes the
-- notice once across retries and instances.
CREATE TABLE acme_renewal_notice (
    service_id       TEXT NOT NULL,
    not_after_ms     BIGINT NOT NULL,
    notification_id  TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (service_id, not_after_ms)
);

-- +goose Down
DROP TABLE acme_renewal_notice;
