#!/bin/sh
# Short runs of ref-bench (the C bench reference) under valgrind memcheck
# with a full leak check; any error or leak fails the run. Exit 77 (with a
# "skip" line saying why) when valgrind is not installed.
#
# No suppressions are needed: ref-bench maps its rings from the ring fd
# (memcheck marks mmap'd memory defined, so CQEs the kernel writes there
# read as defined) and fills its I/O buffers before the kernel reads into
# them; memcheck cannot see kernel writes, so they can hide an error but
# never invent one.
#
# usage: valgrind-ref-bench.sh PATH/TO/ref-bench
set -u
bench=$1
if ! command -v valgrind >/dev/null 2>&1; then
	echo "skip valgrind: valgrind is not installed (apt-get install valgrind)"
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/uringshim-valgrind-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
# Random data for reads; writes go to their own file, since a file that
# partly holds ref-bench's pattern makes its read check fail.
file=$dir/data
wfile=$dir/written
dd if=/dev/urandom of="$file" bs=1M count=4 status=none || exit 1
cp "$file" "$wfile" || exit 1

failed=0
run() {
	# Each run lasts ~100 ms of bench plus valgrind's start-up; the timeout
	# only keeps a hang from stalling CI.
	if timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible \
		"$bench" --duration-ms 100 "$@" >"$dir/out" 2>"$dir/err"; then
		echo "valgrind ref-bench $*: clean"
	else
		echo "valgrind ref-bench $*: FAILED (exit $?)"
		cat "$dir/err"
		failed=1
	fi
}

run --workload nop --batch 8
run --workload nop --batch 4 --sqpoll
run --workload randread --file "$file" --qd 8 --batch 4 --entries 16
run --workload randread --file "$file" --qd 8 --batch 4 --entries 16 --fixed --files --latency
run --workload randwrite --file "$wfile" --qd 4 --batch 2 --entries 16 --fsync-every 4
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
	echo "skip valgrind O_DIRECT run: $dir is on tmpfs"
else
	run --workload randread --file "$file" --qd 8 --batch 4 --entries 16 --direct --fixed
	run --workload randread --file "$file" --qd 8 --batch 1 --entries 16 --direct --submit-each --latency
fi
exit $failed
