#!/usr/bin/env bash
# test-arch.sh: gohot for another architecture, built here and tested under qemu-user.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/test-arch.sh --arch arm64 [--go 1.X.Y]

Proves gohot on linux/arm64 from this linux/amd64 machine, through
qemu-user registered with binfmt_misc (the kernel then runs arm64 programs
as if they were native, so go test and the tests' own hosts run unchanged):

1. sets up the cross C compiler, qemu-user and its binfmt_misc handler
   (apt-get when root; otherwise it says what to install);
2. builds (or reuses) the amd64 gohot toolchain of the release, which
   cross-builds for arm64 like any Go toolchain;
3. builds the linux/arm64 toolchain with build-toolchain.sh --arch arm64
   (cross make.bash -distpack) and quick-verifies it under qemu: reload
   smoke test and cmd/cgo/internal/testplugin non-short;
4. runs, for arm64, the host-side packages' tests (reload, manifest,
   compat) and the testscript suite on gohot and on stock Go. The suite's
   redirect-mode run is skipped there: the runtime refuses
   GOHOT_REDIRECT=on off linux/amd64 (patch 0011's TestRedirect proves it).

  --arch arm64   the architecture (the only one supported)
  --go 1.X.Y     the Go release (default: the Go on PATH)
  -h, --help     this text

Exit codes: 0 all passed, 1 tests failed, others as build-toolchain.sh.
USAGE
}

arch="" build_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--arch)
		[ $# -ge 2 ] || die "$EX_USAGE" "--arch needs an architecture: arm64"
		arch=$2
		shift 2
		;;
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version, e.g. --go 1.26.8"
		build_args+=(--go "${2#go}")
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
[ -n "$arch" ] || die "$EX_USAGE" "--arch is required: arm64"

cd "$GOHOT_ROOT"
t0=$SECONDS
step_start "cross toolchain and qemu-user for linux/$arch"
cross_setup "$arch"
step_done

step_start "gohot toolchain for this machine"
"$GOHOT_ROOT/scripts/build-toolchain.sh" ${build_args[@]+"${build_args[@]}"}
step_done

step_start "gohot toolchain for linux/$arch (verified under qemu)"
"$GOHOT_ROOT/scripts/build-toolchain.sh" ${build_args[@]+"${build_args[@]}"} --arch "$arch"
step_done

eval "$("$GOHOT_ROOT/scripts/env.sh" ${build_args[@]+"${build_args[@]}"})"
stock=$(awk -F= '$1 == "stock_goroot" { print $2 }' "$GOROOT.env")
export GOHOT_GOROOT=$GOROOT GOHOT_STOCK_GOROOT=${GOHOT_STOCK_GOROOT:-$stock}
log "gohot: $GOHOT_GOROOT ($(go version)), building for linux/$arch"
log "stock: $GOHOT_STOCK_GOROOT"

step_start "go test ./reload ./manifest ./compat for linux/$arch"
# The test binaries are arm64: the kernel hands them to qemu. cgo is off
# by default when cross-compiling, and without it package plugin is a stub.
run env GOARCH="$arch" CC="$CROSS_CC" CGO_ENABLED=1 QEMU_LD_PREFIX="$CROSS_LD_PREFIX" \
	go test -count=1 ./reload/... ./manifest/... ./compat/...
step_done

step_start "testscript suite for linux/$arch"
# The suite's own binary stays amd64; the scripts build for arm64.
suite_log="$(gohot_cache)/test-arch-$arch-suite.log"
log "+ go test -v ./testscripts (GOHOT_TEST_GOARCH=$arch; log: $suite_log)"
if ! env GOHOT_TEST_GOARCH="$arch" GOHOT_TEST_CC="$CROSS_CC" QEMU_LD_PREFIX="$CROSS_LD_PREFIX" \
	go test -count=1 -timeout 90m -v -run '^(TestGohot|TestGohotRedirect|TestStock)$' ./testscripts >"$suite_log" 2>&1; then
	grep -E '^ *--- FAIL' "$suite_log" >&2 || true
	tail -n 40 "$suite_log" >&2
	die 1 "the testscript suite failed for linux/$arch (log: $suite_log)"
fi
# What ran: each run's verdict, and the skips with their reasons.
grep -E '^--- |^ *--- SKIP|^ +suite_test.go:[0-9]+: redirect' "$suite_log" || true
step_done
log "linux/$arch: all tests passed in $((SECONDS - t0))s"
