# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside L1: CPUID storms in L2 guests with 1 and 4 vCPUs, with stock
# and patched modules in the same L1 boot, in the order stock, patched,
# patched, stock, so that a drift of the host's load over time
# does not favour either set. L2 consoles are streamed live so that the
# host can charge its own CPU time to each storm.
#
# /opt/bench.conf, when present, sets l2_limit, the seconds of L1's clock an
# L2 guest may take, l2_sizes, the L2 vCPU counts to measure, l2_smp_boot,
# kernel parameters for L2 guests with more than one vCPU, and l2_attempts,
# how often an L2 that does not finish is started. None of them changes
# what a storm measures.
. /l1/lib.sh
l2_limit=1200
l2_sizes="1 4"
l2_smp_boot=""
l2_attempts=2
[ ! -f /opt/bench.conf ] || . /opt/bench.conf
# shellcheck disable=SC2034 # read by run_l2 in /l1/lib.sh
L2_LIVE=1

storm_l2() {
	boot=""
	[ "$1" = 1 ] || boot="$l2_smp_boot"
	attempt=1
	while ! run_l2 "$1" "$l2_limit" "$boot $2"; do
		[ "$attempt" -lt "$l2_attempts" ] || return 1
		attempt=$((attempt + 1))
		echo "BENCH-NOTE an L2 guest with $1 vCPUs did not finish; starting it again ($attempt of $l2_attempts)"
	done
}

r=1
for set_name in stock patched patched stock; do
	kvm_load "$set_name" || exit 1
	echo "BENCH-SET $set_name round=$r"
	for cpus in $l2_sizes; do
		storm_l2 "$cpus" "es_runs=0 es_storm=$cpus,$((50000 / cpus)) es_storm_rounds=2" || exit 1
	done
	kvm_unload || exit 1
	r=$((r + 1))
done
echo "BENCH-DONE"
