# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside an L2 guest (busybox sh). Parameters come from the kernel
# command line: es_runs=N (seed program runs), es_storm=THREADS,ITERATIONS,
# es_storm_rounds=N, es_final=1 (pause the VM after a final read),
# es_online=1 (bring up the CPUs that maxcpus= left offline at boot).
param() {
	for w in $(cat /proc/cmdline); do
		case "$w" in "$1"=*) echo "${w#*=}"; return ;; esac
	done
	echo "$2"
}
runs=$(param es_runs 5)
storm=$(param es_storm "")
rounds=$(param es_storm_rounds 1)
final=$(param es_final 0)

if [ "$(param es_online 0)" = 1 ]; then
	for cpu in /sys/devices/system/cpu/cpu[0-9]*/online; do
		[ "$(cat "$cpu")" = 1 ] || echo 1 >"$cpu" || echo "could not bring up ${cpu%/online}"
	done
	echo "CPUS-ONLINE $(cat /sys/devices/system/cpu/online)"
fi

rc=0
i=0
while [ "$i" -lt "$runs" ]; do
	/opt/seed_cpuid_test
	i=$((i + 1))
done
/opt/exit_stats_check check || rc=1
if [ -n "$storm" ]; then
	r=0
	while [ "$r" -lt "$rounds" ]; do
		echo "STORM-BEGIN $storm"
		/opt/seed_cpuid_test
		/opt/cpuid_storm "${storm%,*}" "${storm#*,}" || rc=1
		/opt/seed_cpuid_test
		echo "STORM-END"
		r=$((r + 1))
	done
fi
if [ "$final" = 1 ] && [ "$rc" = 0 ]; then
	/opt/exit_stats_check final
	echo "final read did not pause the VM"
	rc=1
fi
exit "$rc"
