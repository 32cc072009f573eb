import re
t = open('/tmp/pgreplay/template.sql', encoding='utf-8').read()
sections = {}
cur = None
for line in t.splitlines():
    m = re.match(r'-- (POOL READS|TX|EMPTY|NOTIFY)', line)
    if m:
        cur = m.group(1); sections[cur] = []; continue
    if line.strip():
        sections[cur].append(line)

def pgb(lines):
    out = []
    for l in lines:
        # pgbench would take ":name" inside literals for a variable: add a space after such colons
        l = re.sub(r'(?<!:):(?=[A-Za-z0-9_])', ': ', l)
        l = l.replace('{SAVEPOINT}', 'SAVEPOINT yx_nested_1;').replace('{RELEASE}', 'RELEASE SAVEPOINT yx_nested_1;')
        l = l.replace('{A}', "('bench-acct-' || :client_id)").replace('{CASH}', "('cash:' || 'bench-acct-' || :client_id)")
        l = l.replace('{TOK}', "('bench-tok-' || :client_id)").replace('{ADDR}', "('198.' || :seq || '.' || :client_id)")
        l = re.sub(r'\{ID: ?(\w+)\}', lambda m: "('01b' || :seq || '-%s-' || :client_id)" % m.group(1), l)
        out.append(l)
    return out

HEAD = ['\\set seq :seq + 1']
pool, tx, empty, notify = (pgb(sections[k]) for k in ('POOL READS', 'TX', 'EMPTY', 'NOTIFY'))
def w(name, lines):
    open('/tmp/pgreplay/' + name, 'w', encoding='utf-8').write('\n'.join(lines) + '\n')
w('checkout_a.sql', HEAD + pool + tx + empty)
w('checkout_b.sql', HEAD + ['\\startpipeline'] + pool + tx + empty + ['\\endpipeline'])
w('checkout_a_notify.sql', HEAD + pool + tx + empty + notify)
w('checkout_b_notify.sql', HEAD + ['\\startpipeline'] + pool + tx + empty + ['\\endpipeline', '\\startpipeline'] + notify + ['\\endpipeline'])
w('notify_only.sql', HEAD + notify)   # needs prior rows; not used standalone
w('checkout_c.sql', HEAD + ['\\startpipeline'] + pool + ['\\endpipeline', 'SELECT checkout_replay(:client_id, :seq);'])

# PL/pgSQL function for variant (c): the TX statements, savepoint -> BEGIN..EXCEPTION block (a subtransaction, like SAVEPOINT)
def fn(lines):
    out = []
    for l in lines:
        if l in ('BEGIN;', 'COMMIT;'): continue
        l = l.replace('{SAVEPOINT}', 'BEGIN').replace('{RELEASE}', "EXCEPTION WHEN OTHERS THEN RAISE; END;")
        l = l.replace('{A}', 'v_a').replace('{CASH}', 'v_cash').replace('{ADDR}', 'v_addr')
        l = re.sub(r'\{ID:(\w+)\}', lambda m: "(v_p || '-%s-' || p_cid)" % m.group(1), l)
        if l.startswith('SELECT'):
            l = 'PERFORM ' + l[len('SELECT '):]
        out.append('  ' + l)
    return out
body = fn(sections['TX'])
f = ["CREATE OR REPLACE FUNCTION checkout_replay(p_cid int, p_seq bigint) RETURNS void LANGUAGE plpgsql AS $fn$",
     "DECLARE v_a text := 'bench-acct-' || p_cid; v_cash text := 'cash:bench-acct-' || p_cid;",
     "  v_p text := '01b' || p_seq; v_addr text := '198.' || p_seq || '.' || p_cid; v_n int;",
     "BEGIN"] + body + [
     "  GET DIAGNOSTICS v_n = ROW_COUNT; IF v_n <> 1 THEN RAISE EXCEPTION 'balance row missing'; END IF;",
     "END $fn$;"]
open('/tmp/pgreplay/checkout_fn.sql', 'w', encoding='utf-8').write('\n'.join(f) + '\n')
