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
	expect "--monitor without --path" 2 analyze --monitor "$TMP/clean.pcap"
	expect "--monitor, bad --path" 2 analyze --monitor --path 198.18.0.0/33=198.18.1.0/24 \
		"$TMP/clean.pcap"
	expect "--monitor, --qdisc-netns without --qdisc-dev" 2 analyze --monitor \
		--path 198.18.0.0/24=198.18.1.0/24 --qdisc-netns x "$TMP/clean.pcap"
	expect "--monitor, --qdisc-netns not a name" 2 analyze --monitor \
		--path 198.18.0.0/24=198.18.1.0/24 --qdisc-netns ../x --qdisc-dev lo "$TMP/clean.pcap"
	expect "--monitor, no such --qdisc-netns" 1 analyze --monitor \
		--path 198.18.0.0/24=198.18.1.0/24 --qdisc-netns ds-nonexistent --qdisc-dev lo "$TMP/clean.pcap"
	expect "--monitor, no such --qdisc-dev" 1 analyze --monitor \
		--path 198.18.0.0/24=198.18.1.0/24 --qdisc-dev ds-nonexistent0 "$TMP/clean.pcap"
	expect "--monitor, --windows in a missing directory" 1 analyze --monitor \
		--path 198.18.0.0/24=198.18.1.0/24 --windows "$TMP/no/dir/w" "$TMP/clean.pcap"
	"$BIN" analyze --monitor --path 198.18.0.0/24=198.18.1.0/24 --svg "$TMP/mon.svg" \
		"$TMP/clean.pcap" >/dev/null 2>&1 && grep -q '</svg>' "$TMP/mon.svg" &&
		{ ! command -v xmllint >/dev/null || xmllint --noout "$TMP/mon.svg"; }
	log_test "analyze --monitor --svg: a well-formed SVG" $?
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

# expect_json NAME RC WANT ARGS...: with -j, exit RC and stdout one JSON
# document whose .error holds WANT (a jq regex).
expect_json()
{
	local name=$1 want=$2 re=$3 rc
	shift 3
	"$BIN" -j "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -eq "$want" ] && jq -se 'length == 1' "$TMP/out" >/dev/null 2>&1 &&
		jq -e --arg re "$re" '.error | test($re)' "$TMP/out" >/dev/null 2>&1; then
		log_test "analyze -j: $name (exit $want, .error)" 0
	else
		echo "  rc=$rc stdout=$(head -c 200 "$TMP/out") stderr=$(head -n 2 "$TMP/err")"
		log_test "analyze -j: $name (exit $want, .error)" 1
	fi
}

expect_json "usage error" 2 "unknown option" analyze --bogus x.pcap
expect_json "missing file" 1 "No such file" analyze "$TMP/nope.pcap"
expect_json "empty file" 1 "." analyze "$TMP/empty"
expect_json "a directory" 1 "Is a directory" analyze "$TMP"
if [[ -f $TMP/clean.pcap ]]; then
	expect_json "bad filter on a file" 1 "bad filter" analyze "$TMP/clean.pcap" 'tcp port'
	# The first record cut short (the file header is 24 bytes), or garbage.
	head -c 40 "$TMP/clean.pcap" >"$TMP/cut1.pcap"
	expect_json "first record cut short" 1 "truncated" analyze "$TMP/cut1.pcap"
	{ head -c 24 "$TMP/clean.pcap"; printf 'garbage%.0s' {1..20}; } >"$TMP/garbage.pcap"
	expect_json "garbage after the header" 1 "capture length" analyze "$TMP/garbage.pcap"
	expect_json "-w in a missing directory" 1 "cannot write" \
		analyze -w "$TMP/no/dir/x.pcap" "$TMP/clean.pcap"
	expect_json "--events in a missing directory" 1 "cannot write events" \
		analyze --events "$TMP/no/dir/ev" "$TMP/clean.pcap"
	# After 14 of the 15 records: the report, with the reason, exit 0.
	cp "$TMP/clean.pcap" "$TMP/cut.pcap"
	truncate -s -10 "$TMP/cut.pcap"
	expect_json "last record cut short: the report" 0 "truncated" analyze "$TMP/cut.pcap"
	jq -e '.packets == 14 and .interrupted == false' "$TMP/out" >/dev/null
	log_test "analyze -j: last record cut short: packets 14, not interrupted" $?
	# Events that cannot be written after packets were read: the report, exit 1.
	"$DS_ROOT/.output/tools/pcapgen" -o "$TMP/fr.pcap" "$DS_ROOT/tests/pcap/fast_retransmit.scn"
	expect_json "--events to a full device: the report" 1 "cannot write events" \
		analyze --events /dev/full "$TMP/fr.pcap"
	jq -e '.packets == 17 and .retrans_segs == 1' "$TMP/out" >/dev/null
	log_test "analyze -j: --events to a full device: packets 17, retrans 1" $?
else
	log_test "analyze -j: error paths on a capture" 4 "pcapgen not built (make tools)"
fi

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
