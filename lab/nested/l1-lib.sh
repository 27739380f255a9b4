# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for scripts that run inside the L1 guest (busybox sh).
# Source with: . /l1/lib.sh

# kvm_load SET [PARAM=VALUE...]: load kvm.ko and kvm-amd.ko from /modules/SET.
kvm_load() {
	set_name="$1"
	shift
	[ -f "/modules/$set_name/kvm.ko" ] || { echo "kvm_load: no module set $set_name" >&2; return 1; }
	insmod "/modules/$set_name/kvm.ko" "$@" || return 1
	insmod "/modules/$set_name/kvm-amd.ko" || { rmmod kvm; return 1; }
	[ -c /dev/kvm ] || { echo "kvm_load: /dev/kvm did not appear" >&2; return 1; }
	# Where their code lies goes to L1's status channel, to name the
	# addresses of a stalled L1's vCPUs (lab/nested/l1-cpu-snapshot).
	for m in kvm kvm_amd; do
		echo "module $m $set_name $(cat /sys/module/$m/sections/.text 2>/dev/null)" >/dev/ttyS1
	done
	echo "EXITSCOPE-KVM-LOADED $set_name"
}

kvm_unload() {
	rmmod kvm_amd && rmmod kvm
}

# vm_exits PID: KVM's own "exits" statistic of the VM owned by process PID.
vm_exits() {
	for d in /sys/kernel/debug/kvm/"$1"-*; do
		[ -f "$d/exits" ] && cat "$d/exits" && return 0
	done
	return 1
}

# run_l2 SMP [TIMEOUT] [EXTRA-KERNEL-ARGS]: boot the L2 with SMP vCPUs and
# print its console (see L2_LIVE below). If the L2 runs "exit_stats_check final", the VM pauses
# itself; then KVM's per-VM exits statistic is read and printed as
#   EXITSCOPE-L2-FINAL smp=N ours=T kvm=E
# and the VM is stopped. Returns 1 on timeout, 2 when the guest reset itself
# before its end (its console is then printed as "reset-attempt|" lines).
run_l2() {
	smp="$1"
	limit="${2:-300}"
	extra="${3:-}"
	n=$((${L2_RUNS:-0} + 1))
	L2_RUNS=$n
	con=/tmp/l2-console.$n
	dbg=/tmp/l2-debugcon.$n
	: >"$dbg"
	# L2_LIVE=1 streams the L2 console straight to L1's console, so that
	# the host sees its lines as they happen (for timing); the block
	# printed afterwards is then empty.
	serial="$con"
	[ -z "${L2_LIVE:-}" ] || serial=/dev/console
	: >"$con"
	qemu-system-x86_64 -enable-kvm -cpu host -smp "$smp" -m 512 \
		-kernel /l2/vmlinuz -initrd /l2/initrd.cpio \
		-append "console=ttyS0 quiet panic=-1 $extra" \
		-display none -nodefaults -no-reboot -monitor none \
		-serial "file:$serial" \
		-chardev "file,id=dbg,path=$dbg" -device isa-debugcon,iobase=0x402,chardev=dbg \
		-device pvpanic -action panic=pause </dev/null >/tmp/l2-qemu.$n 2>&1 &
	pid=$!
	start=$(date +%s)
	status=0
	final=""
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "EXITSCOPE-L2-TIMEOUT after ${limit}s"
			status=1
			break
		fi
		if grep -q '^T=' "$dbg" 2>/dev/null; then
			# The guest paused itself after writing T; wait until the
			# statistic stops moving, then read it.
			prev=""
			while :; do
				sleep 1
				cur="$(vm_exits "$pid")" || break
				[ "$cur" = "$prev" ] && break
				prev="$cur"
			done
			t_hex="$(sed -n 's/^T=//p' "$dbg" | head -n1)"
			final="EXITSCOPE-L2-FINAL smp=$smp ours=$((0x$t_hex)) kvm=$cur"
			break
		fi
		sleep 1
	done
	ended_alone=0
	kill -0 "$pid" 2>/dev/null || ended_alone=1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	qemu_status=$?
	# QEMU ended on its own before the guest's init reached its end and
	# before a final read: with -no-reboot that is a reset (a triple fault
	# or a reset request) inside L2. Its console is kept, every line
	# marked, so that no check mistakes it for a finished guest's.
	# (A live console is not kept, so there it cannot be told.)
	if [ -z "${L2_LIVE:-}" ] && [ "$status" = 0 ] && [ -z "$final" ] &&
		[ "$ended_alone" = 1 ] && ! grep -q '^EXITSCOPE-L2-EXIT' "$con"; then
		echo "EXITSCOPE-L2-RESET $n smp=$smp after $(($(date +%s) - start))s: QEMU ended (status $qemu_status) before the guest finished"
		tr -d '\r' <"$con" | sed 's/^/reset-attempt| /'
		echo
		[ ! -s /tmp/l2-qemu.$n ] || sed 's/^/reset-attempt qemu| /' /tmp/l2-qemu.$n
		return 2
	fi
	echo "EXITSCOPE-L2-CONSOLE-BEGIN $n smp=$smp"
	tr -d '\r' <"$con"
	echo "EXITSCOPE-L2-CONSOLE-END $n"
	if [ -s /tmp/l2-qemu.$n ]; then
		echo "L2 qemu said:"
		cat /tmp/l2-qemu.$n
	fi
	[ -z "$final" ] || echo "$final"
	return $status
}
