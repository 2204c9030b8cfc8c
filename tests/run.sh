#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh - the one entry point for dropscope's tests.
#
#	tests/run.sh [GROUP|FILE ...]
#
# GROUP is one of (default: all three, in this order)
#	unit	.output/tests/test_* then .output/asan/tests/test_* (built by make)
#	cli	tests/cli/*.sh
#	netns	tests/netns/*.sh (root only; otherwise each file is one SKIP)
# A missing directory or an empty group runs nothing.  FILE is a test
# program or shell test given by path.
#
# Every program prints `TEST: <name> [ OK ]`, `[FAIL]` or `[SKIP] reason`.
# Its output is streamed and those lines are tallied.  Besides them, a
# program counts as one failure when it exits non-zero without a FAIL line
# (a crash), times out, dies by a signal, prints a sanitizer report, or exits
# 0 without any TEST line; exit 4 without a TEST line is one skip.  Time
# bound: DS_TEST_TIMEOUT (default 600 s), or a `# timeout: N` line in the
# first 20 lines of a shell test.
#
# The last line is `tests: N passed, N failed, N skipped`; exit 1 if
# anything failed.  Tests get DS_ROOT, DS_BIN and DS_ASAN_BIN.

set -u

DS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
: "${DS_BIN:=$DS_ROOT/dropscope}"
: "${DS_ASAN_BIN:=$DS_ROOT/.output/asan/dropscope}"
export DS_ROOT DS_BIN DS_ASAN_BIN
: "${UBSAN_OPTIONS:=print_stacktrace=1}"
export UBSAN_OPTIONS

DEFAULT_TIMEOUT=${DS_TEST_TIMEOUT:-600}
KILL_AFTER=30		# after TERM, time a test gets to clean up before KILL
GROUPS_ALL=(unit cli netns)

PASSED=0 FAILED=0 SKIPPED=0
FAILED_NAMES=()
CHILD="" TAILER="" INTERRUPTED=0

RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ds-run.XXXXXX") || exit 1
trap 'rm -rf "$RUN_TMP"' EXIT

