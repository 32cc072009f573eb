#!/bin/bash
# checkout.sh PORT N: sign in as the demo individual and make N balance checkouts
P=$1; N=$2; J=/tmp/cj.$P
rm -f $J
curl -s -c $J -b $J 127.0.0.1:$P/login -o /dev/null
CSRF=$(awk '$6=="csrf"{print $7}' $J)
curl -s -c $J -b $J -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"login":"individual@demo.yuanxu.test","password":"yuanxu-demo-individual"}' 127.0.0.1:$P/api/v1/auth/login -o /dev/null -w "login %{http_code}\n"
CSRF=$(awk '$6=="csrf"{print $7}' $J)
AG=$(curl -s -b $J 127.0.0.1:$P/api/v1/agreement)
VID=$(echo "$AG" | python3 -c 'import sys,json;d=json.load(sys.stdin);print(d["id"])')
ACK=$(echo "$AG" | python3 -c 'import sys,json;d=json.load(sys.stdin);print(json.dumps([c["id"] if isinstance(c,dict) else c for c in d["key_clauses"]]))')
for i in $(seq 1 $N); do
curl -s -b $J -c $J -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d "{\"lines\":[{\"product_id\":\"cs-nc-bw\",\"plan_id\":\"s1\",\"cycle\":\"month\",\"quantity\":1}],\"agreement\":{\"version_id\":\"$VID\",\"acknowledged\":$ACK},\"pay\":{\"method\":\"balance\"}}" 127.0.0.1:$P/api/v1/orders | python3 -c 'import sys,json;d=json.load(sys.stdin);print(d.get("state"), d.get("id"), d.get("code",""), d.get("detail",""))'
done
