#!/bin/bash
# run.sh LABEL DB CLIENTS SCRIPT(or -N) SECONDS B
label=$1 db=$2 c=$3 f=$4 T=$5 B=$6
psql -h 127.0.0.1 -U postgres -d $db -qc CHECKPOINT
if [ "$f" = "-N" ]; then args="-N"; else args="-f /tmp/rp/$f.sql -D seq=$(date +%s%N | cut -c1-15)"; fi
j=$(( c < 2 ? 1 : 2 ))
out=$(pgbench -h 127.0.0.1 -U postgres -n -M prepared -c $c -j $j -T $T $args $db 2>&1 &
  sleep 2; a=$(/tmp/rp/pgcpu.sh); s1=$(head -1 /proc/stat); sleep $((T-4)); b=$(/tmp/rp/pgcpu.sh); s2=$(head -1 /proc/stat); echo "PGCPU $a $b $((T-4))"; echo "STAT1 $s1"; echo "STAT2 $s2"; wait)
tps=$(echo "$out" | sed -nE 's/^tps = ([0-9.]+) .*/\1/p'); fail=$(echo "$out" | sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p')
read _ a b w <<< "$(echo "$out" | grep PGCPU)"
busy=$(echo "$out" | awk '/STAT1/{for(i=3;i<=9;i++)t1+=$i; i1=$6+$7} /STAT2/{for(i=3;i<=9;i++)t2+=$i; i2=$6+$7} END{printf "%.0f", 100*(1-(i2-i1)/(t2-t1))}')
co=$(awk -v t=$tps -v b=$B 'BEGIN{printf "%.0f", t*b}')
pgms=$(awk -v a=$a -v b=$b -v w=$w -v co=$co 'BEGIN{printf "%.2f", (b-a)*10/w/co}')
echo "$(date +%T) $label c=$c tps=$tps checkouts/s=$co pg_cpu_ms/checkout=$pgms machine_busy=$busy% failed=$fail" | tee -a /tmp/rp/results.txt
echo "$out" | grep -iE "error" | head -2
