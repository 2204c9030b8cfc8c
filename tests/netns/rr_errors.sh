#!/bin/bash
# rr's behaviour at the edges: refused, unreachable, server gone mid-run,
# server robustness against vanishing, stalling and garbage clients, binding,
# IPv6, --transactions, --sport-base, --svg.
# timeout: 240
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
PORT=12867
tmpdir_create TMP

cli() { ip netns exec "$CLI_NS" timeout 60 "$BIN" "$@"; }
start_server()
{
	bg_run "$SRV_NS" SRV_PID "$BIN" rr --server "$@"
	busywait 5000 ns_listening "$SRV_NS" $PORT
}
one_line() { [ -s "$1" ] && [ "$(wc -l <"$1")" -eq 1 ]; }

lab_pair

# Refused: nothing listens on the port.
cli rr "$SRV_IP" --port 9 --duration 1 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && one_line "$TMP/err" && grep -q "refused" "$TMP/err" && [ ! -s "$TMP/out" ]
log_test "refused port: one line, exit 1 ($(cat "$TMP/err"))" $?

# Unreachable: no route to that address (no default route in the namespace).
cli rr 198.19.255.1 --duration 1 --timeout 2 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && one_line "$TMP/err" && grep -qi "unreachable" "$TMP/err"
log_test "unreachable host: one line, exit 1 ($(cat "$TMP/err"))" $?

# JSON mode keeps stdout a valid document carrying the error.
cli -j rr "$SRV_IP" --port 9 --duration 1 >"$TMP/out" 2>/dev/null
jq -e '.error | test("refused")' "$TMP/out" >/dev/null
log_test "refused port with -j: {\"error\": ...}" $?

# The server binds where told, and only there.
start_server --bind "$SRV_IP" --port $PORT
ip netns exec "$SRV_NS" ss -Htln "sport = :$PORT" >"$TMP/ss"
[ "$(wc -l <"$TMP/ss")" -eq 1 ] && grep -q "$SRV_IP:$PORT" "$TMP/ss"
log_test "server listens only on --bind $SRV_IP" $?

# --transactions N: exactly N transactions, and the server served exactly N.
cli -j rr "$SRV_IP" --streams 4 --transactions 10000 >"$TMP/tx.json"
[ "$(jq .transactions "$TMP/tx.json")" -eq 10000 ] &&
[ "$(jq '[.streams[].remote_transactions] | add' "$TMP/tx.json")" -eq 10000 ]
log_test "--transactions 10000: client and server both count 10000" $?

# --sport-base: the kernel's view (ss, mid-run) shows the requested source ports.
data_ports() {
	ip netns exec "$CLI_NS" ss -Htn state established "dport != :$PORT" |
		awk '{n = split($3, a, ":"); print a[n]}' | sort -n | tr '\n' ' '
}
cli -j rr "$SRV_IP" --streams 4 --sport-base 41000 --duration 4 >"$TMP/sp.json" &
cpid=$!
busywait 3000 sh -c "[ \"\$(ip netns exec $CLI_NS ss -Htn state established 'dport != :$PORT' | wc -l)\" -eq 4 ]"
ports=$(data_ports)
wait $cpid
[ "$ports" = "41000 41001 41002 41003 " ] &&
[ "$(jq -c '[.streams[].sport]' "$TMP/sp.json")" = "[41000,41001,41002,41003]" ]
log_test "--sport-base 41000: kernel shows ports $ports" $?

# --svg writes a plot; an unwritable path fails without touching anything.
cli rr "$SRV_IP" --duration 1 --svg "$TMP/h.svg" >/dev/null
head -c 4 "$TMP/h.svg" | grep -q '<svg' && tail -n 1 "$TMP/h.svg" | grep -q '</svg>'
log_test "--svg writes an SVG document" $?
# A symlink (as /dev/stdout is) is written through, never renamed over.
ln -s "$TMP/target.svg" "$TMP/link.svg"
cli rr "$SRV_IP" --duration 1 --svg "$TMP/link.svg" >/dev/null 2>&1
[ -L "$TMP/link.svg" ] && grep -q '<svg' "$TMP/target.svg"
log_test "--svg through a symlink writes in place (as for /dev/stdout)" $?
cli rr "$SRV_IP" --duration 1 --svg /nonexistent/dir/h.svg >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "cannot write" "$TMP/err"
log_test "--svg to an unwritable path: exit 1 with a reason" $?

