#!/bin/bash
# diagnose's options and error paths: one line on stderr and the documented
# exit code; with -j stdout stays one JSON document {"error": ...}.  Nothing
# is sent: every case fails before a workload starts (the report case
# before any tracer or capture opens).
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
tmpdir_create TMP

# expect NAME RC ARGS...: as drops_usage.sh: exit RC, one stderr line, no stdout; -j: {"error"}.
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$BIN" diagnose "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[[ $rc -eq $want && ! -s $TMP/out && $(wc -l <"$TMP/err") -eq 1 ]]
	log_test "diagnose: $name (exit $want)" $? "rc=$rc stdout=$(head -c 100 "$TMP/out") stderr=$(cat "$TMP/err")"
	"$BIN" -j diagnose "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[[ $rc -eq $want && $(wc -l <"$TMP/err") -eq 1 ]] &&
		jq -se 'length == 1 and (.[0].error | type == "string" and length > 0)' \
			"$TMP/out" >/dev/null 2>&1
	log_test "diagnose -j: $name gives {\"error\": ...}" $? "rc=$rc stdout='$(head -c 100 "$TMP/out")'"
}

help=$("$BIN" diagnose --help); rc=$?
missing=""
for o in --capture --no-capture --full-capture --threshold --report --ring-mb --flows \
	--streams --duration --size --port --sport-base --transactions --help; do
	grep -q -- "$o\b" <<<"$help" || missing="$missing $o"
done
[[ $rc -eq 0 && -z $missing ]]
log_test "diagnose --help lists its own and rr's options" $? "missing:$missing"

expect "no workload" 2
expect "unknown workload" 2 ping 198.18.0.2
expect "rr without HOST" 2 rr
expect "rr with two hosts" 2 rr 198.18.0.2 198.18.0.3
expect "unknown option" 2 --bogus rr 198.18.0.2
expect "bad --size" 2 rr 198.18.0.2 --size 0
expect "bad --threshold" 2 --threshold 0 rr 198.18.0.2
expect "-4 and -6" 2 rr 198.18.0.2 -4 -6
expect "--flows with a workload" 2 --flows "tcp port 5201" rr 198.18.0.2
expect "--flows ''" 2 --flows ""
expect "five --capture" 2 -c a -c b -c c -c d -c e rr 198.18.0.2
# A name would need a DNS query: only literal addresses are taken.
expect "a host name" 2 rr localhost
expect "a host name without capture" 2 --no-capture rr localhost
echo x >"$TMP/file"
expect "--report on a file" 1 --report "$TMP/file" rr 198.18.0.2
[[ $(cat "$TMP/file") == x ]]
log_test "diagnose: the file named by --report is left as it was" $?
tests_exit
