#!/bin/bash
# Argument errors: one line on stderr, exit 2, nothing on stdout (or a JSON error).
# timeout: 60
source "$(dirname "$0")/../lib.sh"

BIN=${DS_BIN:-./dropscope}

# expect_usage NAME ARGS...: exit 2 and exactly one stderr line.
expect_usage()
{
	local name=$1 out err rc
	shift
	out=$("$BIN" "$@" 2>/tmp/ds-usage-err.$$); rc=$?
	err=$(cat /tmp/ds-usage-err.$$); rm -f /tmp/ds-usage-err.$$
	if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
	   [ -n "$err" ]; then
		log_test "usage: $name" 0
	else
		echo "  rc=$rc stdout='$out' stderr='$err'"
		log_test "usage: $name" 1
	fi
}

"$BIN" >/dev/null 2>&1; [ $? -eq 2 ]
log_test "usage: no command exits 2" $?
expect_usage "unknown command" bogus
expect_usage "rr without host" rr
expect_usage "rr two hosts" rr 198.18.0.2 198.18.0.3
expect_usage "rr --server with host" rr --server 198.18.0.2
expect_usage "rr unknown option" rr --bogus 198.18.0.2
expect_usage "rr --size 0" rr --size 0 198.18.0.2
expect_usage "rr --size x" rr --size x 198.18.0.2
expect_usage "rr --size 1,0" rr --size 1,0 198.18.0.2
expect_usage "rr --size 1,2,3" rr --size 1,2,3 198.18.0.2
expect_usage "rr --size too large" rr --size 99999999999 198.18.0.2
expect_usage "rr --duration -1" rr --duration -1 198.18.0.2
expect_usage "rr --duration abc" rr --duration abc 198.18.0.2
expect_usage "rr --duration 0" rr --duration 0 198.18.0.2
expect_usage "rr --streams 0" rr --streams 0 198.18.0.2
expect_usage "rr --streams 5000" rr --streams 5000 198.18.0.2
expect_usage "rr --port 70000" rr --port 70000 198.18.0.2
expect_usage "rr --sport-base overflow" rr --streams 16 --sport-base 65530 198.18.0.2
expect_usage "rr -4 -6" rr -4 -6 198.18.0.2
expect_usage "rr --events-min without --events" rr --events-min 1s 198.18.0.2
expect_usage "rr --events-min abc" rr --events /dev/null --events-min abc 198.18.0.2
expect_usage "rr --server --events" rr --server --events /dev/null

# Help goes to stdout and succeeds; the table's options all appear in it.
help=$("$BIN" rr --help); rc=$?
missing=""
for o in server bind once port streams threads duration transactions size sport-base timeout svg \
	events events-min; do
	grep -q -- "--$o" <<<"$help" || missing="$missing $o"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
log_test "rr --help lists every option" $? "missing:$missing"

# A unique prefix selects the command.
"$BIN" r --help >/dev/null
log_test "unique command prefix (r -> rr)" $?

v=$("$BIN" -V)
[[ "$v" =~ ^dropscope\ [0-9] ]]
log_test "version" $?

tests_exit
