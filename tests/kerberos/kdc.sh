#!/usr/bin/env bash
# Prepares a throw-away MIT Kerberos realm for the tests, in DIR:
#   DIR/krb5.conf       client and KDC configuration (point KRB5_CONFIG here)
#   DIR/kdc.conf        KDC profile (KRB5_KDC_PROFILE), database under DIR
#   DIR/service.keytab  key of HTTP/localhost@MESH.TEST (the server's)
#   DIR/other.keytab    key of HTTP/other.localhost@MESH.TEST (another service)
#   DIR/USER.keytab     keys of the users alice, bob and carol, for kinit -k
# The realm is MESH.TEST, its KDC on 127.0.0.1:PORT (TCP and UDP). Start it
# with `KRB5_CONFIG=DIR/krb5.conf KRB5_KDC_PROFILE=DIR/kdc.conf krb5kdc -n`
# (the caller owns the process, so it ends with the tests).
#
# Usage: tests/kerberos/kdc.sh DIR PORT
set -euo pipefail
if [[ $# -ne 2 ]]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
dir="$(cd "$1" && pwd)"
port="$2"
realm="MESH.TEST"
# kadmin.local and kdb5_util live in sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
for tool in kdb5_util kadmin.local krb5kdc; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool not found: install krb5-kdc and krb5-admin-server (scripts/test does)" >&2
        exit 3
    fi
done

cat >"$dir/krb5.conf" <<CONF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ticket_lifetime = 10h
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = $realm
    .localhost = $realm
CONF

cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        max_life = 10h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
: >"$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
kdb5_util create -s -r "$realm" -P "master-$RANDOM$RANDOM" >/dev/null
{
    echo "addprinc -randkey HTTP/localhost@$realm"
    echo "addprinc -randkey HTTP/other.localhost@$realm"
    echo "ktadd -k $dir/service.keytab HTTP/localhost@$realm"
    echo "ktadd -k $dir/other.keytab HTTP/other.localhost@$realm"
    for user in alice bob carol; do
        echo "addprinc -randkey $user@$realm"
        echo "ktadd -k $dir/$user.keytab $user@$realm"
    done
} | kadmin.local -r "$realm" >/dev/null 2>"$dir/kadmin.log" || {
    cat "$dir/kadmin.log" >&2
    exit 1
}
