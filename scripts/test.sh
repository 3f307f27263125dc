#!/usr/bin/env bash
# test.sh: every test of the project, on a gohot toolchain it builds if needed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/test.sh [--go 1.X.Y] [-- go test flags...]

1. checks that the patch series applies and matches toolchain/versions.conf;
2. builds (or reuses from the cache) the gohot toolchain with
   scripts/build-toolchain.sh, verify level quick;
3. runs shellcheck on scripts/ (installing it with apt-get when it can), and go vet;
4. runs go test ./... with the gohot toolchain. The testscript suite finds
   the toolchains through GOHOT_GOROOT (the gohot build) and
   GOHOT_STOCK_GOROOT (stock Go of the same release); both are set here;
5. runs the examples' tests (the arena reloads 100 versions under load)
   and examples/basic/run.sh.

  --go 1.X.Y   test on gohot for that release (default: the Go on PATH)
  -h, --help   this text

Exit codes: 0 all passed, 1 tests failed, others as build-toolchain.sh.
USAGE
}

build_args=() test_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version, e.g. --go 1.26.8"
		build_args+=(--go "$2")
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	--)
		shift
		test_args=("$@")
		break
		;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done

cd "$GOHOT_ROOT"
t0=$SECONDS
step_start "check the patch series"
"$GOHOT_ROOT/scripts/check-patches.sh"
step_done

step_start "gohot toolchain"
"$GOHOT_ROOT/scripts/build-toolchain.sh" "${build_args[@]}"
step_done

# The toolchain the build script just installed, and the stock Go it was
# built from.
env_args=()
[ "${#build_args[@]}" -gt 0 ] && env_args=(--go "${build_args[1]}")
eval "$("$GOHOT_ROOT/scripts/env.sh" "${env_args[@]}")"
info="$GOROOT.env"
stock=$(awk -F= '$1 == "stock_goroot" { print $2 }' "$info")
export GOHOT_GOROOT=$GOROOT
export GOHOT_STOCK_GOROOT=${GOHOT_STOCK_GOROOT:-$stock}
log "gohot: $GOHOT_GOROOT ($(go version))"
log "stock: $GOHOT_STOCK_GOROOT"

# The script lint needs shellcheck: installed from Debian's packages when
# missing and this user can, otherwise the lint is skipped, loudly.
if ! command -v shellcheck >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	step_start "apt-get install shellcheck"
	mkdir -p "$(gohot_cache)"
	apt_log="$(gohot_cache)/apt-shellcheck.log"
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck ||
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck; }; } >"$apt_log" 2>&1 ||
		log "apt-get install shellcheck failed (log: $apt_log)"
	step_done
fi
if command -v shellcheck >/dev/null 2>&1; then
	step_start "shellcheck scripts/"
	run shellcheck scripts/*.sh .ci/run
	step_done
else
	log "WARNING: shellcheck is not installed and could not be: the script lint did NOT run (apt-get install shellcheck)"
fi

step_start "go vet ./..."
run go vet ./...
step_done

step_start "go test ./..."
run go test -count=1 "${test_args[@]}" ./...
step_done

# The examples are modules of their own; the arena's test reloads 100
# versions under load, the basic example must show v1's code and v0's state.
for ex in examples/*/; do
	step_start "examples: go vet and go test in $ex"
	(cd "$ex" && run go vet ./... && run go test -count=1 "${test_args[@]}" ./...)
	step_done
done
step_start "examples/basic/run.sh"
out=$(examples/basic/run.sh 2>&1)
printf '%s\n' "$out"
grep -q '^direct call from the current version: Foo v1 (visit 3)$' <<<"$out" ||
	die 1 "examples/basic/run.sh did not show v1's Foo over v0's state"
grep -q '^closure stored by v0: *Foo v0 (visit 4)$' <<<"$out" ||
	die 1 "examples/basic/run.sh did not show the closure v0 stored running v0"
step_done
log "all tests passed in $((SECONDS - t0))s"