# A signal to the runner is passed on as TERM to the running test (through
# timeout, which forwards it to the whole test process group), so the test's
# own cleanup runs; then the runner stops and reports.
on_signal() {
	INTERRUPTED=$1
	[[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

usage() {
	echo "usage: tests/run.sh [unit|cli|netns|FILE ...]" >&2
	exit 2
}

# file_timeout FILE: seconds from a `# timeout: N` line near the top, else the default.
file_timeout() {
	local t=""

	if [[ $1 == *.sh ]]; then
		t=$(sed -n '1,20{s/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p}' "$1" |
			head -n 1)
	fi
	echo "${t:-$DEFAULT_TIMEOUT}"
}

# label_of FILE: how a program is named in the summary (test_x, asan/test_x, netns/foo).
label_of() {
	local f=$1 base

	base=$(basename -- "$f")
	case $f in
	*/.output/asan/tests/* | .output/asan/tests/*) echo "asan/$base" ;;
	*.sh) echo "$(basename -- "$(dirname -- "$f")")/${base%.sh}" ;;
	*) echo "$base" ;;
	esac
}

# fail_program LABEL WHY: count one failure for a whole program.
fail_program() {
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$1 ($2)")
	echo "# $1: $2"
}

# run_one FILE: run one test program with its time bound, stream and tally its output.
run_one() {
	local file=$1 label tmo out rc p=0 f=0 s=0 line why="" t0 t1
	local re='^TEST: (.*[^[:space:]])[[:space:]]+\[( OK |FAIL|SKIP)\]'
	local -a cmd

	label=$(label_of "$file")
	tmo=$(file_timeout "$file")
	if [[ $file == *.sh ]]; then
		cmd=(bash "$file")
	else
		cmd=("$file")
	fi
	out="$RUN_TMP/out"
	: >"$out"

	echo "# ---- $label"
	t0=${EPOCHREALTIME//[!0-9]/}
	# The output goes to a file, not a pipe: a process a broken test leaves
	# behind cannot hold the runner open.  tail streams it meanwhile.
	(cd "$DS_ROOT" && exec timeout -k "$KILL_AFTER" "$tmo" "${cmd[@]}") </dev/null >"$out" 2>&1 &
	CHILD=$!
	tail -n +1 -s 0.1 --pid="$CHILD" -f "$out" &
	TAILER=$!
	while :; do
		wait "$CHILD" 2>/dev/null	# no "Segmentation fault" job notice
		rc=$?
		# wait returns early when the runner itself is signalled
		kill -0 "$CHILD" 2>/dev/null || break
	done
	wait "$TAILER" 2>/dev/null
	CHILD="" TAILER=""
	t1=${EPOCHREALTIME//[!0-9]/}

	while IFS= read -r line; do
		line=${line%$'\r'}
		[[ $line =~ $re ]] || continue
		case ${BASH_REMATCH[2]} in
		" OK ") p=$((p + 1)) ;;
		FAIL)
			f=$((f + 1))
			FAILED_NAMES+=("$label: ${BASH_REMATCH[1]}")
			;;
		SKIP) s=$((s + 1)) ;;
		esac
	done <"$out"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	SKIPPED=$((SKIPPED + s))

	if ((rc == 124)); then
		why="timed out after ${tmo}s"
	elif ((rc == 137)); then
		why="killed (timeout or out of memory)"
	elif ((rc > 128)); then
		why="killed by signal $((rc - 128))"
	elif grep -qE '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|: runtime error: ' "$out"; then
		why="sanitizer report"
	elif ((rc == 4 && f == 0 && p + s == 0)); then
		SKIPPED=$((SKIPPED + 1))
		echo "TEST: $label [SKIP] exit 4"
	elif ((rc == 4 && f == 0 && s > 0)); then
		:	# skipped itself with its own SKIP line
	elif ((rc != 0 && f == 0)); then
		why="exit $rc without a FAIL line"
	elif ((rc == 0 && p + f + s == 0)); then
		why="no TEST line"
	fi
	[[ -z $why ]] || fail_program "$label" "$why"
	printf '# %s: exit %d, %d.%01d s\n' "$label" "$rc" \
		$(((t1 - t0) / 1000000)) $((((t1 - t0) / 100000) % 10))
}

# run_file FILE: run one file, or SKIP it when it is a netns test and we are not root.
run_file() {
	local file=$1

	if [[ $(basename -- "$(dirname -- "$file")") == netns ]] && ((EUID != 0)); then
		echo "TEST: $(label_of "$file") [SKIP] needs root"
		SKIPPED=$((SKIPPED + 1))
		return
	fi
	run_one "$file"
}

# group_files GROUP: the files a group runs, in order, one per line.
group_files() {
	local f

	case $1 in
	unit)
		for f in "$DS_ROOT"/.output/tests/test_* "$DS_ROOT"/.output/asan/tests/test_*; do
			[[ -f $f && -x $f ]] && echo "$f"
		done
		;;
	cli | netns)
		for f in "$DS_ROOT/tests/$1"/*.sh; do
			[[ -f $f ]] && echo "$f"
		done
		;;
	esac
	return 0
}

main() {
	local arg file
	local -a files=()

	(($#)) || set -- "${GROUPS_ALL[@]}"
	for arg in "$@"; do
		case $arg in
		unit | cli | netns) mapfile -t -O "${#files[@]}" files < <(group_files "$arg") ;;
		-h | --help) usage ;;
		*)
			[[ -f $arg ]] || {
				echo "run.sh: no such group or file: $arg" >&2
				usage
			}
			files+=("$(cd "$(dirname -- "$arg")" && pwd -P)/$(basename -- "$arg")")
			;;
		esac
	done

	for file in "${files[@]}"; do
		((INTERRUPTED)) && break
		run_file "$file"
	done
	if ((INTERRUPTED)); then
		fail_program "run.sh" "interrupted"
	fi

	if ((${#FAILED_NAMES[@]})); then
		echo "failed:"
		printf '  %s\n' "${FAILED_NAMES[@]}"
	fi
	echo "tests: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	((INTERRUPTED)) && exit "$INTERRUPTED"
	((FAILED == 0))
}

main "$@"
