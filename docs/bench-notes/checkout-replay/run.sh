#!/bin/bash
# run.sh LABEL pgbench-args...   -> one 20 s run, gated on a quiet machine, with CPU accounting
cd /tmp/pgreplay
label=$1; shift
for try in 1 2 3; do
  # wait (max 180 s) until 5 s with <8% foreign-busy CPU
  for w in $(seq 1 36); do
    python3 cpu.py snap > q1; sleep 5; python3 cpu.py snap > q2
    b=$(python3 cpu.py diff q1 q2 | sed -E 's/.*busy=([0-9.]+)%.*/\1/')
    awk -v b=$b 'BEGIN{exit !(b<8)}' && break
  done
  psql -h 127.0.0.1 -U postgres -qc CHECKPOINT
  vmstat 1 25 > vm_$label.txt & vp=$!
  rm -f r1 r2; (sleep 3; python3 cpu.py snap > r1; sleep 14; python3 cpu.py snap > r2) & sp=$!
  out=$(pgbench -h 127.0.0.1 -U postgres "$@" 2>&1)
  wait $sp
  kill $vp 2>/dev/null; wait $vp 2>/dev/null
  tps=$(echo "$out" | sed -nE 's/^tps = ([0-9.]+) .*/\1/p')
  fail=$(echo "$out" | sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p')
  lat=$(echo "$out" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p')
  cpu=$(python3 cpu.py diff r1 r2)
  # mean us+sy over the vmstat samples, skipping headers and the first (since-boot) sample
  vm=$(awk 'NR>3 && $1 ~ /^[0-9]+$/ {s+=$13+$14; n++} END{if(n) printf "%.1f", s/n}' vm_$label.txt)
  fgn=$(echo "$cpu" | sed -E 's/.*foreign~=(-?[0-9.]+)%.*/\1/')
  echo "$(date +%T) $label try=$try tps=$tps lat_ms=$lat failed=$fail vmstat_us+sy=$vm $cpu" | tee -a results.txt
  echo "$out" | grep -iE 'error|abort' | head -3
  awk -v f=$fgn 'BEGIN{exit !(f<5)}' && break
  echo "  (foreign CPU during run, retrying)"
done
