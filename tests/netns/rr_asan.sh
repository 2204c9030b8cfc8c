#!/bin/bash
# The rr client and server built with ASan+UBSan, through their real code
# paths: many streams, loss (RTO stalls), a garbage client, a client killed
# mid-run. Any sanitizer report fails the test.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq

BIN=${DS_ASAN_BIN:-$DS_ROOT/.output/asan/dropscope}
[ -x "$BIN" ] || { log_test "rr under ASan: binary $BIN" 4 "not built"; tests_exit; }
PORT=12867
tmpdir_create TMP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66

lab_pair off
loss_add "$SRV_NS" 10 "tcp dport != $PORT"
bg_run "$SRV_NS" srv bash -c "exec '$BIN' rr --server --bind $SRV_IP --port $PORT 2>'$TMP/server.err'"
busywait 5000 ns_listening "$SRV_NS" $PORT

cli() { ip netns exec "$CLI_NS" timeout 60 "$BIN" "$@"; }

cli -j rr "$SRV_IP" --streams 16 --duration 2 --size 100,3000 >"$TMP/a.json" 2>"$TMP/a.err"
rc=$?
[ $rc -eq 0 ] && [ "$(jq .transactions "$TMP/a.json")" -gt 0 ] && ! grep -q Sanitizer "$TMP/a.err"
log_test "rr under ASan: 16 streams with loss, 100/3000 B (rc=$rc)" $?

cli rr "$SRV_IP" --streams 2 --duration 1 --size 70000 --svg "$TMP/h.svg" >/dev/null 2>"$TMP/b.err"
rc=$?
[ $rc -eq 0 ] && ! grep -q Sanitizer "$TMP/b.err"
log_test "rr under ASan: 70000-byte messages (partial writes), text + SVG (rc=$rc)" $?

# Slow events from 8 streams on 2 threads: TCP repair, the writers' lock.
cli -j rr "$SRV_IP" --streams 8 --threads 2 --duration 2 --events "$TMP/ev.ndjson" \
	--events-min 0 >"$TMP/e.json" 2>"$TMP/e.err"
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '"req_seq"' "$TMP/ev.ndjson")" -eq "$(jq .transactions "$TMP/e.json")" ] &&
	! grep -q Sanitizer "$TMP/e.err"
log_test "rr under ASan: --events-min 0, an event per transaction (rc=$rc)" $?

ip netns exec "$CLI_NS" timeout 5 bash -c \
	"exec 3<>/dev/tcp/$SRV_IP/$PORT; head -c 3000 /dev/urandom >&3; cat <&3 >/dev/null" 2>/dev/null
cli -j rr "$SRV_IP" --streams 4 --duration 5 >/dev/null 2>&1 &
victim=$!
sleep 1; kill -9 $victim; wait $victim 2>/dev/null
cli -j rr "$SRV_IP" --streams 4 --duration 1 >"$TMP/c.json" 2>"$TMP/c.err"
[ $? -eq 0 ] && [ "$(jq .transactions "$TMP/c.json")" -gt 0 ]
log_test "rr under ASan: server survives garbage and a killed client" $?

# SIGTERM ends the server cleanly: exit 0 and no leak or UB report.
kill -TERM "$srv"
busywait 5000 sh -c "! kill -0 $srv 2>/dev/null"
! grep -q -E "Sanitizer|runtime error" "$TMP/server.err"
log_test "rr server under ASan: no sanitizer report after all sessions" $? 
[ -s "$TMP/server.err" ] && grep -E "Sanitizer|runtime error" -A5 "$TMP/server.err" | head -20

tests_exit
