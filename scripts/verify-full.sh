#!/usr/bin/env bash
# verify-full.sh: run.bash on a gohot toolchain, judged against stock Go.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/verify-full.sh --goroot DIR --stock-src DIR [--work DIR] [--run REGEX]

Runs Go's own test suite (run.bash, as go tool dist test -k -json) on the
gohot toolchain in --goroot and on a stock toolchain built from --stock-src
(the same release, unpatched) on this machine. A test that fails is re-run
once on both. Only failures that the stock toolchain does not share fail
this script: failures of the machine or of flaky tests are reported, not
blamed on the patch series.

  --goroot DIR     the built gohot GOROOT (with its source)
  --stock-src DIR  a stock GOROOT or source tree of the same Go release
  --work DIR       scratch space (default: a temporary directory)
  --run REGEX      only the dist tests matching REGEX (go tool dist test
                   -list names them), on both toolchains
  -h, --help       this text

Note: trees from the golang.org/toolchain module lack api/ and test/, so
run.bash's API check and test/ directory tests cannot run on them, on either
side.

Exit codes: 0 no failure specific to gohot, 2 usage, 5 the stock build
failed, 6 gohot-only failures.
USAGE
}

goroot="" stock_src="" work="" run_re=""
while [ $# -gt 0 ]; do
	case $1 in
	--goroot | --stock-src | --work | --run)
		[ $# -ge 2 ] || die "$EX_USAGE" "$1 needs a value"
		case $1 in --goroot) goroot=$2 ;; --stock-src) stock_src=$2 ;; --work) work=$2 ;; --run) run_re=$2 ;; esac
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
[ -x "$goroot/bin/go" ] || die "$EX_USAGE" "--goroot must be a built GOROOT (see --help)"
[ -d "$stock_src/src" ] || die "$EX_USAGE" "--stock-src must be a Go tree (see --help)"
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/gohot-full.XXXXXX")
	trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
fi
mkdir -p "$work"

step_start "build stock Go from $stock_src"
rm -rf "$work/stock"
mkdir "$work/stock"
copy_go_tree "$stock_src" "$work/stock"
(cd "$work/stock/src" && GOROOT_BOOTSTRAP="$goroot" GOTOOLCHAIN=local GOFLAGS='' bash make.bash) >"$work/stock-make.log" 2>&1 ||
	{ tail -n 20 "$work/stock-make.log" >&2; die "$EX_BUILD" "building stock Go from $stock_src failed"; }
step_done

# cache ROOT: the build cache for ROOT's runs. Each toolchain gets its own,
# empty at the start: the go command's cache keys for standard packages
# leave out GOROOT, so entries another copy of the same toolchain made
# (the build directory before it was installed) name files that are gone.
cache() {
	if [ "$1" = "$goroot" ]; then
		printf '%s/gocache-gohot' "$work"
	else
		printf '%s/gocache-stock' "$work"
	fi
}

# failures ROOT LOG: run.bash on ROOT; print "package<TAB>test" for each failure.
failures() {
	local root=$1 log=$2
	rm -rf "$(cache "$root")"
	(cd "$root/src" && GOROOT="$root" PATH="$root/bin:$PATH" GOTOOLCHAIN=local GOFLAGS='' GOHOT_PKGCHECK='' GOCACHE="$(cache "$root")" \
		bash run.bash --no-rebuild -k -json ${run_re:+-run "$run_re"}) >"$log" 2>&1 || true
	# No failure at all is the good case: grep finding nothing is not an error.
	{ grep '"Action":"fail"' "$log" || true; } |
		sed -n 's/.*"Package":"\([^"]*\)".*/\1/p' | sort -u | while read -r pkg; do
		{ grep '"Action":"fail"' "$log" || true; } | grep -F "\"Package\":\"$pkg\"" |
			sed -n 's/.*"Test":"\([^"/]*\).*/\1/p' | sort -u | sed "s|^|$pkg\t|"
		printf '%s\t\n' "$pkg"
	done | sort -u
}

# rerun ROOT PKG TEST: whether PKG (TEST, or the whole package) passes now.
rerun() {
	local root=$1 pkg=$2 test=$3 args=(-count=1 -short)
	[ -n "$test" ] && args+=(-run "^$test\$")
	(cd "$root/src" && GOROOT="$root" PATH="$root/bin:$PATH" GOTOOLCHAIN=local GOFLAGS='' GOHOT_PKGCHECK='' GOCACHE="$(cache "$root")" \
		"$root/bin/go" test "${args[@]}" "$pkg") >/dev/null 2>&1
}

# ran LOG NAME: a run.bash that reported no test result at all did not run.
ran() {
	grep -q '"Action":"\(pass\|fail\|skip\)"' "$1" ||
		die "$EX_VERIFY" "run.bash on $2 reported no test results (log: $1)"
	log "$2: $(grep -c '"Action":"pass","Package":"[^"]*","Elapsed"' "$1") packages passed, $(wc -l <"${1%.json}.fail") failures"
}

step_start "run.bash on gohot ($goroot)"
failures "$goroot" "$work/gohot.json" >"$work/gohot.fail"
ran "$work/gohot.json" gohot
step_done
step_start "run.bash on stock ($work/stock)"
failures "$work/stock" "$work/stock.json" >"$work/stock.fail"
ran "$work/stock.json" stock
step_done

log "run.bash failures: gohot $(wc -l <"$work/gohot.fail"), stock $(wc -l <"$work/stock.fail")"
blame=0
while IFS=$'\t' read -r pkg test; do
	[ -n "$pkg" ] || continue
	what="$pkg${test:+ $test}"
	if grep -qxF "$pkg	$test" "$work/stock.fail"; then
		log "fails on stock too (not gohot's): $what"
		continue
	fi
	if rerun "$goroot" "$pkg" "$test"; then
		log "flaky (passed on re-run): $what"
		continue
	fi
	if ! rerun "$work/stock" "$pkg" "$test"; then
		log "fails on stock when re-run too (not gohot's): $what"
		continue
	fi
	log "GOHOT-ONLY FAILURE: $what"
	blame=1
done <"$work/gohot.fail"
[ "$blame" = 0 ] || die "$EX_VERIFY" "run.bash has failures only the gohot toolchain shows (logs: $work)"
log "run.bash: no failure specific to gohot"
