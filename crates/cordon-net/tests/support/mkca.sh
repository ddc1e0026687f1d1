#!/bin/sh
# mkca.sh DIR NAME... : a test CA (DIR/ca.pem) and a server certificate for
# the given DNS names signed by it (DIR/cert.pem, DIR/key.pem).
set -eu
d=$1; shift
san=$(printf 'DNS:%s,' "$@"); san=${san%,}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=cordon test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=$1" -keyout "$d/key.pem" -out "$d/req.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > "$d/ext.cnf"
openssl x509 -req -in "$d/req.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
  -days 2 -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
