-- 16 bench buyers copied from the demo individual (pgbench client_id 0..15)
\set src '01a220f4-0a0d-7096-adad-22ed42e2157e'
BEGIN;
INSERT INTO account SELECT 'bench-acct-'||c, kind, state, owner_id, reseller_id, display_name, enterprise_name, uscc,
  email_enc, 'bench-email-'||c, email_masked, email_verified_at_ms, phone_enc, 'bench-phone-'||c, phone_masked, phone_verified_at_ms,
  password_hash, password_changed_at_ms, totp_secret_enc, totp_pending_enc, totp_last_step, totp_enabled_at_ms,
  lang, marketing_opt_out, agreement_version, agreement_accepted_at_ms, agreement_ip_enc, disabled_reason, created_at_ms, updated_at_ms
FROM account, generate_series(0,15) c WHERE id = :'src';
INSERT INTO kyc_profile SELECT 'bench-acct-'||c, state, subject, current_submission_id, approved_submission_id, reason, note, closed_at_ms, purged_at_ms, updated_at_ms
FROM kyc_profile, generate_series(0,15) c WHERE account_id = :'src';
INSERT INTO account_session (token_hash, id, account_id, created_at_ms, last_seen_at_ms, idle_ms, expires_at_ms, mfa_completed_at_ms, reauth_at_ms, ended_at_ms, end_reason, client_ip_enc, user_agent)
SELECT 'bench-tok-'||c, 'bench-sess-'||c, 'bench-acct-'||c, created_at_ms, last_seen_at_ms, idle_ms, expires_at_ms, mfa_completed_at_ms, reauth_at_ms, ended_at_ms, end_reason, client_ip_enc, user_agent
FROM (SELECT * FROM account_session WHERE account_id = :'src' ORDER BY created_at_ms DESC LIMIT 1) s, generate_series(0,15) c;
INSERT INTO agreement_acceptance SELECT 'bench-acc0-'||c, 'bench-acct-'||c, version_id, sha256, acknowledged, explained, occasion, order_id, accepted_at_ms, ip_enc, ip_masked, user_agent, channel, reseller_id
FROM (SELECT * FROM agreement_acceptance WHERE account_id = :'src' ORDER BY accepted_at_ms LIMIT 1) a, generate_series(0,15) c;
-- funded cash balance (CHECK live = 0 OR balance_fen >= 0)
INSERT INTO ledger_balance (account, balance_fen, live, updated_at_ms)
SELECT 'cash:bench-acct-'||c, 1000000000000, 1, 1795849226910 FROM generate_series(0,15) c;
COMMIT;
