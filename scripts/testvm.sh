#!/bin/bash
# testvm.sh - boot an emulated test machine running Debian's stock kernel and run
# test executables in it against minikvm.ko and/or the kernel's real KVM modules.
#
# Usage: scripts/testvm.sh [OPTIONS] TEST...
#   --machine svm|vmx   svm: QEMU/TCG with -cpu qemu64,+svm,+npt (boots in seconds);
#                       vmx: Bochs, cpu corei7_skylake_x, from a GRUB ISO (minutes)
#   --targets LIST      comma list of minikvm,kvm,coexist,none, run in that order in one
#                       boot (default minikvm). minikvm: insmod the module, tests get
#                       MINIKVM_DEV=/dev/minikvm; kvm: insmod the kernel's own kvm
#                       modules, tests get MINIKVM_DEV=/dev/kvm; coexist: both loaded
#                       (minikvm first), tests get MINIKVM_DEV=/dev/minikvm and
#                       MINIKVM_OTHER_DEV=/dev/kvm (kvm.ko with
#                       enable_virt_at_load=0 where it has that parameter,
#                       6.12: else KVM holds the CPUs from its load on); none: nothing loaded (tests
#                       that load modules themselves). Each target's modules are
#                       unloaded after its tests (an rmmod failure fails).
#   --kernel VER        kernel to boot (default: scripts/kver.sh's, the one Debian's
#                       linux-image-amd64 points to)
#   --module PATH       minikvm module (default ./minikvm.ko)
#   --smp N             number of CPUs (default 1)
#   --mem MB            memory of the test machine (default 1024; QEMU -m,
#                       Bochs megs, at most 2048 there)
#   --timeout SECONDS   whole run, boot included (default 300 svm, 900 vmx)
#   --test-timeout SECONDS  each test (default half of --timeout)
#   --out DIR           outputs (default build/testvm/MACHINE): console.log (raw
#                       serial), console.txt (cleaned), initrd.gz, results, verdict,
#                       qemu.log, or testvm.iso, bochsrc, bochs.log
#   --icount            QEMU only: -icount shift=0,sleep=off (repeatable timings)
#   --cpu MODEL         QEMU only: the -cpu model (default qemu64,+svm,+npt), e.g.
#                       qemu64,-svm for a machine without hardware virtualization
#   --keep-going        run every test even after a failure (default: after the
#                       first failure, the remaining tests are reported not-run)
#   --file PATH         also copy PATH to /tests/ without running it (a program
#                       that a test script calls); may be repeated
#   TEST...             static executables or #! scripts, copied to /tests/NAME
#
# On Debian, first runs scripts/deps.sh MACHINE to install missing packages.
# Prints the console as it arrives, then one line per target such as
#   svm/minikvm: 12 passed, 0 failed, 1 skipped
# and writes "TARGET PASSED FAILED SKIPPED" lines to OUT/results. Exit status 0
# only if every test passed or skipped and the console is clean (no kernel
# BUG/Oops/WARNING/panic/Call Trace, end marker reached, modules loaded and
# unloaded, no timeout); 1 on a failed run; 2 on a usage or set-up error.
# Kernel complaints logged while the machine booted, before the guest's begin
# marker and any module load, are printed as a note and not counted: Debian's
# kernel WARNs on Bochs's emulated CPU (fpu__init_system_xstate) at every boot.
#
# Counting: TAP test points (kselftest style) of each test; "ok ... # SKIP" is a
# skip. A test without test points counts once by its exit status (0 pass, 4 skip,
# else fail); one that exits other than 0/4 without any "not ok", one killed by the
# per-test timeout, one whose plan "1..N" does not match its test points, and one
# that began but never finished each add a failure. A failed insmod/rmmod or a
# missing device adds a failure to its target, and so does kernel trouble on the
# console (see BAD_RE) while a test runs (to that test) or while the target's
# modules are loaded or unloaded; tests not run after a failure are counted as
# skipped (the run fails anyway).
set -eu

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Console lines that mean the kernel is in trouble. "Call Trace:" catches every
# stack dump, including those without one of the other words (hung task,
# RCU stall): none is expected in a healthy run.
BAD_RE='BUG:|Oops|WARNING:|general protection fault|Kernel panic|kernel BUG|Call Trace:|UBSAN:'
CMDLINE="console=ttyS0 quiet panic=-1" # panic=-1: reboot at once (QEMU: exit)
MEM_MB=1024
CONTEXT=15 # console lines shown before and after the first problem
# Seconds the emulator may run on after the end marker before it is killed.
# poweroff -f takes about a second of guest time (other CPUs are stopped first):
# instant in QEMU, but on Bochs a guest second is 10 (smp 1) to 20 (smp 2) seconds.
LINGER_svm=30 LINGER_vmx=180

