#!/bin/bash
# prints total utime+stime ticks of all postgres processes (including exited children is not possible; backends persist for the run)
t=0; for p in $(pgrep -x postgres); do s=$(awk '{print $14+$15+$16+$17}' /proc/$p/stat 2>/dev/null); t=$((t + ${s:-0})); done; echo $t
