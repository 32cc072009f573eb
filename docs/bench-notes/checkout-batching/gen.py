import json, re, sys
S = json.load(open('/tmp/rp/all.json'))
ACCT = '01a22312-20d9-7180-82e8-bc832bec3678'
AGV = '01a22312-20cb-7dd6-8a24-1d62d3214ed7'
TOK = '425c2878e630d419afd52f249143c95cedbc01158ec2623d933922746531bcfe'
ADDR = '198.18.0.188'
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}')
reads, tx = S[26:34], S[35:58]   # auth+pool reads; transaction body (between begin and COMMIT)
assert S[34] == 'begin' and S[58] == 'COMMIT', (S[34], S[58])
tags = {}
def tag(u):
    if u not in tags: tags[u] = len(tags)
    return tags[u]
LIT = re.compile(r"'(?:[^']|'')*'")
def esc(s): return re.sub(r"(?<!:):(?=[A-Za-z0-9_])", ": ", s)
def lit_sub(lit, k):
    body = lit[1:-1]
    parts, last = [], 0
    pat = re.compile('|'.join(map(re.escape, [ACCT, TOK, ADDR])) + '|' + UUID.pattern + '|[0-9a-f]{32}')
    for m in pat.finditer(body):
        v = m.group(0)
        if v == AGV: continue
        if v == ACCT: e = "current_setting('r.a%d')" % k
        elif v == TOK: e = "current_setting('r.t%d')" % k
        elif v == ADDR: e = "current_setting('r.p%d')" % k
        elif len(v) == 32:
            u = '%s-%s-%s-%s-%s' % (v[:8], v[8:12], v[12:16], v[16:20], v[20:])
            if not UUID.fullmatch(u): continue
            e = "(current_setting('r.p%d') || 'h%d')" % (k, tag(u))
        else: e = "(current_setting('r.p%d') || '-%d')" % (k, tag(v))
        parts.append(("'" + esc(body[last:m.start()]) + "'") if m.start() > last else None)
        parts.append(e); last = m.end()
    if not parts: return "'" + esc(body) + "'"
    if last < len(body): parts.append("'" + esc(body[last:]) + "'")
    return '(' + ' || '.join(p for p in parts if p) + ')'
def inst(sql, k):
    out = LIT.sub(lambda m: lit_sub(m.group(0), k), sql)
    # pgbench reads ":name" as a variable anywhere: keep literal colons safe
    return out
def one(sql):  # one line for pgbench
    s = ' '.join(sql.split('\n'))
    return s.rstrip(';') + ';'
def tuples_split(sql):
    i = sql.find('VALUES (') if 'VALUES (' in sql else sql.find('VALUES\n (')
    assert i >= 0, sql[:80]
    j = sql.index('(', i); pre = sql[:j]; tups = []; depth = 0; q = False; start = None; p = j
    while p < len(sql):
        c = sql[p]
        if q:
            if c == "'":
                if p + 1 < len(sql) and sql[p+1] == "'": p += 2; continue
                q = False
        elif c == "'": q = True
        elif c == '(':
            if depth == 0: start = p
            depth += 1
        elif c == ')':
            depth -= 1
            if depth == 0: tups.append(sql[start:p+1])
            if depth < 0: break
        elif depth == 0 and c not in ', \n\t': break
        p += 1
    return pre, tups, sql[p:]
def mergeable(sql):
    return sql.startswith('INSERT INTO') and 'NOT EXISTS' not in sql and 'VALUES' in sql
def var_lines(B):
    L = ['\\set seq :seq + 1'] + ['\\set b%d :client_id * %d + %d' % (k, B, k) for k in range(B)]
    L.append('SELECT ' + ', '.join("set_config('r.p%d', '01b-' || :seq || '-' || :b%d, false), set_config('r.a%d', 'bench-acct-' || :b%d, false), set_config('r.t%d', 'bench-tok-' || :b%d, false)" % (k, k, k, k, k, k) for k in range(B)) + ';')
    return L
def script(B, merge, pipeline=True, grp_savepoint=True, extra_empty=True):
    L = var_lines(B)
    sc = L.pop()
    if pipeline: L.append('\\startpipeline')
    L.append(sc)
    for k in range(B):
        L += [one(inst(s, k)) for s in reads]
    L.append('BEGIN;')
    if not merge:
        for k in range(B):
            if B > 1 and grp_savepoint: L.append('SAVEPOINT gm;')
            L += [one(inst(s, k)) for s in tx]
            if B > 1 and grp_savepoint: L.append('RELEASE SAVEPOINT gm;')
    else:
        for s in tx:
            if mergeable(s):
                pre, _, suf = tuples_split(inst(s, 0))
                allt = []
                for k in range(B):
                    p2, t, s2 = tuples_split(inst(s, k)); allt += t
                L.append(one(pre + ', '.join(allt) + suf))
            elif s.startswith('SAVEPOINT') or s.startswith('RELEASE'):
                L.append(one(s))
            else:
                L += [one(inst(s, k)) for k in range(B)]
    L.append('COMMIT;')
    if extra_empty: L += ['BEGIN;', 'COMMIT;']
    if pipeline: L.append('\\endpipeline')
    return '\n'.join(L) + '\n'
for name, args in {'v1': (1, False), 'v2_8': (8, False), 'v3_8': (8, True), 'v3_4': (4, True), 'v2_4': (4, False), 'v3_16': (16, True)}.items():
    open('/tmp/rp/%s.sql' % name, 'w').write(script(*args))
print(tags)

# V4: one checkout, consecutive INSERTs combined into one statement of data-modifying CTEs
def combinable(s):
    return s.startswith('INSERT INTO')
def script_cte(pipeline=True):
    B = 1
    L = var_lines(B); sc = L.pop()
    if pipeline: L.append('\\startpipeline')
    L.append(sc)
    L += [one(inst(s, 0)) for s in reads]
    L.append('BEGIN;')
    run = []
    def flush_run():
        if not run: return
        if len(run) == 1: L.append(one(run[0]))
        else:
            L.append(one('WITH ' + ', '.join('w%d AS (%s)' % (i, r) for i, r in enumerate(run)) + ' SELECT 1'))
        run.clear()
    for s in tx:
        s2 = inst(s, 0)
        if combinable(s):
            # an INSERT reading a table written earlier in the run must start a new run
            tbl = re.match(r'INSERT INTO (\w+)', s).group(1)
            if 'SELECT' in s and any(re.search(r'\b%s\b' % re.match(r'INSERT INTO (\w+)', r).group(1), s) for r in run if r.startswith('INSERT')):
                flush_run()
            run.append(s2)
        else:
            flush_run(); L.append(one(s2))
    flush_run()
    L.append('COMMIT;'); L += ['BEGIN;', 'COMMIT;']
    if pipeline: L.append('\\endpipeline')
    return '\n'.join(L) + '\n'
open('/tmp/rp/v4.sql', 'w').write(script_cte())

# split variants: the reads alone (one checkout's, one round trip), and the transaction alone
_reads = reads
def only_reads():
    L = var_lines(1); sc = L.pop()
    L += ['\\startpipeline', sc] + [one(inst(s, 0)) for s in _reads] + ['\\endpipeline']
    return '\n'.join(L) + '\n'
open('/tmp/rp/r.sql', 'w').write(only_reads())
reads = []
open('/tmp/rp/t1.sql', 'w').write(script(1, False))
open('/tmp/rp/t2_8.sql', 'w').write(script(8, False))
open('/tmp/rp/t3_8.sql', 'w').write(script(8, True))
open('/tmp/rp/t3_16.sql', 'w').write(script(16, True))