MACHINE="" TARGETS_ARG=minikvm KVER="" MODULE=./minikvm.ko SMP=1
TIMEOUT="" TEST_TIMEOUT="" OUT="" ICOUNT=0 KEEP_GOING=0
QEMU_CPU=qemu64,+svm,+npt # TCG emulates svm and npt, not nrip-save or decode assists
TESTS=() FILES=()
EMU_PID=""

usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
	exit "${1:-2}"
}

# die MSG: prints MSG on stderr and exits 2 (usage or set-up error).
die() {
	echo "testvm.sh: $*" >&2
	exit 2
}

# note MSG: prints a harness message on stderr.
note() {
	echo "testvm.sh: $*" >&2
}

# need_int NAME VALUE: dies unless VALUE is a positive integer.
need_int() {
	case "$2" in '' | *[!0-9]* | 0) die "$1 needs a positive integer, got '$2'" ;; esac
}

# parse_args ARGS...: sets the option variables and TESTS.
parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--machine | --targets | --kernel | --module | --smp | --mem | --timeout | --test-timeout | --out | --file | --cpu)
			[ $# -ge 2 ] || die "$1 needs a value"
			case "$1" in
			--machine) MACHINE=$2 ;;
			--targets) TARGETS_ARG=$2 ;;
			--kernel) KVER=$2 ;;
			--module) MODULE=$2 ;;
			--smp) SMP=$2 ;;
			--mem) MEM_MB=$2 ;;
			--timeout) TIMEOUT=$2 ;;
			--test-timeout) TEST_TIMEOUT=$2 ;;
			--out) OUT=$2 ;;
			--file) [ -f "$2" ] || die "--file: no such file: $2"; FILES+=("$2") ;;
			--cpu) QEMU_CPU=$2 ;;
			esac
			shift 2
			;;
		--icount) ICOUNT=1; shift ;;
		--keep-going) KEEP_GOING=1; shift ;;
		-h | --help) usage 0 ;;
		--) shift; TESTS+=("$@"); break ;;
		-*) die "unknown option $1 (--help lists them)" ;;
		*) TESTS+=("$1"); shift ;;
		esac
	done
	case "$MACHINE" in
	svm) : "${TIMEOUT:=300}"; LINGER=$LINGER_svm ;;
	vmx) : "${TIMEOUT:=900}"; LINGER=$LINGER_vmx ;;
	'') die "--machine svm|vmx is required" ;;
	*) die "unknown machine '$MACHINE' (svm or vmx)" ;;
	esac
	need_int --smp "$SMP"
	need_int --mem "$MEM_MB"
	[ "$MACHINE" != vmx ] || [ "$MEM_MB" -le 2048 ] || die "--mem: Bochs takes at most 2048 MB"
	need_int --timeout "$TIMEOUT"
	: "${TEST_TIMEOUT:=$((TIMEOUT / 2))}"
	need_int --test-timeout "$TEST_TIMEOUT"
	[ "$ICOUNT" = 0 ] || [ "$MACHINE" = svm ] || die "--icount is for QEMU (--machine svm) only"
	[ "$QEMU_CPU" = qemu64,+svm,+npt ] || [ "$MACHINE" = svm ] || die "--cpu is for QEMU (--machine svm) only"
	: "${OUT:=build/testvm/$MACHINE}"
	case "$OUT" in *,*) die "--out must not contain a comma (QEMU option syntax)" ;; esac
	TARGETS=()
	local t
	for t in ${TARGETS_ARG//,/ }; do
		case "$t" in
		minikvm | kvm | coexist | none) TARGETS+=("$t") ;;
		*) die "unknown target '$t' (minikvm, kvm, coexist, none)" ;;
		esac
	done
	[ ${#TARGETS[@]} -gt 0 ] || die "--targets is empty"
	[ ${#TESTS[@]} -gt 0 ] || die "no test given (see --help)"
}

# need_cmd CMD GROUP: dies with an install hint unless CMD is on PATH.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: run scripts/deps.sh $2"
}

# pick_kernel: sets KVER (if not given) to scripts/kver.sh's default kernel.
pick_kernel() {
	if [ -z "$KVER" ]; then
		KVER=$("$SCRIPTS/kver.sh") || die "no /boot/vmlinuz-VER with /lib/modules/VER: run scripts/deps.sh $MACHINE"
	fi
	[ -r "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER missing or unreadable"
	[ -d "/lib/modules/$KVER" ] || die "/lib/modules/$KVER missing"
}

# is_dynamic_elf FILE: true if FILE is an ELF executable that needs a dynamic loader.
is_dynamic_elf() {
	command -v readelf >/dev/null 2>&1 || return 1
	readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

# check_tests: dies unless every test is a static executable or a #! script
# with a name that is unique and safe to print.
check_tests() {
	local t name seen=" "
	TEST_NAMES=()
	for t in "${TESTS[@]}"; do
		[ -f "$t" ] || die "test not found: $t"
		name=$(basename "$t")
		case "$name" in *[!A-Za-z0-9._+-]*) die "test name '$name' may only use A-Za-z0-9._+-" ;; esac
		case "$seen" in *" $name "*) die "two tests are named $name" ;; esac
		seen="$seen$name "
		if [ "$(head -c 4 "$t" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			! is_dynamic_elf "$t" || die "$t is dynamically linked: build it with -static"
		elif [ "$(head -c 2 "$t")" != '#!' ]; then
			die "$t is neither an ELF executable nor a #! script"
		fi
		TEST_NAMES+=("$name")
	done
}

# kmod_file NAME: prints the file of module NAME ('-' and '_' alike) of kernel KVER.
kmod_file() {
	local pat f
	pat=$(printf '%s' "$1" | sed 's/[-_]/[-_]/g')
	f=$(find "/lib/modules/$KVER" \( -name "$pat.ko" -o -name "$pat.ko.*" \) -print -quit)
	[ -n "$f" ] || die "module $1 not found under /lib/modules/$KVER"
	printf '%s\n' "$f"
}

# stage_kmod SRC DEST: copies module SRC to DEST, decompressing .xz/.zst/.gz
# (busybox insmod loads plain ELF only).
stage_kmod() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) need_cmd xz "$MACHINE"; xz -dc "$1" >"$2" ;;
	*.ko.zst) need_cmd zstd "$MACHINE"; zstd -dqc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) die "unknown module format: $1" ;;
	esac
}

