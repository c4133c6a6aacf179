#!/bin/sh
# testvm-init.sh - /init of minikvm's test machines (POSIX sh, run by busybox).
#
# Not called by hand: scripts/testvm.sh copies it into the initramfs as /init,
# next to /etc/testvm.conf, which sets:
#   TESTVM_TARGETS        targets to run, in order ("minikvm kvm")
#   TESTVM_TESTS          test names, in order; each is the executable /tests/NAME
#   TESTVM_TEST_TIMEOUT   seconds each test may run before it is killed
#   TESTVM_KEEP_GOING     1: run everything; 0: stop after the first failure
#   TESTVM_BAD            extended regex of kernel log lines that mean trouble
#   TESTVM_<T>_MODS       for target T: module files to insmod, in load order
#   TESTVM_<T>_PARAMS     for target T: module parameters, FILE:NAME=VALUE
#                         words (FILE: the module file's base name)
#   TESTVM_<T>_NAMES      for target T: module names to rmmod, in unload order
#   TESTVM_<T>_DEV        for target T: the device node the tests get as MINIKVM_DEV
#   TESTVM_<T>_OTHER      for target T: a second device the tests get as
#                         MINIKVM_OTHER_DEV (coexist target), or empty
#
# It prints, on the serial console, lines the host parses (see testvm.sh):
#   # testvm: boot-dmesg-bad=N                  (then those N kernel log lines)
#   MINIKVM-TESTVM-BEGIN
#   # testvm: target=T insmod=FILE rc=RC        (one per module)
#   # testvm: target=T device=PATH missing      (module loaded but no device node)
#   # testvm: target=T test=NAME begin
#   ...the test's own output (TAP)...
#   # testvm: target=T test=NAME timeout=SECS   (only if the test was killed)
#   # testvm: target=T test=NAME exit=RC
#   # testvm: target=T test=NAME not-run        (after a failure, without keep-going)
#   # testvm: target=T rmmod=NAME rc=RC
#   # testvm: dmesg-bad=N                       (new since the begin marker)
#   MINIKVM-TESTVM-END
# and then powers the machine off.
#
# No `set -e`: if PID 1 exits the kernel panics, so every failure is reported as a
# line instead. `set -u` still catches a misspelt variable.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox mount -t proc proc /proc
# Console log level 5: the console prints KERN_WARNING and more severe, so
# WARN() splats, BUGs, Oopses and stall reports reach the host (`quiet` on the
# kernel command line would hide KERN_WARNING), while the informational
# chatter that could land in the middle of a harness line (a clocksource
# switch seconds after boot, seen on Bochs) stays in dmesg, which is counted
# for bad lines at the end anyway.
echo 5 >/proc/sys/kernel/printk
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
exec </dev/console >/dev/console 2>&1

# shellcheck source=/dev/null # written by testvm.sh
. /etc/testvm.conf

STOPPED=0 # 1 once a failure stops the run (without keep-going)

# drain: waits until everything written to the console has left the UART.
# Our output goes through the tty's buffer while the kernel writes its messages
# to the UART directly; on Bochs, whose serial port keeps to its baud rate in
# guest time, a message from insmod or poweroff otherwise lands in the middle
# of a line still in that buffer. busybox stty sets the (unchanged) mode with
# tcsetattr(TCSADRAIN), which waits for the transmitter to empty.
drain() {
	stty onlcr 2>/dev/null || true
}

# say MSG: prints one harness line for the host, and drains the console.
say() {
	echo "# testvm: $*"
	drain
}

# failed: notes a failure; stops the run unless keep-going.
failed() {
	[ "$TESTVM_KEEP_GOING" = 1 ] && return 0
	if [ "$STOPPED" = 0 ]; then
		say "stopping after the first failure (testvm.sh --keep-going runs everything)"
	fi
	STOPPED=1
}

# tvar T FIELD: prints TESTVM_<T>_<FIELD> of the config (MODS, NAMES or DEV).
tvar() {
	eval "printf '%s' \"\$TESTVM_${1}_$2\""
}

# dmesg_bad: prints how many kernel log lines match TESTVM_BAD.
dmesg_bad() {
	dmesg | grep -cE "$TESTVM_BAD"
}

# kernel_ok: false (and notes a failure) if the kernel logged new bad lines
# since the last call.
kernel_ok() {
	now=$(dmesg_bad)
	[ "$now" = "$BAD_SEEN" ] && return 0
	BAD_SEEN=$now
	failed
	return 1
}

