#!/bin/bash
# drops' options and error paths: one line on stderr and the documented exit
# code; with -j stdout stays a JSON document; the JSON shapes of a short run.
# No packet is sent: the runs only watch the host for a fraction of a second.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
tmpdir_create TMP

# expect NAME RC ARGS...: exit RC, exactly one stderr line, nothing on stdout;
# then the same with -j: exit RC, one stderr line, and stdout one JSON
# document {"error": "<non-empty string>"}.
expect()
{
	local name=$1 want=$2 rc
	shift 2
	"$BIN" drops "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -eq "$want" ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]; then
		log_test "drops: $name (exit $want)" 0
	else
		echo "  rc=$rc stdout=$(head -c 100 "$TMP/out") stderr=$(cat "$TMP/err")"
		log_test "drops: $name (exit $want)" 1
	fi
	"$BIN" -j drops "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
	   jq -se 'length == 1 and (.[0].error | type == "string" and length > 0)' \
		"$TMP/out" >/dev/null 2>&1; then
		log_test "drops -j: $name gives {\"error\": ...}" 0
	else
		echo "  rc=$rc stdout='$(head -c 100 "$TMP/out")' stderr=$(cat "$TMP/err")"
		log_test "drops -j: $name gives {\"error\": ...}" 1
	fi
}

# Help goes to stdout and succeeds; the table's options all appear in it.
help=$("$BIN" drops --help); rc=$?
missing=""
for o in -d --duration -i --interval -n --netns -f --filter -e --events -C --counters-only -t --trace \
	--no-probe --ring-mb --keep-privileges --help; do
	grep -q -- "$o\b" <<<"$help" || missing="$missing $o"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
log_test "drops --help lists every option" $? "missing:$missing"

expect "unknown option" 2 --bogus
expect "--no-probe foo" 2 --no-probe foo
expect "-i 0" 2 -i 0
expect "-d -1" 2 -d -1
expect "-d abc" 2 -d abc
expect "--ring-mb 0" 2 --ring-mb 0
expect "a positional argument" 2 -d 0.1 tcp
expect "--counters-only with --trace" 2 --counters-only --trace -d 0.1
expect "--counters-only with --filter" 2 --counters-only --filter tcp -d 0.1
expect "--counters-only with --events" 2 --counters-only --events - -d 0.1
expect "--events with an empty name" 2 --events '' -d 0.1
expect "--events into a missing directory" 1 --events "$TMP/nosuch/ev" -d 0.1
expect "bad --filter expression" 2 --filter 'tcp port' -d 0.1
# A well-formed name that names nothing is a runtime failure, as analyze's
# "no such interface" is (CONVENTIONS: 1 runtime, 2 usage).
expect "--netns nosuch" 1 --netns ds-nosuch-netns -d 0.1

# Without privilege: counters only, said once on stderr; --trace insists: exit 3.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	"${nobody[@]}" "$BIN" drops -d 0.2 >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ $rc -eq 0 ] && grep -q "counters only" "$TMP/out" &&
		[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "counters only" "$TMP/err"
	log_test "drops without privilege: counters only, one warning" $? \
		"rc=$rc stderr=$(cat "$TMP/err")"

	"${nobody[@]}" "$BIN" -j drops -d 0.2 >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ $rc -eq 0 ] && jq -e '.tracing.active == false and (.tracing.why_not | length > 0)' \
		"$TMP/out" >/dev/null
	log_test "drops -j without privilege: tracing.active false" $? "rc=$rc"

	"${nobody[@]}" "$BIN" drops --trace -d 0.2 >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ $rc -eq 3 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
		grep -q "CAP_BPF" "$TMP/err"
	log_test "drops --trace without privilege: exit 3 ($(cat "$TMP/err"))" $? "rc=$rc"

	"${nobody[@]}" "$BIN" -j drops --trace -d 0.2 >"$TMP/out" 2>/dev/null; rc=$?
	[ $rc -eq 3 ] && jq -e '.error | test("CAP_BPF")' "$TMP/out" >/dev/null
	log_test "drops -j --trace without privilege: {\"error\": ...}" $? "rc=$rc"
else
	log_test "drops without privilege" 4 "needs root and setpriv to drop it"