# Garbage on the control port, a client that stalls before its request, and
# one that vanishes mid-run: none of them stops a well-behaved client.
ip netns exec "$CLI_NS" timeout 5 bash -c \
	"exec 3<>/dev/tcp/$SRV_IP/$PORT; printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3" \
	>"$TMP/garbage" 2>/dev/null
grep -q '^ERR' "$TMP/garbage"
log_test "server answers garbage with ERR" $?
ip netns exec "$CLI_NS" timeout 20 bash -c "exec 3<>/dev/tcp/$SRV_IP/$PORT; sleep 15" &
stall=$!; defer kill $stall
cli -j rr "$SRV_IP" --streams 8 --duration 10 >/dev/null 2>&1 &
victim=$!
sleep 1; kill -9 $victim; wait $victim 2>/dev/null
cli -j rr "$SRV_IP" --streams 4 --duration 1 >"$TMP/after.json"; rc=$?
[ $rc -eq 0 ] && [ "$(jq .transactions "$TMP/after.json")" -gt 1000 ]
log_test "server serves a client while another stalls and one vanished" $?

# Ctrl-C ends a run early: what was measured is reported, exit 0.
ip netns exec "$CLI_NS" "$BIN" -j rr "$SRV_IP" --streams 3 --duration 20 >"$TMP/int.json" &
cpid=$!
sleep 1.5; kill -INT $cpid; wait $cpid; rc=$?
[ $rc -eq 0 ] && jq -e '.interrupted and .transactions > 0 and .duration_s < 5' "$TMP/int.json" >/dev/null
log_test "SIGINT mid-run: partial results, interrupted=true, exit 0" $?

# Ctrl-C while every stream waits for a response that will never come
# (nft drops every request): the workers see the stop within a slice.
ip netns exec "$CLI_NS" "$BIN" -j rr "$SRV_IP" --streams 3 --threads 2 --duration 20 \
	>"$TMP/stall.json" &
cpid=$!
sleep 1
loss_add "$SRV_NS" 1000 "tcp dport != $PORT"
sleep 0.5
t0=${EPOCHREALTIME//[!0-9]/}
kill -INT $cpid; wait $cpid; rc=$?
ms=$(( (${EPOCHREALTIME//[!0-9]/} - t0) / 1000 ))
ds__nft_del "$SRV_NS" "$LOSS_TABLE"
[ $rc -eq 0 ] && [ $ms -lt 500 ] && jq -e '.interrupted' "$TMP/stall.json" >/dev/null
log_test "SIGINT with every stream stalled: stops in $ms ms (< 500), exit 0" $?

# IPv6 end to end (the server's wildcard listener takes both families).
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null
start_server --port $PORT
cli -j rr "$SRV_IP6" --duration 1 >"$TMP/v6.json" && cli -j rr "$SRV_IP" --duration 1 >"$TMP/v4.json"
[ "$(jq .transactions "$TMP/v6.json")" -gt 1000 ] && jq -e '.server | startswith("[")' "$TMP/v6.json" >/dev/null &&
[ "$(jq .transactions "$TMP/v4.json")" -gt 1000 ]
log_test "IPv6 and IPv4 clients against a wildcard server" $?

# Server gone mid-run: partial results, a reason, exit 1.
cli -j rr "$SRV_IP" --streams 4 --duration 10 >"$TMP/gone.json" 2>"$TMP/err" &
cpid=$!
sleep 1; { kill -9 "$SRV_PID"; wait "$SRV_PID"; } 2>/dev/null
wait $cpid; rc=$?
[ $rc -eq 1 ] && [ "$(jq .transactions "$TMP/gone.json")" -gt 0 ] &&
jq -e '.error | length > 0' "$TMP/gone.json" >/dev/null && grep -q "partial" "$TMP/err"
log_test "server killed mid-run: partial results, error, exit 1 ($(head -n1 "$TMP/err"))" $?

tests_exit
