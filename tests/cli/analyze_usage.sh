#!/bin/bash
# analyze's error paths: one line on stderr and the documented exit code;
# with -j stdout stays a JSON document.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
tmpdir_create TMP

# expect NAME RC ARGS...: exit RC, exactly one stderr line, nothing on stdout.
expect()
{
	local name=$1 want=$2 rc
	shift 2
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -eq "$want" ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]; then
		log_test "analyze: $name (exit $want)" 0
	else
		echo "  rc=$rc stdout=$(head -c 100 "$TMP/out") stderr=$(cat "$TMP/err")"
		log_test "analyze: $name (exit $want)" 1
	fi
}

expect "no source" 2 analyze
expect "-r and -i" 2 analyze -r x.pcap -i lo
expect "--duration on a file" 2 analyze --duration 5 x.pcap
expect "bad --snaplen" 2 analyze --snaplen 10 -i lo
expect "missing file" 1 analyze "$TMP/nope.pcap"
printf 'not a capture\n' >"$TMP/text"
expect "not a capture" 1 analyze "$TMP/text"
: >"$TMP/empty"
expect "empty file" 1 analyze "$TMP/empty"
expect "bad filter" 1 analyze -i lo 'tcp port'
expect "no such interface" 1 analyze -i ds-nonexistent0
if [[ -x $DS_ROOT/.output/tools/pcapgen ]] &&
	"$DS_ROOT/.output/tools/pcapgen" -o "$TMP/clean.pcap" "$DS_ROOT/tests/pcap/clean.scn"; then
	expect "--events in a missing directory" 1 analyze --events "$TMP/no/dir/ev" "$TMP/clean.pcap"
else
	log_test "analyze: --events in a missing directory" 4 "pcapgen not built (make tools)"
fi
echo "the user's" >"$TMP/old.ev"
expect "--events with a bad capture" 1 analyze --events "$TMP/old.ev" "$TMP/text"
[[ $(cat "$TMP/old.ev") == "the user's" ]]
log_test "analyze: a bad capture leaves the --events file as it was" $?

"$BIN" -j analyze "$TMP/text" >"$TMP/out" 2>/dev/null
jq -e '.error | test("unknown file format")' "$TMP/out" >/dev/null
log_test "analyze -j on a text file: {\"error\": ...}" $?

# Live capture without privilege: exit 3, a reason naming the capability.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$BIN" analyze -i lo --duration 1 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc -eq 3 ] && grep -q "CAP_NET_RAW" "$TMP/err"
	log_test "analyze -i without privilege: exit 3 ($(cat "$TMP/err"))" $?
else
	log_test "analyze -i without privilege" 4 "needs root and setpriv to drop it"
fi
tests_exit
