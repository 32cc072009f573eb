# usage: cpu.py snap > file ; cpu.py diff a b  -> total busy%, busy% by postgres+pgbench, foreign busy%
import os, sys, json
def snap():
    l = open('/proc/stat').readline().split()[1:]
    v = list(map(int, l)); idle = v[3] + v[4]; total = sum(v[:8])
    own = other = cli = 0
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            s = open(f'/proc/{p}/stat').read()
            comm = s[s.index('(')+1:s.rindex(')')]
            f = s[s.rindex(')')+2:].split()
            t = int(f[11]) + int(f[12])
        except Exception: continue
        mine = comm == 'pgbench'
        if comm.startswith('postgres'):
            cl = open(f'/proc/{p}/cmdline').read().replace('\0', ' ')
            m = __import__('re').match(r'postgres: 15/main: postgres (\S+) ', cl)
            mine = (m is None) or m.group(1) in ('replay', 'bench_ceiling')
        if mine: own += t
        if comm == 'pgbench': cli += t
        else: other += t
    return dict(total=total, idle=idle, own=own, other=other, cli=cli)
if sys.argv[1] == 'snap':
    print(json.dumps(snap()))
else:
    a = json.load(open(sys.argv[2])); b = json.load(open(sys.argv[3]))
    dt = b['total'] - a['total']
    busy = 100 * (dt - (b['idle'] - a['idle'])) / dt
    own = 100 * (b['own'] - a['own']) / dt
    # note: process CPU of processes that exited during the interval is lost from 'other'
    print(f"busy={busy:.1f}% own(pg+pgbench)={own:.1f}% foreign~={busy-own:.1f}% (of 2 cores = 200%->100%) pgbench_client={100*(b.get('cli',0)-a.get('cli',0))/dt:.1f}%")
