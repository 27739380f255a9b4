#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# exitscope-agent on this machine, outside any nested setup. This machine's hypervisor (if any) has no
# exit counters, so the agent must refuse to stream (leaf-missing); the other cases run it with
# --no-discovery, which reads leaf 0x4FFFFFFF as it is: the values are meaningless here, but the stream,
# the commands, the markers and the queue are the real ones, judged by the core's parser.
#
# usage: agent-local.sh AGENT STREAMCHECK REFERENCE WORKDIR CASE
set -uo pipefail

agent=$1 check=$2 reference=$3 work=$4 case=$5
fail() { printf 'FAIL (%s): %s\n' "$case" "$*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
cd "$work" || exit 1

# Runs streamcheck and shows its report; fails the case if a check fails.
judge() {
    "$check" "$@" || fail "the stream in $1 does not pass: $*"
}

case $case in
once-format)
    # Same bytes as the original program, once every hex digit of the values is masked.
    "$agent" --once --no-discovery >agent.out || fail "exitscope-agent --once --no-discovery failed"
    "$reference" >reference.out || fail "the reference program failed"
    mask() { sed -E 's/0x[0-9a-f]+/0x<VALUE>/' "$1" | od -c; }
    [[ $(wc -c <agent.out) -eq $(wc -c <reference.out) ]] ||
        fail "--once printed $(wc -c <agent.out) bytes, the original program $(wc -c <reference.out)"
    diff <(mask agent.out) <(mask reference.out) || fail "--once output differs from the original program's"
    grep -qxE 'Total Exits: 0x[0-9a-f]{8}' agent.out || fail "first line is not 'Total Exits: 0x%08x'"
    grep -qxE 'Total CPU Cycles Handling Exits: 0x[0-9a-f]{16} ' agent.out ||
        fail "second line is not 'Total CPU Cycles Handling Exits: 0x%08x%08x ' (with the trailing space)"
    ;;
leaf-missing)
    # Without the counters: a handshake with abi_version 0, error code 1, no samples, exit status 1.
    "$agent" -o stream.exs --rate 100 --duration 1 2>stderr.txt
    status=$?
    cat stderr.txt
    [[ $status -eq 1 ]] || fail "exit status $status, expected 1 (this test needs a machine whose hypervisor has no exit counters)"
    grep -q 'leaf not present' stderr.txt || fail "no 'leaf not present' message on stderr"
    judge stream.exs --min-handshakes 1 --error 1 --max-samples 0 --clean
    "$agent" --once 2>once.txt >/dev/null && fail "--once succeeded without the counters"
    grep -q 'does not have the exit counters' once.txt || fail "--once gave no clear message"
    ;;
commands)
    # Commands on standard input when streaming to standard output.
    {
        sleep 0.3
        printf 'hello\nrate 100\nmark first mark\n'
        printf 'idle 0.5\n'
        sleep 0.2
        printf 'cpu 0.2\nbogus command\nrate 5000\nwrite 0\n'
        sleep 1.5
    } | "$agent" -o - --no-discovery --rate 200 --no-io --reasons 0x72,0x78 --duration 2 >stream.exs 2>stderr.txt ||
        fail "exitscope-agent failed: $(cat stderr.txt)"
    cat stderr.txt
    judge stream.exs --source agent --min-handshakes 3 --min-samples 150 --clean --own-increasing \
        --marker boot=boot: --marker mark="first mark" --marker workload-start="idle 0.5" \
        --marker workload-end=ok --pairs --error 4 --period-ns 10000000 --no-drops --reason 0x72 --reason 0x78
    # 'cpu 0.2' arrived while 'idle 0.5' was running: rejected as busy.
    "$check" stream.exs | grep -q 'busy with' || fail "a second workload was not rejected as busy"
    "$check" stream.exs | grep -q "unknown command 'bogus command'" || fail "an unknown command was not rejected"
    ;;
disk-workload)
    # write and read with O_DIRECT in this directory (a disk file system), framed by workload markers.
    # An unprivileged user of the guest plants links where a predictable scratch name would be (the
    # agent runs as root): the agent must follow none of them.
    printf 'precious\n' >victim
    # One process makes them all, so that the pids the agent gets are still ahead of the last one read.
    python3 -c 'import os, sys
last = int(open("/proc/sys/kernel/ns_last_pid").read())
for pid in range(last + 1, last + 2000):
    os.symlink(sys.argv[1] + "/victim", sys.argv[1] + "/exitscope-workload.%d" % pid)' "$work"
    {
        sleep 0.3
        printf 'write 8\n'
        sleep 2
        printf 'read 8\n'
        sleep 2.5
    } | "$agent" -o - --no-discovery --rate 50 --scratch "$work" --duration 5 >stream.exs 2>stderr.txt ||
        fail "exitscope-agent failed: $(cat stderr.txt)"
    judge stream.exs --clean --marker workload-start="write 8" --marker workload-start="read 8" \
        --marker workload-end="ok 8 MiB" --pairs
    [[ $("$check" stream.exs | grep -c 'workload-end .*ok 8 MiB') -eq 2 ]] || fail "not both workloads ended with ok"
    [[ $(cat victim) == precious ]] || fail "the workload wrote through a planted link"
    [[ $(find "$work" -maxdepth 1 -name 'exitscope-workload.*' ! -type l | wc -l) == 0 ]] \
        || fail "the workload left its scratch file behind"
    [[ -z $(ls -A "$work" | grep '^\.exitscope-workload' || true) ]] || fail "the workload left a scratch file behind"
    ;;
