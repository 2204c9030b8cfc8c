#!/bin/bash
# shape's options, its configuration checks and --check's tree, with no
# device touched: each error one line on stderr and the documented exit
# code (-j: one {"error": ...} document); --check's tree against the
# configuration written here (the tree rules of doc/shape.md, by hand).
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
tmpdir_create TMP

# expect NAME RC ARGS...: exit RC, one stderr line, no stdout; -j: {"error"}.
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$BIN" shape "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[[ $rc -eq $want && ! -s $TMP/out && $(wc -l <"$TMP/err") -eq 1 ]]
	log_test "shape: $name (exit $want)" $? "rc=$rc stdout=$(head -c 100 "$TMP/out") stderr=$(cat "$TMP/err")"
	"$BIN" -j shape "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[[ $rc -eq $want && $(wc -l <"$TMP/err") -eq 1 ]] &&
		jq -se 'length == 1 and (.[0].error | type == "string" and length > 0)' \
			"$TMP/out" >/dev/null 2>&1
	log_test "shape -j: $name gives {\"error\": ...}" $? "rc=$rc stdout='$(head -c 100 "$TMP/out")'"
}

help=$("$BIN" shape --help); rc=$?
missing=""
for o in --config --dry-run --duration --decisions --state --status --restore --check --help; do
	grep -q -- "$o\b" <<<"$help" || missing="$missing $o"
done
[[ $rc -eq 0 && -z $missing ]]
log_test "shape --help lists its options" $? "missing:$missing"

good() {
	cat <<INI
[shape]
device = ${1:-lo}
floor = 10mbit
line = 100mbit
start = 40mbit
state = $TMP/st
status = $TMP/status.json

[class interactive]
rate = 2mbit
ceil = 20mbit
depth = 20ms
src = 198.18.10.0/24
set_dscp = af41

[class voice]
rate = 1mbit
prio = 1
depth = 30p
dscp = ef

[class bulk]
rate = 4mbit
prio = 7
depth = 100p
default = yes
INI
}
good >"$TMP/good.ini"
good dsnone0 >"$TMP/nodev.ini"
{ good; printf '[class extra]\nrate = 6mbit\ndepth = 10p\ndscp = cs1\n'; } >"$TMP/over.ini"
{ good; printf 'bogus = 1\n'; } >"$TMP/key.ini"
printf 'DSSHAPE1 but not a state file at all' >"$TMP/corrupt.state"

expect "no -c" 2
expect "unexpected argument" 2 -c "$TMP/good.ini" extra
expect "unknown option" 2 --bogus
expect "no such configuration" 1 -c "$TMP/none.ini"
expect "--restore with -c" 2 --restore "$TMP/x.state" -c "$TMP/good.ini"
expect "--restore of a missing file" 1 --restore "$TMP/none.state"
expect "--restore of a corrupt file" 1 --restore "$TMP/corrupt.state"
expect "status without -c or --status" 2 status
expect "status with no shaper" 1 status -c "$TMP/good.ini"
expect "an absent device" 1 -c "$TMP/nodev.ini"
expect "guaranteed rates over the floor" 2 -c "$TMP/over.ini"
expect "an unknown key" 2 -c "$TMP/key.ini"
# The line of the key the error names.
"$BIN" shape -c "$TMP/over.ini" 2>&1 | grep -q "over.ini:[0-9]*:.*extra"
log_test "shape: the guarantee error names FILE:LINE and the class" $?
n=$(grep -n '^bogus' "$TMP/key.ini" | cut -d: -f1)
"$BIN" shape -c "$TMP/key.ini" 2>&1 | grep -q "key.ini:$n:.*bogus"
log_test "shape: the unknown key's error names FILE:$n and the key" $?
[[ ! -e $TMP/st && ! -e $TMP/status.json ]]
log_test "shape: no error left a state or status file" $?

# --check: the tree of doc/shape.md's rules for this file, computed here by hand
# (on a device that is absent here: an MTU of 1500).
"$BIN" -j shape --check -c "$TMP/nodev.ini" >"$TMP/check.json"
log_test "shape --check -c FILE (exit 0)" $?
jq -e '
	(.classes | map({(.name): .}) | add) as $c |
	.start_bps == 40000000 and .floor_bps == 10000000 and .line_bps == 100000000 and
	$c.root.classid == "1:1" and $c.root.rate_bps == 40000000 and $c.root.ceil_bps == 40000000 and
	$c.interactive.classid == "1:10" and $c.interactive.rate_bps == 2000000 and
	$c.interactive.ceil_bps == 20000000 and $c.interactive.leaf == "bfifo" and
	$c.interactive.limit_bytes == 5000 and $c.interactive.dscp == 34 and
	$c.voice.classid == "1:11" and $c.voice.ceil_bps == 40000000 and $c.voice.prio == 1 and
	$c.voice.leaf == "pfifo" and $c.voice.limit_packets == 30 and $c.voice.dscp == 46 and
	$c.bulk.classid == "1:12" and $c.bulk.prio == 7 and $c.bulk.limit_packets == 100 and
	($c.bulk | has("dscp") | not) and
	(.nft | test("ip saddr 198.18.10.0/24 counter ip dscp set 34 accept"))' "$TMP/check.json" >/dev/null
log_test "shape --check: classids, rates, ceils (min(ceil, R)), prio, leaves, DSCPs, the nft rule" $? \
	"$(jq -c '.classes' "$TMP/check.json" | head -c 600)"
"$BIN" shape --check -c "$TMP/nodev.ini" | grep -q "htb default 12"
log_test "shape --check: text names the default class 1:12" $?
tests_exit
