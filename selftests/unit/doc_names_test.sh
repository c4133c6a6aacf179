#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# doc_names_test.sh - the names that Documentation/ cites exist in the code.
#
# Usage: selftests/unit/doc_names_test.sh [DOC...]   (default: README.md, Documentation/*.md)
#
# Reads every `backquoted` name of the documents and checks it, from the
# top of the tree:
#   `path/file.c`             the file exists (`file.c`: somewhere)
#   `path/file.c:name()`      the file defines name (function, asm symbol,
#                             macro, struct, variable)
#   `name()`                  some file under kmod/ arch/ user/ selftests/
#                             include/ defines it, or it is one of the
#                             kernel or libc functions listed in OUTSIDE
#   `struct name`             some file there defines struct name; KVM's
#                             struct kvm_* are looked up in <linux/kvm.h>
#   `name[]`                  some file there defines the array
#   `exit_svm_x`, `exit_vmx_x` (statistic names, with or without _hist):
#                             x is lower case, and in upper case in the
#                             vendor's exit table, or "other"
# One TAP test point per document; a missing name is printed as a
# diagnostic.  Exit status 1 when a document cites a missing name.

cd "$(dirname "$0")/../.." || exit 2
SRC_DIRS="kmod arch user selftests include"
# Names the documents cite from outside the tree: the kernel's and libc's.
# (KVM's uAPI structs are checked against <linux/kvm.h>.)
OUTSIDE="array_index_nospec cond_resched kernel_fpu_begin kernel_fpu_end
	 pin_user_pages fork read write lseek pread pwrite mmap ioctl poll
	 rcu_read_lock synchronize_rcu remap_vmalloc_range smp_store_release
	 vmalloc_user pidfd_getfd pidfd_open"
KVM_H="/usr/include/linux/kvm.h $(ls /usr/include/*/asm/kvm.h 2>/dev/null)"

# defines FILE... NAME: does one of the files define NAME?
defines() {
	local name=${*: -1} files=("${@:1:$#-1}")

	grep -qE "^([A-Za-z_][^;=(]*[ *])?$name\(|SYM_(FUNC_START|INNER_LABEL)(_[A-Z]+)?\($name[,)]|^$name:|^#define $name\b|struct $name \{|\(\*$name\)\(|^[A-Za-z_].*[ *]$name(\[[^]]*\])*( =|;)" \
		"${files[@]}" 2>/dev/null
}

# defined_anywhere NAME
defined_anywhere() {
	local files

	mapfile -t files < <(find $SRC_DIRS -type f \( -name '*.[chS]' \) 2>/dev/null)
	defines "${files[@]}" "$1"
}

# exit_name VENDOR CODE: CODE is in the vendor's exit table (or "other").
exit_name() {
	local macro file

	case $1 in
	svm) macro=SVM_EXIT file=arch/x86/svm/svm_exit.c ;;
	vmx) macro=VMX_EXIT file=arch/x86/vmx/vmx_exit.c ;;
	esac
	[ "$2" = other ] || grep -qE "^\s*$macro\($2," "$file"
}

# check_name NAME: 0 if it exists, else 1 with the reason on stdout.
check_name() {
	local n=$1 f name

	case " $(echo $OUTSIDE) " in *" ${n%()} "*) return 0 ;; esac
	case $n in
	*/*[A-Z][A-Z][A-Z]*) ;;		# a pattern: selftests/NAME_test.c
	"struct kvm_"*)
		grep -q "^${n} {" $KVM_H || { echo "no $n in <linux/kvm.h>"; return 1; }
		;;
	*.c:* | *.h:* | *.S:* | *.sh:*)
		f=${n%%:*} name=${n#*:} name=${name%()} name=${name%\[\]}
		[ -f "$f" ] || { echo "no file $f"; return 1; }
		defines "$f" "$name" || { echo "$f does not define $name"; return 1; }
		;;
	*/*.c | */*.h | */*.S | */*.sh | */*.md | */*.py)
		[ -e "$n" ] || { echo "no file $n"; return 1; }
		;;
	*.c | *.h | *.S | *.sh | *.md | *.py)	# a file named without its folder
		[ -n "$(find $SRC_DIRS scripts Documentation -name "$n" -print -quit)" ] ||
			{ echo "no file $n in the tree"; return 1; }
		;;
	"struct "*)
		defined_anywhere "${n#struct }" || { echo "no $n"; return 1; }
		;;
	*"()" | *"[]")
		name=${n%()} name=${name%\[\]}
		defined_anywhere "$name" || { echo "nothing defines $name"; return 1; }
		;;
	exit_svm_* | exit_vmx_*)
		name=${n#exit_???_} name=${name%_hist}
		# The statistics spell the table's names in lower case.
		[ "$name" = "${name,,}" ] ||
			{ echo "statistic names are lower case"; return 1; }
		[ "$name" = other ] || name=${name^^}
		exit_name "${n:5:3}" "$name" ||
			{ echo "no exit code $name in the ${n:5:3} table"; return 1; }
		;;
	esac
	return 0
}

# The names to check in DOC: backquoted spans that look like code names.
doc_names() {
	grep -oE '`[^`]+`' "$1" | tr -d '`' |
		grep -E '^([A-Za-z0-9_./-]+\.(c|h|S|sh|md|py)(:[A-Za-z_][A-Za-z0-9_]*(\(\)|\[\])?)?|[A-Za-z_][A-Za-z0-9_]*(\(\)|\[\])|struct [a-z_0-9]+|exit_(svm|vmx)_[A-Za-z0-9_]+)$' |
		sort -u
}

[ $# -gt 0 ] || set -- README.md Documentation/*.md
echo "1..$#"
i=0 failed=0
for doc in "$@"; do
	i=$((i + 1))
	bad=0 count=0
	while read -r n; do
		count=$((count + 1))
		if ! why=$(check_name "$n"); then
			echo "# $doc: \`$n\`: $why"
			bad=1
		fi
	done < <(doc_names "$doc")
	if [ $bad -eq 0 ]; then
		echo "ok $i - $doc: $count names exist"
	else
		echo "not ok $i - $doc: cites names that do not exist"
		failed=1
	fi
done
exit $failed