buffered-and-cpuid)
    # The page-cache variants of the disk workloads and the CPUID storm, framed and reported; a storm
    # of a fractional count is rejected.
    {
        sleep 0.3
        printf 'write-buffered 8\n'
        sleep 1.5
        printf 'read-buffered 8\n'
        sleep 1.5
        printf 'cpuid 1.5\ncpuid 20000\n'
        sleep 2
    } | "$agent" -o - --no-discovery --rate 50 --scratch "$work" --duration 6 >stream.exs 2>stderr.txt ||
        fail "exitscope-agent failed: $(cat stderr.txt)"
    judge stream.exs --marker workload-start="write-buffered 8" --marker workload-start="read-buffered 8" \
        --marker workload-start="cpuid 20000" --marker workload-end="ok 20000 CPUIDs in" --pairs --error 4
    [[ $("$check" stream.exs | grep -c 'workload-end .*ok 8 MiB') -eq 2 ]] || fail "not both buffered workloads ended with ok"
    "$check" stream.exs | grep -q 'a whole number of CPUIDs' || fail "a fractional CPUID count was not rejected"
    [[ -z $(ls -A "$work" | grep '^\.exitscope-workload' || true) ]] || fail "the workload left a scratch file behind"
    ;;
reasons-command)
    # Reason sampling switched on and off while the agent runs: a handshake each time (the reason leaf
    # is in it), reason samples for exactly the reasons asked for, a bad list rejected.
    {
        sleep 0.3
        printf 'reasons 0x72,10\n'
        sleep 0.5
        printf 'reasons 0x72,oops\nreasons off\n'
        sleep 0.5
    } | "$agent" -o - --no-discovery --rate 100 --no-io --duration 1.5 >stream.exs 2>stderr.txt ||
        fail "exitscope-agent failed: $(cat stderr.txt)"
    judge stream.exs --min-handshakes 3 --reason 0x72 --reason 10 --error 4
    "$check" stream.exs | grep -q "reasons 0x72,oops: expected 'off'" || fail "a bad reason list was not rejected"
    ;;
fifo-reconnect)
    # A reader that goes away and comes back: the agent notices both, keeps the session and numbering,
    # and sends a handshake to the new reader.
    mkfifo port || fail "mkfifo failed"
    "$agent" -o port --no-discovery --rate 100 --no-io --duration 4 2>stderr.txt &
    pid=$!
    timeout 1 cat port >first.exs
    sleep 1
    timeout 1.5 cat port >second.exs
    wait "$pid" || fail "exitscope-agent failed: $(cat stderr.txt)"
    cat stderr.txt
    judge first.exs --min-handshakes 1 --min-samples 30 --clean --own-increasing
    judge second.exs --min-handshakes 1 --min-samples 60 --continues first.exs --own-increasing --clean
    # Nothing was lost while nobody read: the queue held it (second.exs starts where first.exs ended,
    # give or take the records that were in the pipe when the first reader left).
    "$check" second.exs | grep -q '^dropped (last heartbeat): 0$' || fail "records were dropped although the queue had room"
    ;;
overflow)
    # A small queue and no reader for a while: the oldest records are dropped and the drops reported.
    mkfifo port || fail "mkfifo failed"
    "$agent" -o port --no-discovery --rate 1000 --buffer 64 --no-io --duration 3 2>stderr.txt &
    pid=$!
    sleep 1.5
    timeout 1 cat port >stream.exs
    wait "$pid" || fail "exitscope-agent failed: $(cat stderr.txt)"
    cat stderr.txt
    judge stream.exs --min-samples 200 --error 2
    dropped=$("$check" stream.exs | sed -n 's/^dropped (last heartbeat): //p')
    [[ -n $dropped && $dropped -gt 500 ]] || fail "heartbeats report ${dropped:-no} dropped records, expected over 500"
    # What arrived is the newest: the first record is far into the numbering.
    first=$("$check" stream.exs | sed -n 's/^records: .*(seq \([0-9]*\)\.\..*/\1/p')
    [[ $first -gt 500 ]] || fail "the first record delivered has seq $first: the oldest were not the ones dropped"
    ;;
stdout-closed)
    # Standard output's reader goes away: the agent says so and ends instead of sampling for nobody.
    start=$(date +%s%N)
    { "$agent" -o - --no-discovery --rate 200 --no-io --duration 20 2>stderr.txt; echo $? >status.txt; } |
        head -c 2000 >/dev/null
    wait
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    cat stderr.txt
    [[ $(cat status.txt) -eq 1 ]] || fail "exit status $(cat status.txt), expected 1"
    grep -q 'standard output has no reader' stderr.txt || fail "no message about the lost reader"
    [[ $elapsed_ms -lt 15000 ]] || fail "the agent ran on for ${elapsed_ms} ms after its reader left"
    ;;
no-reader-idle)
    # No reader and --flush-ms 0: queued records wait for a reader without the agent spinning on them.
    mkfifo port || fail "mkfifo failed"
    "$agent" -o port --no-discovery --rate 100 --no-io --flush-ms 0 --duration 2 2>stderr.txt ||
        fail "exitscope-agent failed: $(cat stderr.txt)"
    cat stderr.txt
    cpu=$(sed -n 's/.*cpu user \([0-9.]*\) s system \([0-9.]*\) s.*/\1 \2/p' stderr.txt)
    [[ -n $cpu ]] || fail "no CPU time in the agent's summary"
    # A spinning agent takes the whole 2 s; a sleeping one a few milliseconds.
    awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { exit !(u + s < 0.5) }' ||
        fail "the agent used $cpu s (user system) of CPU in 2 s with nobody reading"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "PASS ($case)"
