#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# exit_histogram_test.sh - scripts/exit-histogram on a sample dump
# (exit_histogram_sample.txt: two vCPUs, minikvm's SVM exit histograms, one
# of them empty): the SVG is well-formed XML, has one panel per histogram
# with samples (time in guest first), the vCPUs' samples summed, and bars
# whose heights are proportional to the counts (linear) or to
# log10(1 + count) (--log).  Run by `make unit`; TAP output.

dir=$(cd "$(dirname "$0")" && pwd)
tool="$dir/../../scripts/exit-histogram"
sample="$dir/exit_histogram_sample.txt"
out=${TMPDIR:-/tmp}/exit_histogram_test.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

echo "TAP version 13"
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP no python3 (scripts/deps.sh build installs it)"
	exit 0
fi
echo "1..3"
n=0 fails=0
for mode in linear log; do
	n=$((n + 1))
	flag=""
	[ "$mode" = log ] && flag=--log
	if ! python3 "$tool" $flag -o "$out/$mode.svg" "$sample" 2>"$out/err"; then
		sed 's/^/# /' "$out/err"
		echo "not ok $n exit-histogram, $mode counts: runs"
		fails=$((fails + 1))
		continue
	fi
	if python3 - "$out/$mode.svg" "$sample" "$mode" <<'PY'
import math, sys
import xml.etree.ElementTree as ET

svg, sample, mode = sys.argv[1:4]
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(svg).getroot()          # well-formed, or it raises
assert root.tag == NS + "svg", root.tag

# What the sample holds: each log_hist summed over the vCPUs.
want = {}
for line in open(sample):
    f = line.split()
    if len(f) > 5 and f[2] == "log_hist" and f[0].startswith("vcpu"):
        v = [int(x) for x in f[5:]]
        acc = want.setdefault(f[1], [0] * len(v))
        for i, c in enumerate(v):
            acc[i] += c
want = {k: v for k, v in want.items() if sum(v)}

panels = [g for g in root.iter(NS + "g") if g.get("class") == "panel"]
names = [p.get("data-name") for p in panels]
assert sorted(names) == sorted(want), (names, sorted(want))
assert names[0] == "guest_cycles_hist", names
scale = (lambda c: math.log10(1 + c)) if mode == "log" else (lambda c: c)
for p in panels:
    name = p.get("data-name")
    assert int(p.get("data-samples")) == sum(want[name]), name
    bars = [r for r in p.iter(NS + "rect") if r.get("class") == "bar"]
    seen = 0
    ratio = None
    for b in bars:
        i, c = int(b.get("data-bucket")), int(b.get("data-count"))
        assert want[name][i] == c, (name, i, c, want[name][i])
        seen += c
        h = float(b.get("height"))
        if c == 0:
            assert h == 0, (name, i, h)
            continue
        r = h / scale(c)
        ratio = ratio or r
        assert abs(r - ratio) < 0.01 * ratio, (name, i, h, c, ratio)
    assert seen == sum(want[name]), (name, seen)   # no bucket left out
print("# %s: %d panels: %s" % (mode, len(panels), " ".join(names)))
PY
	then
		echo "ok $n exit-histogram, $mode counts: valid SVG, a panel per histogram, bars to scale"
	else
		echo "not ok $n exit-histogram, $mode counts: SVG check"
		fails=$((fails + 1))
	fi
done
# No histogram in the input: still a valid picture saying so.
n=$((n + 1))
if echo "vcpu0 exits cumulative none 0 5" | python3 "$tool" -o "$out/empty.svg" &&
	python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$out/empty.svg" &&
	grep -q "no histogram with samples" "$out/empty.svg"; then
	echo "ok $n no histogram: a valid SVG that says so"
else
	echo "not ok $n no histogram: a valid SVG that says so"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