# params T FILE: prints the parameters target T gives module FILE.
params() {
	for p in $(tvar "$1" PARAMS); do
		case "$p" in "${2##*/}:"*) printf '%s ' "${p#*:}" ;; esac
	done
}

# load_target T: insmods target T's modules and checks its device; false on failure.
load_target() {
	dev=$(tvar "$1" DEV)
	for m in $(tvar "$1" MODS); do
		# shellcheck disable=SC2046 # word list of NAME=VALUE
		insmod "$m" $(params "$1" "$m")
		rc=$?
		say "target=$1 insmod=${m##*/} rc=$rc"
		[ "$rc" = 0 ] || return 1
	done
	for d in $dev $(tvar "$1" OTHER); do
		if [ ! -c "$d" ]; then
			say "target=$1 device=$d missing"
			return 1
		fi
	done
	return 0
}

# unload_target T: rmmods target T's modules that are loaded; false if one fails.
unload_target() {
	ok=0
	for n in $(tvar "$1" NAMES); do
		[ -d "/sys/module/$n" ] || continue
		rmmod "$n"
		rc=$?
		say "target=$1 rmmod=$n rc=$rc"
		[ "$rc" = 0 ] || ok=1
	done
	return $ok
}

# run_test T NAME: runs /tests/NAME against target T's device under the timeout;
# false if it failed (exit status other than 0 and 4, or killed by the timeout).
run_test() {
	dev=$(tvar "$1" DEV)
	say "target=$1 test=$2 begin"
	start=$(date +%s)
	# -k 10: a test that ignores SIGTERM gets SIGKILL 10 seconds later.
	MINIKVM_DEV=$dev MINIKVM_OTHER_DEV=$(tvar "$1" OTHER) \
		timeout -k 10 "$TESTVM_TEST_TIMEOUT" "/tests/$2" </dev/null
	rc=$?
	elapsed=$(($(date +%s) - start))
	# 143/137 = killed by SIGTERM/SIGKILL (128 + signal number).
	if { [ "$rc" = 143 ] || [ "$rc" = 137 ]; } && [ "$elapsed" -ge "$TESTVM_TEST_TIMEOUT" ]; then
		say "target=$1 test=$2 timeout=$TESTVM_TEST_TIMEOUT"
		rc_ok=1
	else
		case "$rc" in 0 | 4) rc_ok=0 ;; *) rc_ok=1 ;; esac
	fi
	say "target=$1 test=$2 exit=$rc"
	return $rc_ok
}

# The kernel may complain while booting on an emulated CPU (seen on Bochs: a
# WARNING in fpu__init_system_xstate, "RETBleed: WARNING"). No module of ours is
# loaded yet, so these are shown before the begin marker, where the host notes
# them without failing, and only later complaints count.
BAD_BOOT=$(dmesg_bad)
BAD_SEEN=$BAD_BOOT
say "boot-dmesg-bad=$BAD_BOOT"
dmesg | grep -E "$TESTVM_BAD"
echo MINIKVM-TESTVM-BEGIN
drain
say "kernel=$(uname -r) cpus=$(grep -c '^processor' /proc/cpuinfo) targets=$TESTVM_TARGETS"
for t in $TESTVM_TARGETS; do
	if [ "$STOPPED" = 1 ]; then
		for n in $TESTVM_TESTS; do say "target=$t test=$n not-run"; done
		continue
	fi
	if load_target "$t"; then
		kernel_ok
		for n in $TESTVM_TESTS; do
			if [ "$STOPPED" = 1 ]; then
				say "target=$t test=$n not-run"
				continue
			fi
			run_test "$t" "$n" || failed
			# A new WARNING/BUG makes every later result suspect.
			kernel_ok
		done
	else
		failed
		for n in $TESTVM_TESTS; do say "target=$t test=$n not-run"; done
	fi
	unload_target "$t" || failed
	kernel_ok
done
say "dmesg-bad=$(($(dmesg_bad) - BAD_BOOT))"
echo MINIKVM-TESTVM-END
# Else the kernel's power-off messages cut the end marker in half.
drain
poweroff -f
# poweroff -f does not return; if it ever does, keep PID 1 alive for the host's timeout.
while :; do sleep 60; done
