# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside L1: CPUID storms in L2 guests with 1 and 4 vCPUs, with stock
# and patched modules in the same L1 boot, in the order stock, patched,
# patched, stock, so that a drift of the host's load over time
# does not favour either set. L2 consoles are streamed live so that the
# host can charge its own CPU time to each storm.
. /l1/lib.sh
# shellcheck disable=SC2034 # read by run_l2 in /l1/lib.sh
L2_LIVE=1
r=1
for set_name in stock patched patched stock; do
	kvm_load "$set_name" || exit 1
	echo "BENCH-SET $set_name round=$r"
	run_l2 1 900 "es_runs=0 es_storm=1,50000 es_storm_rounds=2" || exit 1
	run_l2 4 1200 "es_runs=0 es_storm=4,12500 es_storm_rounds=2" || exit 1
	kvm_unload || exit 1
	r=$((r + 1))
done
echo "BENCH-DONE"