# modname FILE: prints the kernel's name of module FILE (what rmmod takes).
modname() {
	local n
	n=$(modinfo -F name "$1" 2>/dev/null || true)
	[ -n "$n" ] || n=$(basename "$1" .ko)
	printf '%s\n' "${n//-/_}"
}

# add_module STAGED GUEST_PATH: appends the dependencies of the staged module
# (recursively, from kernel KVER, each staged once under /modules/) and then the
# module itself to MODS (guest paths, load order) and NAMES (unload order).
add_module() {
	local dep src dst
	# A file that is no module has no dependencies here; insmod will say why.
	for dep in $(modinfo -F depends "$1" 2>/dev/null | tr ',' ' '); do
		case " ${NAMES[*]} " in *" ${dep//-/_} "*) continue ;; esac
		src=$(kmod_file "$dep")
		dst="$STAGE/modules/$(basename "${src%.ko*}").ko"
		[ -f "$dst" ] || stage_kmod "$src" "$dst"
		add_module "$dst" "/modules/$(basename "$dst")"
	done
	MODS+=("$2")
	NAMES=("$(modname "$1")" "${NAMES[@]}")
}

# stage_minikvm: adds minikvm.ko (and what it depends on) to MODS/NAMES.
stage_minikvm() {
	case "$(modinfo -F vermagic "$MODULE" 2>/dev/null)" in
	"$KVER "*) ;;
	*) note "warning: $MODULE was not built for $KVER; insmod will probably fail" ;;
	esac
	cp "$MODULE" "$STAGE/minikvm.ko"
	add_module "$STAGE/minikvm.ko" /minikvm.ko
}

