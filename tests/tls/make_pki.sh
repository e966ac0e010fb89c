#!/bin/sh
# A throwaway Modbus/TCP Security PKI for the mTLS tests, made at build time in DIR (never
# committed): a CA, a server certificate for 127.0.0.1 signed by it, client certificates with
# the role extension (1.3.6.1.4.1.50316.802.1, UTF8String), one without a role, an expired one,
# a not-yet-valid one, a revoked one (and the CA's CRL listing it), and a client certificate
# from another CA. `openssl ca` is used because Debian 12's openssl 3.0 `x509` cannot set the
# validity start.
#   usage: make_pki.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
oid=1.3.6.1.4.1.50316.802.1
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca_setup() { # name
    mkdir -p "$1.db"
    : >"$1.db/index.txt"
    echo 1000 >"$1.db/serial"
    echo 1000 >"$1.db/crlnumber"
    cat >"$1.cnf" <<CNF
[ca]
default_ca = this
[this]
dir = $1.db
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
default_md = sha256
policy = any
copy_extensions = none
default_crl_days = 3650
unique_subject = no
[any]
commonName = supplied
CNF
    newkey "$1.key"
    openssl req -x509 -key "$1.key" -days 3650 -subj "/CN=gw-test-$1" -out "$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

issue() { # ca, name, start (YYMMDDHHMMSSZ or ""), end, extensions...
    ca=$1 name=$2 start=$3 end=$4
    shift 4
    newkey "$name.key"
    openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr"
    {
        echo "[ext]"
        for e in "$@"; do echo "$e"; done
    } >"$name.ext"
    if [ -n "$start" ]; then
        dates="-startdate $start -enddate $end"
    else
        dates="-days 3650"
    fi
    # shellcheck disable=SC2086
    openssl ca -batch -notext -config "$ca.cnf" -cert "$ca.crt" -keyfile "$ca.key" $dates \
        -extfile "$name.ext" -extensions ext -in "$name.csr" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}

client() { echo "extendedKeyUsage=clientAuth"; }

ca_setup ca
ca_setup other_ca
issue ca server "" "" "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth"
issue ca operator "" "" "$(client)" "$oid=ASN1:UTF8String:operator"
issue ca viewer "" "" "$(client)" "$oid=ASN1:UTF8String:viewer"
issue ca no_role "" "" "$(client)"
issue ca expired 200101000000Z 210101000000Z "$(client)" "$oid=ASN1:UTF8String:operator"
issue ca not_yet_valid 400101000000Z 410101000000Z "$(client)" "$oid=ASN1:UTF8String:operator"
issue ca revoked "" "" "$(client)" "$oid=ASN1:UTF8String:operator"
issue other_ca stranger "" "" "$(client)" "$oid=ASN1:UTF8String:operator"
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -revoke revoked.crt 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -gencrl -out ca.crl 2>/dev/null
# An RSA server certificate: the compatibility suite (AES128-SHA256) has RSA key exchange.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server_rsa.key 2>/dev/null
openssl req -new -key server_rsa.key -subj "/CN=server_rsa" -out server_rsa.csr
printf '[ext]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server_rsa.ext
openssl ca -batch -notext -config ca.cnf -cert ca.crt -keyfile ca.key -days 3650 \
    -extfile server_rsa.ext -extensions ext -in server_rsa.csr -out server_rsa.crt 2>/dev/null
rm -f server_rsa.csr server_rsa.ext
touch stamp
