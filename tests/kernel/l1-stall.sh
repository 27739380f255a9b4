# SPDX-License-Identifier: GPL-3.0-or-later
# L1 script of kernel.stall-detect: load KVM, then stop L1's heartbeat and
# idle, as an L1 whose vCPUs stopped doing anything useful would look.
. /l1/lib.sh
kvm_load stock || exit 1
echo "L1-SCRIPT: stopping the heartbeat"
kill -STOP "$(cat /tmp/.heartbeat.pid)"
sleep 900