# stage_real_kvm: adds the kernel's kvm-amd or kvm-intel, with its
# dependencies, to MODS/NAMES.
stage_real_kvm() {
	local root_mod src
	case "$MACHINE" in svm) root_mod=kvm-amd ;; vmx) root_mod=kvm-intel ;; esac
	src=$(kmod_file "$root_mod")
	stage_kmod "$src" "$STAGE/modules/$root_mod.ko"
	add_module "$STAGE/modules/$root_mod.ko" "/modules/$root_mod.ko"
}

# stage_initramfs: builds OUT/initrd.gz holding busybox, /init, its config, the
# targets' modules and the tests.
stage_initramfs() {
	local bb t i dev other
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || die "busybox not found: run scripts/deps.sh $MACHINE"
	! is_dynamic_elf "$bb" || die "$bb is not static: install busybox-static (scripts/deps.sh $MACHINE)"
	rm -rf "$STAGE"
	mkdir -p "$STAGE/bin" "$STAGE/etc" "$STAGE/modules" "$STAGE/tests"
	cp "$bb" "$STAGE/bin/busybox"
	ln -s busybox "$STAGE/bin/sh"
	install -m 755 "$SCRIPTS/testvm-init.sh" "$STAGE/init"
	for i in "${!TESTS[@]}"; do
		install -m 755 "${TESTS[$i]}" "$STAGE/tests/${TEST_NAMES[$i]}"
	done
	for i in "${FILES[@]}"; do
		install -m 755 "$i" "$STAGE/tests/$(basename "$i")"
	done
	{
		echo "# written by scripts/testvm.sh for kernel $KVER"
		echo "TESTVM_TARGETS='${TARGETS[*]}'"
		echo "TESTVM_TESTS='${TEST_NAMES[*]}'"
		echo "TESTVM_TEST_TIMEOUT=$TEST_TIMEOUT"
		echo "TESTVM_KEEP_GOING=$KEEP_GOING"
		echo "TESTVM_BAD='$BAD_RE'"
	} >"$STAGE/etc/testvm.conf"
	for t in "${TARGETS[@]}"; do
		MODS=() NAMES=() other="" params=""
		case "$t" in
		minikvm)
			stage_minikvm
			dev=/dev/minikvm
			;;
		kvm)
			stage_real_kvm
			dev=/dev/kvm
			;;
		coexist)
			stage_minikvm
			stage_real_kvm
			dev=/dev/minikvm other=/dev/kvm
			# KVM since 6.12 turns virtualization on when kvm.ko loads
			# (enable_virt_at_load, default on) and keeps it on with no
			# VM: minikvm would find every CPU taken.  Off, KVM takes
			# the CPUs with its first VM, as 6.1 always did.
			if modinfo -F parm "$STAGE/modules/kvm.ko" 2>/dev/null |
				grep -q '^enable_virt_at_load:'; then
				params="kvm.ko:enable_virt_at_load=0"
			fi
			;;
		none)
			dev=""
			;;
		esac
		note "target $t: insmod ${MODS[*]}${params:+ ($params)}"
		{
			echo "TESTVM_${t}_MODS='${MODS[*]}'"
			echo "TESTVM_${t}_PARAMS='$params'"
			echo "TESTVM_${t}_NAMES='${NAMES[*]}'"
			echo "TESTVM_${t}_DEV=$dev"
			echo "TESTVM_${t}_OTHER=$other"
		} >>"$STAGE/etc/testvm.conf"
	done
	"$SCRIPTS/mkinitramfs.sh" "$STAGE" "$OUT/initrd.gz"
}