fi

# One JSON document with the documented keys and types.
"$BIN" -j drops --counters-only -d 0.2 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && jq -e '
	(.duration_s | type == "number" and . >= 0.15 and . < 5) and
	(.devices | type == "array") and
	(.reasons | type == "object") and
	(.tcp.retrans_segs | type == "number") and
	(.tcp.timeouts | type == "number") and
	(.tcp.loss_probes | type == "number") and
	(.tcp.fast_retrans | type == "number") and
	(.tracer_lost | type == "number") and
	(.tracing.active == false)' "$TMP/out" >/dev/null
log_test "drops --counters-only -j: keys and types" $? "rc=$rc $(head -c 200 "$TMP/out")"

# With -s every device is listed, lo at least; nothing traced, so nothing to
# explain with: "unexplained" is null and "events" empty.
"$BIN" -j -s drops --counters-only -d 0.2 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 0 ] && jq -e '(.devices | length > 0) and ([.devices[] |
	(.ifname | type == "string") and (.ifindex | type == "number") and
	(.rx_dropped | type == "number") and (.tx_dropped | type == "number") and
	(.rx_missed | type == "number") and (.qdisc_drops | type == "number") and
	.events == {} and .unexplained == null] | all) and
	any(.devices[]; .ifname == "lo")' "$TMP/out" >/dev/null
log_test "drops -s --counters-only -j: every device, no unexplained" $? "rc=$rc"

# NDJSON: one interval object per 0.2 s, then the summary line.
"$BIN" -j drops -i 0.2 -d 0.7 >"$TMP/out" 2>"$TMP/err"; rc=$?
lines=0 bad=0 intervals=0 last=""
while IFS= read -r line; do
	lines=$((lines + 1))
	if ! jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1; then
		bad=$((bad + 1)) last="unparsable"
		echo "  line $lines does not parse: $(head -c 120 <<<"$line")"
		continue
	fi
	last=$(jq -r '.type // "interval"' <<<"$line")
	[ "$last" = interval ] && intervals=$((intervals + 1))
done <"$TMP/out"
[ $rc -eq 0 ] && [ $bad -eq 0 ]
log_test "drops -j -i: every line is a JSON object" $? "rc=$rc, $bad of $lines lines bad"
[ $intervals -eq 3 ]
log_test "drops -j -i 0.2 -d 0.7: 3 interval lines" $? "got $intervals"
[ "$last" = summary ] && [ $lines -eq $((intervals + 1)) ]
log_test "drops -j -i: the last line is the summary" $? "last type '$last', $lines lines"
grep -v '^{"type":"summary"' "$TMP/out" | jq -se 'length == 3 and
	(.[0].start_s == 0) and (.[1].start_s == .[0].end_s) and (.[2].start_s == .[1].end_s) and
	all(.[]; .end_s > .start_s and (.tcp.retrans_segs | type == "number"))' >/dev/null 2>&1
log_test "drops -j -i: intervals follow each other" $?
grep -v '^{"type":"summary"' "$TMP/out" | jq -se 'all(.[]; .type == "interval" and
	(keys_unsorted[0:2] == ["type", "t_ns"]) and (.t_s | type == "number") and
	(.interval_s > 0.15 and .interval_s < 1))' >/dev/null 2>&1
log_test "drops -j -i: interval lines share analyze's schema (type t_ns t_s interval_s)" $?

# --events -: stdout is NDJSON, events and intervals, the summary last.
if [ "$(id -u)" -eq 0 ]; then
	"$BIN" drops --events - -i 0.2 -d 0.5 >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ $rc -eq 0 ] && jq -se 'length >= 3 and all(.[]; keys_unsorted[0:2] == ["type", "t_ns"]) and
		.[-1].type == "summary" and (.[-1].drops.events_lost | type == "number") and
		([.[] | select(.type == "interval")] | length == 2)' "$TMP/out" >/dev/null 2>&1
	log_test "drops --events -: NDJSON lines, the summary last with events_lost" $? \
		"rc=$rc $(tail -c 200 "$TMP/out")"
else
	log_test "drops --events -" 4 "needs root to trace"
fi

tests_exit
