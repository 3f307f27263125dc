#!/usr/bin/env bash
# matrix.sh: build and test gohot on every Go release the series claims.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/matrix.sh [--go 1.X.Y]... [--arch arm64] [--force]

For each Go release in toolchain/versions.conf ("release" lines: the patch
release of each claimed minor), or each --go given: runs
scripts/test.sh --go RELEASE, which builds (or reuses from the cache) and
quick-verifies gohot for it and runs every test of the project on it, the
testscript suite on gohot and on stock Go of that release included. It
records one line per release in toolchain/matrix.tsv:

  release  series  suffix  result  seconds  date  machine

With --arch arm64 it runs scripts/test-arch.sh --arch arm64 --go RELEASE
instead (the linux/arm64 toolchain cross-built here and tested under
qemu-user), recorded as "RELEASE linux/arm64".

A release already recorded as passed with this series and suffix is
skipped (--force runs it again). A release that fails does not stop the
others. README.md's "Supported Go versions" table is regenerated from the
file after each release (go test ./testscripts -run TestSupportedTable
-update), so the next release's run finds the two in agreement.

Exit code: the number of releases that failed (0: all passed), 2 usage.
USAGE
}

force=0 releases=() arch=""
while [ $# -gt 0 ]; do
	case $1 in
	--arch)
		[ $# -ge 2 ] || die "$EX_USAGE" "--arch needs an architecture: arm64"
		arch=$2
		shift 2
		;;
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version, e.g. --go 1.27.4"
		releases+=("${2#go}")
		shift 2
		;;
	--force) force=1 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
if [ "${#releases[@]}" -eq 0 ]; then
	mapfile -t releases < <(awk '$1 == "release" { print $3 }' "$GOHOT_CONF")
	[ "${#releases[@]}" -gt 0 ] || die "$EX_USAGE" "toolchain/versions.conf has no release lines"
fi

results="$GOHOT_ROOT/toolchain/matrix.tsv"
suffix=$(conf suffix)
series=$(conf series_sha256)
machine="$(uname -s | tr '[:upper:]' '[:lower:]')/$(uname -m), $(nproc) cores"
logdir="$(gohot_cache)/matrix"
mkdir -p "$logdir"
[ -f "$results" ] || printf 'release\tseries\tsuffix\tresult\tseconds\tdate\tmachine\n' >"$results"

failed=0
for release in "${releases[@]}"; do
	row=$release logname=go$release test=("$GOHOT_ROOT/scripts/test.sh" --go "$release")
	if [ -n "$arch" ]; then
		row="$release linux/$arch" logname="go$release-$arch"
		test=("$GOHOT_ROOT/scripts/test-arch.sh" --arch "$arch" --go "$release")
	fi
	if [ "$force" = 0 ] && awk -F'\t' -v r="$row" -v s="${series:0:16}" -v x="$suffix" \
		'$1 == r && $2 == s && $3 == x && $4 == "passed" { found = 1 } END { exit !found }' "$results"; then
		log "go$row: already passed with series ${series:0:16} ($suffix): skipped (--force to run again)"
		continue
	fi
	log "go$row: ${test[*]#"$GOHOT_ROOT"/} (log: $logdir/$logname.log)"
	t0=$SECONDS
	result=passed
	if ! "${test[@]}" >"$logdir/$logname.log" 2>&1; then
		result=failed
		failed=$((failed + 1))
	fi
	secs=$((SECONDS - t0))
	log "go$row: $result in ${secs}s"
	# Replace the release's line: one line per release, the latest run.
	tmp=$(mktemp "$results.XXXXXX")
	awk -F'\t' -v r="$row" 'NR == 1 || $1 != r' "$results" >"$tmp"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "${series:0:16}" "$suffix" "$result" "$secs" "$(date -u +%Y-%m-%d)" "$machine" >>"$tmp"
	mv "$tmp" "$results"
	# The README's table follows the file at once: the next release's
	# test.sh checks the two against each other (TestSupportedTable).
	if ! (cd "$GOHOT_ROOT" && GOTOOLCHAIN=local go test ./testscripts -run '^TestSupportedTable$' -update >/dev/null); then
		log "go$row: could not regenerate README.md's supported table (go test ./testscripts -run TestSupportedTable -update)"
	fi
done
log "matrix: $failed of ${#releases[@]} releases failed; results in toolchain/matrix.tsv"
exit "$failed"
