import re, json, sys
lines = open('/tmp/rp2/cap.log', encoding='utf-8').read().split('\n')
# entries: (kind, text) where kind LOG/DETAIL; continuation lines start with a tab
ents = []
pre = re.compile(r'^\d{4}-\d\d-\d\d [\d:.]+ UTC \[\d+\] \S+ (LOG|DETAIL):  (.*)$')
for l in lines:
    m = pre.match(l)
    if m:
        ents.append([m.group(1), m.group(2)])
    elif ents and l.startswith('\t'):
        ents[-1][1] += '\n' + l[1:]
    elif ents and l:
        ents[-1][1] += '\n' + l
stmts = []
for kind, text in ents:
    if kind == 'LOG':
        m = re.match(r'(?s)execute [^:]+: (.*)', text) or re.match(r'(?s)statement: (.*)', text)
        if m: stmts.append([m.group(1), None])
    elif kind == 'DETAIL' and text.startswith('parameters: ') and stmts:
        stmts[-1][1] = text[len('parameters: '):]
def params(p):
    out = {}; i = 0
    while i < len(p):
        m = re.match(r'\$(\d+) = ', p[i:]); assert m, p[i:i+50]
        n = int(m.group(1)); i += m.end()
        if p.startswith('NULL', i): out[n] = 'NULL'; i += 4
        else:
            assert p[i] == "'"; j = i + 1
            while True:
                if p[j] == "'" and j + 1 < len(p) and p[j+1] == "'": j += 2; continue
                if p[j] == "'": break
                j += 1
            out[n] = p[i:j+1]; i = j + 1
        if p.startswith(', ', i): i += 2
    return out
res = []
for sql, p in stmts:
    if p:
        ps = params(p)
        sql = re.sub(r'\$(\d+)\b', lambda m: ps[int(m.group(1))], sql)
    res.append(sql)
json.dump(res, open('/tmp/rp/all.json', 'w'), ensure_ascii=False, indent=0)
for i, s in enumerate(res): print(i, s[:110].replace('\n', ' '))