# make_iso: builds OUT/testvm.iso, a GRUB (BIOS) CD that boots KVER with the
# initramfs and talks on the serial port, for Bochs.
make_iso() {
	local iso="$OUT/iso"
	rm -rf "$iso"
	mkdir -p "$iso/boot/grub"
	cp "/boot/vmlinuz-$KVER" "$iso/boot/vmlinuz"
	cp "$OUT/initrd.gz" "$iso/boot/initrd.gz"
	cat >"$iso/boot/grub/grub.cfg" <<-EOF
		serial --unit=0 --speed=115200
		terminal_input serial
		terminal_output serial
		set timeout=0
		menuentry "minikvm test machine ($KVER)" {
		    linux /boot/vmlinuz $CMDLINE
		    initrd /boot/initrd.gz
		}
	EOF
	grub-mkrescue -o "$OUT/testvm.iso" "$iso" >"$OUT/grub-mkrescue.log" 2>&1 ||
		{ cat "$OUT/grub-mkrescue.log" >&2; die "grub-mkrescue failed"; }
}

# start_qemu: starts QEMU in the background; sets EMU_PID.
start_qemu() {
	local extra=()
	[ "$ICOUNT" = 0 ] || extra=(-icount "shift=0,sleep=off")
	# thread=single: one host thread runs all vCPUs.  With multi-threaded TCG,
	# SMP guests running real KVM oopsed on int3 in kernel text patching
	# (static keys flipped as KVM creates and destroys vCPUs): a vCPU ran code
	# another had just patched.
	qemu-system-x86_64 -accel tcg,thread=single -cpu "$QEMU_CPU" -m "$MEM_MB" -smp "$SMP" \
		-display none -monitor none -serial "file:$CONSOLE" -no-reboot \
		-kernel "/boot/vmlinuz-$KVER" -initrd "$OUT/initrd.gz" -append "$CMDLINE" \
		"${extra[@]}" </dev/null >"$OUT/qemu.log" 2>&1 &
	EMU_PID=$!
}

# start_bochs: writes OUT/bochsrc and starts Bochs in the background; sets EMU_PID.
start_bochs() {
	# ips: emulated instructions per second that Bochs assumes for its timers.
	cat >"$OUT/bochsrc" <<-EOF
		megs: $MEM_MB
		cpu: model=corei7_skylake_x, count=$SMP, ips=200000000
		romimage: file=/usr/share/bochs/BIOS-bochs-latest
		vgaromimage: file=/usr/share/vgabios/vgabios.bin
		ata0-master: type=cdrom, path=$OUT/testvm.iso, status=inserted
		boot: cdrom
		com1: enabled=1, mode=file, dev=$CONSOLE
		display_library: rfb, options="timeout=0"
		log: $OUT/bochs.log
		panic: action=fatal
		error: action=ignore
		info: action=ignore
		clock: sync=none, time0=local
		sound: driver=dummy
		speaker: enabled=0
	EOF
	# Debian's Bochs has its debugger built in and stops at the first
	# instruction: "c" continues.
	echo c >"$OUT/bochs.rc"
	bochs -q -f "$OUT/bochsrc" -rc "$OUT/bochs.rc" </dev/null >"$OUT/bochs.stdout" 2>&1 &
	EMU_PID=$!
}

# stop_emulator: ends EMU_PID (TERM, then KILL after 5 s) if it still runs.
stop_emulator() {
	local i
	[ -n "$EMU_PID" ] || return 0
	if kill -0 "$EMU_PID" 2>/dev/null; then
		kill -TERM "$EMU_PID" 2>/dev/null || true
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$EMU_PID" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$EMU_PID" 2>/dev/null || true
	fi
	wait "$EMU_PID" 2>/dev/null || true
	EMU_PID=""
}

# clean_console: filter, stdin to stdout: drops carriage returns, ANSI escape
# sequences (GRUB draws its menu with them) and other control characters.
clean_console() {
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Za-z0-9]//g' |
		tr -d '\000-\010\013-\037\177'
}

# show_new_lines: prints the console lines that arrived since the last call
# (complete lines only), appending them to the cleaned OUT/console.txt.
show_new_lines() {
	local total
	[ -f "$CONSOLE" ] || return 0
	total=$(wc -l <"$CONSOLE")
	[ "$total" -gt "$SHOWN" ] || return 0
	sed -n "$((SHOWN + 1)),${total}p" "$CONSOLE" | clean_console | tee -a "$CLEAN" |
		sed "s|^|[$MACHINE] |"
	SHOWN=$total
}

