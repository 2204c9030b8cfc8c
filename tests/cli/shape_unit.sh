#!/bin/bash
# systemd/dropscope-shape@.service: `systemd-analyze verify` finds nothing to
# say about it (an instance copy, the binary path pointed at the built one:
# verify wants an executable there), and it carries what the shaper needs:
# notify with a watchdog, the restore after any stop, /run/dropscope kept
# across a crash, only CAP_NET_ADMIN and CAP_NET_RAW.  Skips without
# systemd-analyze.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd systemd-analyze

UNIT=$DS_ROOT/systemd/dropscope-shape@.service
BIN=${DS_BIN:-$DS_ROOT/dropscope}
tmpdir_create TMP

[[ -f $UNIT ]]
log_test "shape unit: $UNIT exists" $?
if [[ -x $BIN ]]; then
	inst=$TMP/dropscope-shape@wan0.service
	sed "s|/usr/local/bin/dropscope|$BIN|g" "$UNIT" >"$inst"
	systemd-analyze verify --man=no "$inst" >"$TMP/out" 2>&1
	rc=$?
	# Unknown keys and bad values are warnings (exit 0): any output fails.
	((rc == 0)) && [[ ! -s $TMP/out ]]
	log_test "shape unit: systemd-analyze verify: exit $rc, nothing to say" $? "$(head -c 400 "$TMP/out")"
	exp=$(systemd-analyze security --offline=true --man=no "$inst" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	# 4.1 as written; 10 is an unsandboxed service
	awk -v e="${exp:-99}" 'BEGIN { exit !(e <= 5) }'
	log_test "shape unit: systemd-analyze security: exposure ${exp:-unknown} <= 5" $?
else
	log_test "shape unit: systemd-analyze verify" 4 "$BIN not built"
fi

# has KEY=VALUE: the unit sets exactly that (one line).
has() {
	grep -qxF -- "$1" "$UNIT"
	log_test "shape unit: $1" $?
}
has "Type=notify"
has "ExecStart=/usr/local/bin/dropscope shape -c /etc/dropscope/shape-%i.ini"
has "ExecStopPost=-/usr/local/bin/dropscope shape --restore /run/dropscope/shape-%i.state"
has "WatchdogSec=10"
has "Restart=on-failure"
has "RuntimeDirectory=dropscope"
has "RuntimeDirectoryPreserve=yes"
has "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW"
has "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW"
has "NoNewPrivileges=yes"
has "ProtectSystem=strict"
has "ProtectHome=yes"
has "PrivateTmp=yes"
! grep -Eq '^(DynamicUser=yes|PrivateNetwork=yes)' "$UNIT"
log_test "shape unit: no DynamicUser (state in /run) nor PrivateNetwork (the device)" $?
tests_exit
