DELETE FROM ledger_balance WHERE account LIKE 'cash:bench-acct-%';
DELETE FROM account_session WHERE account_id LIKE 'bench-acct-%';
DELETE FROM account WHERE id LIKE 'bench-acct-%';
INSERT INTO account SELECT 'bench-acct-' || n, kind, state, owner_id, reseller_id, display_name, enterprise_name, uscc, email_enc, NULL, email_masked, email_verified_at_ms, phone_enc, NULL, phone_masked, phone_verified_at_ms, password_hash, password_changed_at_ms, totp_secret_enc, totp_pending_enc, totp_last_step, totp_enabled_at_ms, lang, marketing_opt_out, agreement_version, agreement_accepted_at_ms, agreement_ip_enc, disabled_reason, created_at_ms, updated_at_ms FROM account, generate_series(0, 255) n WHERE id = :'acct';
INSERT INTO account_session SELECT 'bench-tok-' || n, 'bench-sess-' || n, 'bench-acct-' || n, created_at_ms, last_seen_at_ms, idle_ms, expires_at_ms, mfa_completed_at_ms, reauth_at_ms, ended_at_ms, end_reason, client_ip_enc, user_agent FROM account_session, generate_series(0, 255) n WHERE token_hash = :'tok';
INSERT INTO ledger_balance SELECT 'cash:bench-acct-' || n, 1000000000000, 1, 0 FROM generate_series(0, 255) n;