# watch_emulator: follows the console until the emulator exits, killing it on
# timeout, after a kernel panic, on a reboot, or if it lingers after the end
# marker; sets RUN_END (exited|timeout|panic|reboot|lingered), BOOT_SECS, RUN_SECS.
watch_emulator() {
	local start=$SECONDS now end_seen="" panic_seen=""
	SHOWN=0 RUN_END=exited BOOT_SECS=""
	: >"$CLEAN"
	while kill -0 "$EMU_PID" 2>/dev/null; do
		sleep 1
		show_new_lines
		now=$((SECONDS - start))
		if [ -z "$BOOT_SECS" ] && grep -q MINIKVM-TESTVM-BEGIN "$CLEAN"; then
			BOOT_SECS=$now
		fi
		if [ "$now" -ge "$TIMEOUT" ]; then
			RUN_END=timeout
			break
		fi
		# With panic=-1 QEMU exits by itself (-no-reboot); Bochs would reboot.
		if [ -z "$panic_seen" ] && grep -q 'Kernel panic' "$CLEAN"; then
			panic_seen=$now
		fi
		if [ -n "$panic_seen" ] && [ $((now - panic_seen)) -ge 5 ]; then
			RUN_END=panic
			break
		fi
		if [ "$(grep -c MINIKVM-TESTVM-BEGIN "$CLEAN")" -gt 1 ]; then
			RUN_END=reboot
			break
		fi
		if [ -z "$end_seen" ] && grep -q MINIKVM-TESTVM-END "$CLEAN"; then
			end_seen=$now
		fi
		if [ -n "$end_seen" ] && [ $((now - end_seen)) -ge "$LINGER" ]; then
			RUN_END=lingered
			break
		fi
	done
	stop_emulator
	# The last line may lack its newline if the emulator was killed.
	if [ -f "$CONSOLE" ] && [ -n "$(tail -c 1 "$CONSOLE")" ]; then echo >>"$CONSOLE"; fi
	show_new_lines
	RUN_SECS=$((SECONDS - start))
}

