# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside L1: loads the module set named in /opt/module-set, then boots
# L2 guests with 1 and 4 vCPUs running l2-exit-check.sh.
. /l1/lib.sh
set_name="$(cat /opt/module-set)"
kvm_load "$set_name" || exit 1
rc=0
# Fresh modules for each L2: the counters start at zero with the module, so
# the L2's final total and its VM's own exits statistic cover one interval.
run_l2 1 400 "es_runs=5 es_storm=1,20000 es_final=1" || rc=1
kvm_unload || rc=1
kvm_load "$set_name" || exit 1
run_l2 4 600 "es_runs=5 es_storm=4,5000 es_final=1" || rc=1
kvm_unload || rc=1
exit "$rc"
