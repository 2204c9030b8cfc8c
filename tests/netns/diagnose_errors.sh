#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# diagnose_errors.sh - diagnose when things go wrong, on a veth pair:
#   - without privilege: exit 3 and one line naming what it could not open
#     (as nobody: the capture; as root without CAP_BPF/CAP_PERFMON: tracing);
#   - Ctrl-C: a verdict within 2 s, marked interrupted, with the transactions
#     so far; --report written; no process and no BPF program of ours left;
#   - the server killed mid-run: exit 1, a partial verdict marked interrupted;
#   - the client's interface deleted mid-run: exit 1, the verdict says which
#     capture stopped it, marked interrupted.
# shellcheck disable=SC2317 # helpers called through busywait

source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq setpriv bpftool

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
PORT=12867
tmpdir_create TMP

server() {
	bg_run "$SRV_NS" SRV "$BIN" rr --server --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT
}

# our_progs: how many BPF programs carry the drop tracer's names (bpftool cuts them at 15).
our_progs() {
	bpftool prog show 2>/dev/null | grep -cE 'name on_(kfree_skb|tcp_retrans)' || true
}

# progs_back N: no more of them than N.
progs_back() {
	(($(our_progs) <= $1))
}

# diag OUT ERR ARGS...: diagnose -j in CLI_NS in the background; its PID in DPID.
diag() {
	local out=$1 err=$2

	shift 2
	ip netns exec "$CLI_NS" timeout 120 "$BIN" -j diagnose "$@" >"$out" 2>"$err" &
	DPID=$!
}

# running: diagnose's 4 rr streams and rr's control connection are up (its
# workload begins after the tracer and captures). On a loaded machine that
# start (BPF load, topology) can take seconds: a fixed nap let the interface
# go before the workload had begun, and there was no verdict at all.
running() {
	(($(ip netns exec "$CLI_NS" ss -Htn state established dst "$SRV_IP" | wc -l) >= 5))
}

# started: running within 20 s, then 1 s of transactions.
started() {
	busywait 20000 running || return 1
	nap 1
}

lab_pair off || { log_test "$NAME: lab" 1; tests_exit; }
server || { log_test "$NAME: rr server" 1; tests_exit; }
progs0=$(our_progs)

# No privilege.
ip netns exec "$CLI_NS" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$BIN" diagnose rr "$SRV_IP" --port $PORT -d 1 >"$TMP/np.out" 2>"$TMP/np.err"
rc=$?
[[ $rc -eq 3 && $(wc -l <"$TMP/np.err") -eq 1 ]] && grep -q "CAP_NET_RAW" "$TMP/np.err"
log_test "$NAME: as nobody: exit 3, one line naming the capture's privilege" $? "rc=$rc $(cat "$TMP/np.err")"
ip netns exec "$CLI_NS" setpriv --inh-caps=-bpf,-perfmon,-sys_admin \
	--bounding-set=-bpf,-perfmon,-sys_admin "$BIN" diagnose rr "$SRV_IP" --port $PORT -d 1 \
	>"$TMP/nb.out" 2>"$TMP/nb.err"
rc=$?
[[ $rc -eq 3 && ! -s $TMP/nb.out ]]
log_test "$NAME: without CAP_BPF/CAP_PERFMON: exit 3 ($(head -c 120 "$TMP/nb.err"))" $? "rc=$rc"

# Ctrl-C.
diag "$TMP/int.json" "$TMP/int.err" --report "$TMP/rep" rr "$SRV_IP" --port $PORT --streams 4 -d 60
started || log_test "$NAME: Ctrl-C: diagnose did not start" 1
t0=${EPOCHREALTIME//[!0-9]/}
kill -INT "$DPID"
wait "$DPID"
rc=$?
ms=$(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000))
jq -e '.interrupted == true and .workload.transactions > 0 and .slow.count >= 0' \
	"$TMP/int.json" >/dev/null && ((rc == 0 && ms < 2000))
log_test "$NAME: Ctrl-C: exit 0 in ${ms} ms, a verdict marked interrupted" $? "rc=$rc $(head -c 200 "$TMP/int.err")"
[[ -s $TMP/rep/report.html && -s $TMP/rep/drops.pcapng ]] &&
	jq -e '.interrupted == true' "$TMP/rep/verdict.json" >/dev/null &&
	! compgen -G "$TMP/rep/*.tmp.*" >/dev/null
log_test "$NAME: Ctrl-C: the report is written whole, marked interrupted" $?
busywait 3000 progs_back "$progs0" && ! pgrep -f "dropscope -j diagnose" >/dev/null
log_test "$NAME: Ctrl-C: no BPF program, no process left" $?

# The server dies mid-run.
diag "$TMP/srv.json" "$TMP/srv.err" rr "$SRV_IP" --port $PORT --streams 4 -d 30 --timeout 3
started || log_test "$NAME: server killed: diagnose did not start" 1
kill -KILL "$SRV"
{ wait "$SRV"; } 2>/dev/null	# no "Killed" line from bash
wait "$DPID"
rc=$?
jq -e '.interrupted == true and .workload.transactions > 0' "$TMP/srv.json" >/dev/null &&
	((rc == 1)) && grep -q "partial verdict" "$TMP/srv.err"
log_test "$NAME: server killed: exit 1, a partial verdict marked interrupted" $? "rc=$rc $(tail -n 2 "$TMP/srv.err")"

# The client's interface goes away mid-run.
server || log_test "$NAME: rr server again" 1
diag "$TMP/if.json" "$TMP/if.err" rr "$SRV_IP" --port $PORT --streams 4 -d 30 --timeout 3
started || log_test "$NAME: interface deleted: diagnose did not start" 1
# Down first, then deleted: the error event comes while the name still
# exists (what a plain delete does when the reader is quick), the deletion
# then reports nothing.
ip -n "$CLI_NS" link set cli0 down
nap 0.3
ip -n "$CLI_NS" link del cli0
wait "$DPID"
rc=$?
jq -e '.interrupted == true and (.stopped // "" | test("cli0"))' "$TMP/if.json" >/dev/null &&
	((rc == 1)) && grep -q "capture on cli0" "$TMP/if.err"
log_test "$NAME: interface deleted: exit 1, the verdict says the capture on cli0 stopped it" $? \
	"rc=$rc $(jq -c '{interrupted, stopped}' "$TMP/if.json" 2>&1) $(tail -n 2 "$TMP/if.err")"
tests_exit