# parse_results: reads the cleaned console; prints, one per line,
#   TEST <human-readable result of one test>
#   PROBLEM <line number> <text>   (failed insmod/rmmod, missing device, unfinished test)
#   DMESGBAD <n>
#   COUNT <target> <passed> <failed> <skipped>
parse_results() {
	awk -v targets="${TARGETS[*]}" -v tests="${TEST_NAMES[*]}" -v machine="$MACHINE" -v bad="$BAD_RE" '
	function directive(line, word,   i, d) {
		i = index(line, "#")
		if (i == 0) return 0
		d = toupper(substr(line, i + 1))
		sub(/^[ \t]+/, "", d)
		return substr(d, 1, length(word)) == word
	}
	function finish_test(rc,   note) {
		note = ""
		if (kernel_bad) { f++; note = note " kernel trouble on the console while it ran;" }
		if (timedout) { f++; note = note " killed by the per-test timeout;" }
		else if (rc != 0 && rc != 4 && f == 0) { f++; note = note " exit status " rc " without a \"not ok\";" }
		if (points == 0 && !timedout && f == 0) {
			if (rc == 4 || skipall) s++
			else if (rc == 0) p++
		}
		if (planned >= 0 && points != planned && !timedout && !(planned == 0 && points == 0)) {
			f++; note = note " planned " planned " test points, saw " points ";"
		}
		P[cur_t] += p; F[cur_t] += f; S[cur_t] += s
		done[cur_t, cur_n] = 1
		# Not "N passed, N failed": that wording is kept for the per-target totals.
		printf "TEST [%s/%s] %s: exit %s: %d ok, %d not ok, %d skip%s\n", machine, cur_t, cur_n, rc, p, f, s, (note == "" ? "" : " (" substr(note, 2, length(note) - 2) ")")
		intest = 0
	}
	{
		i = index($0, "# testvm: ")
		if (i > 0) {
			n = split(substr($0, i + 10), fld, " ")
			delete a
			for (j = 1; j <= n; j++) {
				k = index(fld[j], "=")
				if (k) a[substr(fld[j], 1, k - 1)] = substr(fld[j], k + 1)
				else a[fld[j]] = ""
			}
			t = a["target"]
			if (t != "") last_t = t
			if ("test" in a && "begin" in a) {
				if (intest) print "PROBLEM " NR " test " cur_n " (target " cur_t ") never finished"
				intest = 1; cur_t = t; cur_n = a["test"]
				p = f = s = points = timedout = skipall = kernel_bad = 0; planned = -1; began[t, cur_n] = NR
			} else if ("test" in a && "timeout" in a) {
				timedout = 1
			} else if ("test" in a && "exit" in a && intest) {
				finish_test(a["exit"] + 0)
			} else if ("test" in a && "not-run" in a) {
				notrun[t, a["test"]] = 1
			} else if (("insmod" in a || "rmmod" in a) && a["rc"] != "0") {
				setup[t]++
				print "PROBLEM " NR " target " t ": " ("insmod" in a ? "insmod " a["insmod"] : "rmmod " a["rmmod"]) " failed (rc=" a["rc"] ")"
			} else if ("device" in a && "missing" in a) {
				setup[t]++
				print "PROBLEM " NR " target " t ": device " a["device"] " missing after insmod"
			} else if ("dmesg-bad" in a) {
				print "DMESGBAD " a["dmesg-bad"]
			}
			next
		}
		# Kernel trouble fails the test that was running, or else the set-up of
		# the target being loaded or unloaded (once each).
		if ($0 ~ bad) {
			if (intest) kernel_bad = 1
			else if (last_t != "" && !(last_t in setup_bad)) {
				setup_bad[last_t] = 1; setup[last_t]++
			}
		}
		if (!intest) next
		if ($0 ~ /^1\.\.[0-9]+/) {
			planned = substr($0, 4) + 0
			if (planned == 0 && directive($0, "SKIP")) skipall = 1
		} else if ($0 ~ /^not ok([ \t]|$)/) {
			points++
			if (directive($0, "SKIP") || directive($0, "TODO")) s++; else f++
		} else if ($0 ~ /^ok([ \t]|$)/) {
			points++
			if (directive($0, "SKIP")) s++; else p++
		}
	}
	END {
		nt = split(targets, T, " "); nn = split(tests, N, " ")
		for (i = 1; i <= nt; i++) {
			t = T[i]
			for (j = 1; j <= nn; j++) {
				if ((t, N[j]) in done) continue
				if ((t, N[j]) in notrun) {
					S[t]++
					printf "TEST [%s/%s] %s: not run (after a failure)\n", machine, t, N[j]
				} else {
					F[t]++
					if ((t, N[j]) in began)
						print "PROBLEM " began[t, N[j]] " test " N[j] " (target " t ") began but never finished"
					else
						printf "TEST [%s/%s] %s: never ran\n", machine, t, N[j]
				}
			}
			printf "COUNT %s %d %d %d\n", t, P[t], F[t] + setup[t], S[t]
		}
	}' "$CLEAN"
}

# show_context LINE: prints the cleaned console lines around LINE.
show_context() {
	local from=$(($1 - CONTEXT)) to=$(($1 + CONTEXT))
	[ "$from" -ge 1 ] || from=1
	echo "---- console.txt lines $from-$to (first problem at line $1) ----"
	sed -n "${from},${to}p" "$CLEAN"
	echo "----"
}

# judge: prints per-test results, the problems and the per-target summary; writes
# OUT/results and OUT/verdict; returns 0 only if the run passed.
judge() {
	local reasons=() first="" kind rest line t p f s bad begin boot_bad
	: >"$OUT/results"
	case "$RUN_END" in
	timeout) reasons+=("timeout: killed after ${TIMEOUT}s") ;;
	reboot) reasons+=("the machine rebooted") ;;
	panic) reasons+=("kernel panic") ;;
	lingered) reasons+=("the machine did not power off after the end marker") ;;
	esac
	# Complaints of the kernel while it booted, before the begin marker, come
	# from the emulated CPU (no module of ours is loaded yet): shown, not counted.
	begin=$(grep -n -m 1 MINIKVM-TESTVM-BEGIN "$CLEAN" | cut -d: -f1 || true)
	if [ -n "$begin" ]; then
		# (The init repeats from dmesg what the console showed: print each once.)
		boot_bad=$(head -n "$begin" "$CLEAN" | grep -E "$BAD_RE" | awk '!seen[$0]++' || true)
		if [ -n "$boot_bad" ]; then
			note "note: the kernel complained while booting, before any test module was loaded (not counted):"
			printf '%s\n' "$boot_bad" | sed 's/^/    /' >&2
		fi
		bad=$(tail -n +"$begin" "$CLEAN" | grep -nE "$BAD_RE" | head -n 1 || true)
		[ -z "$bad" ] || bad="$((${bad%%:*} + begin - 1)):${bad#*:}"
	else
		bad=$(grep -nE "$BAD_RE" "$CLEAN" | head -n 1 || true)
	fi
	if [ -n "$bad" ]; then
		reasons+=("console: ${bad#*:}")
		first=${bad%%:*}
	fi
	grep -q MINIKVM-TESTVM-END "$CLEAN" || reasons+=("no MINIKVM-TESTVM-END marker on the console")
	while read -r kind rest; do
		case "$kind" in
		TEST) echo "$rest" ;;
		PROBLEM)
			line=${rest%% *}
			reasons+=("${rest#* }")
			if [ -z "$first" ] || [ "$line" -lt "$first" ]; then first=$line; fi
			;;
		DMESGBAD) [ "$rest" = 0 ] || reasons+=("dmesg in the guest has $rest bad lines") ;;
		COUNT)
			read -r t p f s <<<"$rest"
			echo "$t $p $f $s" >>"$OUT/results"
			[ "$f" = 0 ] || reasons+=("$MACHINE/$t: $f failed")
			;;
		esac
	done < <(parse_results)
	if [ -n "$first" ]; then
		show_context "$first"
	elif [ "$RUN_END" != exited ] || ! grep -q MINIKVM-TESTVM-END "$CLEAN"; then
		echo "---- last $((2 * CONTEXT)) console lines ----"
		tail -n $((2 * CONTEXT)) "$CLEAN"
		echo "----"
	fi
	note "$MACHINE: kernel $KVER, smp $SMP, boot to init ${BOOT_SECS:-?}s, whole run ${RUN_SECS}s; outputs in $OUT"
	if [ ${#reasons[@]} -gt 0 ]; then
		printf 'testvm.sh: FAIL: %s\n' "${reasons[@]}" >&2
		printf 'FAIL: %s\n' "${reasons[@]}" >"$OUT/verdict"
	else
		echo PASS >"$OUT/verdict"
	fi
	while read -r t p f s; do
		echo "$MACHINE/$t: $p passed, $f failed, $s skipped"
	done <"$OUT/results"
	[ ${#reasons[@]} -eq 0 ]
}

main() {
	parse_args "$@"
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	STAGE="$OUT/initramfs" CONSOLE="$OUT/console.log" CLEAN="$OUT/console.txt"
	# Results of an earlier run must not pass for this one's, even if it stops early.
	rm -f "$CONSOLE" "$CLEAN" "$OUT/results" "$OUT/verdict" "$OUT/bochs.log"
	# Install what this machine kind needs (quiet and quick when all is there).
	if command -v dpkg-query >/dev/null 2>&1; then
		"$SCRIPTS/deps.sh" "$MACHINE" || die "missing packages (see above)"
	fi
	case "$MACHINE" in
	svm) need_cmd qemu-system-x86_64 svm ;;
	vmx) need_cmd bochs vmx; need_cmd grub-mkrescue vmx ;;
	esac
	need_cmd cpio "$MACHINE"
	need_cmd modinfo "$MACHINE"
	pick_kernel
	case " ${TARGETS[*]} " in
	*" minikvm "*) [ -f "$MODULE" ] || die "module not found: $MODULE (build it, or pass --module PATH)" ;;
	esac
	check_tests
	stage_initramfs
	[ "$MACHINE" = svm ] || make_iso
	trap stop_emulator EXIT
	trap 'exit 130' INT TERM
	note "booting $MACHINE (kernel $KVER, smp $SMP, timeout ${TIMEOUT}s, per test ${TEST_TIMEOUT}s): ${TARGETS[*]}: ${TEST_NAMES[*]}"
	: >"$CONSOLE"
	case "$MACHINE" in
	svm) start_qemu ;;
	vmx) start_bochs ;;
	esac
	watch_emulator
	judge || exit 1
}

# One line: bash has read it whole before main runs, so editing this file
# while a run is under way cannot feed the rest of that run new text.
main "$@"; exit
