#!/usr/bin/env bash
# build-toolchain.sh: build, verify and package a gohot toolchain.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/build-toolchain.sh [options]

Builds a gohot toolchain: Go with the patch series in patches/ applied, so
plugin.Open accepts a plugin whose copy of a user package changed.

Steps: source -> patch -> make.bash -> verify -> package -> install.
Every step builds in a temporary directory; nothing lands in toolchain/ until
the build is verified.

Source (pick one; default: the Go on PATH):
  (no option)       copy the source of the Go on PATH from its GOROOT (offline)
  --go 1.X.Y        a Go release the series supports (min_go in
                    toolchain/versions.conf: 1.26), downloaded as the module
                    golang.org/toolchain@v0.0.1-go1.X.Y.<os>-<arch> through
                    GOPROXY and checked against the checksum database
  --src DIR         a Go tree you have (a GOROOT holding VERSION and src/)

Options:
  --arch arm64      build the linux/arm64 toolchain on this linux/amd64
                      machine (cross make.bash) and verify it under
                      qemu-user (smoke test and testplugin; not the runtime
                      tests, which would test the emulator): the archive and
                      proxy module land beside the amd64 ones; no GOROOT is
                      installed. Installs the cross
                      compiler and qemu with apt-get when root.
  --verify LEVEL    quick (default): reload smoke test, non-short
                      cmd/cgo/internal/testplugin, short runtime tests
                    full: quick, then run.bash on the patched and on the
                      stock toolchain; only failures the stock toolchain
                      does not have (after one re-run on both) fail the build
                    none: no tests (the result is marked unverified)
  --force           rebuild even if this Go version and series are built
  --fetch-only      with --go: put the release's source in the cache, build
                    nothing (what check-patches.sh --all needs)
  -n, --dry-run     print what would be done, change nothing
  -h, --help        this text

Output (for Go 1.26.8 and suffix gohot.N from toolchain/versions.conf):
  toolchain/go1.26.8-gohot.N/                         the GOROOT
  toolchain/dist/go1.26.8-gohot.N.linux-amd64.tar.gz  official go/ layout
  toolchain/dist/go1.26.8-gohot.N.linux-amd64.tar.gz.sha256
  toolchain/proxy/                                    a file:// GOPROXY that
                    serves golang.org/toolchain for GOTOOLCHAIN=go1.26.8-gohot.N
  toolchain/go1.26.8-gohot.N.env                      what was built, for env.sh
With --arch arm64: toolchain/dist/go1.26.8-gohot.N.linux-arm64.tar.gz (and
  .sha256), the linux-arm64 module in toolchain/proxy/, and
  toolchain/go1.26.8-gohot.N.linux-arm64.env.

Builds are cached in $GOHOT_CACHE (default ~/.cache/gohot), keyed by Go
version and series hash: a re-run with nothing changed takes seconds.

Environment: GOHOT_CACHE, GOPROXY (for --go), CC (C compiler for cgo).

Exit codes: 0 ok, 2 usage, 3 source not available, 4 a patch does not apply,
5 build failed, 6 verification failed, 7 packaging failed, 8 environment
(missing C compiler, disk full, unsupported version).
USAGE
}

want_go="" src_dir="" verify=quick force=0 dry=0 fetch_only=0 arch=""
while [ $# -gt 0 ]; do
	case $1 in
	--arch)
		[ $# -ge 2 ] || die "$EX_USAGE" "--arch needs an architecture: arm64"
		arch=$2
		shift 2
		;;
	--arch=*) arch=${1#--arch=} && shift ;;
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version, e.g. --go 1.26.8"
		want_go=${2#go}
		shift 2
		;;
	--go=*) want_go=${1#--go=} want_go=${want_go#go} && shift ;;
	--src)
		[ $# -ge 2 ] || die "$EX_USAGE" "--src needs a directory"
		src_dir=$2
		shift 2
		;;
	--src=*) src_dir=${1#--src=} && shift ;;
	--verify)
		[ $# -ge 2 ] || die "$EX_USAGE" "--verify needs quick, full or none"
		verify=$2
		shift 2
		;;
	--verify=*) verify=${1#--verify=} && shift ;;
	--force) force=1 && shift ;;
	--fetch-only) fetch_only=1 && shift ;;
	-n | --dry-run) dry=1 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
case $verify in quick | full | none) ;; *) die "$EX_USAGE" "--verify takes quick, full or none, not '$verify'" ;; esac
[ -z "$want_go" ] || [ -z "$src_dir" ] || die "$EX_USAGE" "--go and --src exclude each other"

goos=linux goarch=amd64
if command -v go >/dev/null 2>&1; then
	goos=$(GOTOOLCHAIN=local go env GOHOSTOS) goarch=$(GOTOOLCHAIN=local go env GOHOSTARCH)
fi
[ "$goos/$goarch" = linux/amd64 ] || log "warning: only linux/amd64 is tested; building for $goos/$goarch"
# The architecture the toolchain is for: the host's, or --arch (cross).
target=${arch:-$goarch}
cross=0
if [ "$target" != "$goarch" ]; then
	if [ "$goos/$goarch" != linux/amd64 ] || [ "$target" != arm64 ]; then
		die "$EX_USAGE" "--arch $target: gohot cross-builds linux/arm64 from linux/amd64 only"
	fi
	cross=1
fi

# --- Resolve the source and the Go version -------------------------------------
path_goroot=""
if command -v go >/dev/null 2>&1; then
	path_goroot=$(GOTOOLCHAIN=local go env GOROOT)
fi
if [ -n "$src_dir" ]; then
	if [ ! -d "$src_dir/src" ] || [ ! -f "$src_dir/VERSION" ]; then
		die "$EX_FETCH" "--src $src_dir is not a Go tree (it needs VERSION and src/)"
	fi
	src_dir=$(cd "$src_dir" && pwd)
	go_version=$(goroot_version "$src_dir")
	source_kind="tree $src_dir"
elif [ -n "$want_go" ]; then
	[[ $want_go =~ ^1\.[0-9]+\.[0-9]+$ ]] ||
		die "$EX_USAGE" "--go wants a release like 1.26.8, not '$want_go'"
	go_version=$want_go
	source_kind="module golang.org/toolchain@v0.0.1-go$go_version.$goos-$goarch"
else
	[ -n "$path_goroot" ] || die "$EX_ENV" "no go on PATH: install Go, or pass --go 1.X.Y or --src DIR"
	[ -d "$path_goroot/src/runtime" ] || die "$EX_FETCH" "the Go on PATH ($path_goroot) has no source tree: pass --go $(goroot_version "$path_goroot")"
	src_dir=$path_goroot
	go_version=$(goroot_version "$src_dir")
	source_kind="the Go on PATH ($src_dir)"
fi
[[ $go_version =~ ^1\.[0-9]+\.[0-9]+$ ]] || die "$EX_ENV" "cannot use Go '$go_version': gohot builds releases (1.X.Y)"
minor=$(go_minor "$go_version")
min_go=$(conf min_go)
version_ge "$go_version" "$min_go" || die "$EX_ENV" "Go $go_version is older than $min_go, the oldest release gohot supports"
bootstrap_min=$(conf_bootstrap "$minor")
[ -n "$bootstrap_min" ] || die "$EX_ENV" "Go $minor is not in toolchain/versions.conf (supported: $(conf_minors | tr '\n' ' '))"

suffix=$(conf suffix)
name="go$go_version-$suffix"
series=$(series_sha256 "$go_version")
key="$go_version-${series:0:16}"
cache=$(gohot_cache)
out_dir="$GOHOT_ROOT/toolchain"
installed="$out_dir/$name"
info_file="$out_dir/$name.env"
if [ "$cross" = 1 ]; then
	# Another architecture's build is its own cache entry; it installs
	# the archive and the proxy module, not a GOROOT this machine would
	# run.
	key="$key-$goos-$target"
	info_file="$out_dir/$name.$goos-$target.env"
fi
build_dir="$cache/builds/$key"

log "gohot $name for $goos/$target from $source_kind (series ${series:0:16}, verify $verify)"
if [ "$dry" = 1 ]; then
	what=$installed
	[ "$cross" = 0 ] || what="$out_dir/dist/$name.$goos-$target.tar.gz and its proxy module"
	log "dry run: would build in $cache/tmp, keep the result in $build_dir and install $what"
	exit 0
fi

# --- Reuse a finished build ------------------------------------------------------
# A build is reusable when its stamp names this key and a verify level at least
# as strong as the one asked for.
level_rank() { case $1 in none) echo 0 ;; quick) echo 1 ;; full) echo 2 ;; esac }
stamp_ok() { # stamp file
	[ -f "$1" ] || return 1
	local k v
	k=$(awk -F= '$1 == "key" { print $2 }' "$1")
	v=$(awk -F= '$1 == "verify" { print $2 }' "$1")
	[ "$k" = "$key" ] && [ -n "$v" ] && [ "$(level_rank "$v")" -ge "$(level_rank "$verify")" ]
}

tmp=""
cleanup() {
	local rc=$?
	if [ -n "$tmp" ] && [ -d "$tmp" ]; then
		chmod -R u+w "$tmp" 2>/dev/null || true
		rm -rf "$tmp"
	fi
	if [ "$rc" -ne 0 ]; then
		log "nothing was installed in toolchain/"
	fi
}
trap cleanup EXIT
trap 'die 130 "interrupted: nothing was installed"' INT TERM

# install_from_cache copies a finished build into toolchain/ (hard links where
# the filesystem allows), each part renamed into place when complete.
install_from_cache() {
	step_start "install $name for $goos/$target into toolchain/"
	mkdir -p "$out_dir/dist" "$out_dir/proxy"
	local stage
	stage=$(mktemp -d "$out_dir/.install.XXXXXX")
	tmp=$stage
	if [ "$cross" = 0 ]; then
		cp -al "$build_dir/go" "$stage/go" 2>/dev/null || cp -a "$build_dir/go" "$stage/go"
		if [ -e "$installed" ]; then
			chmod -R u+w "$installed"
			mv "$installed" "$stage/old"
		fi
		mv "$stage/go" "$installed"
	fi
	local f
	for f in "$build_dir"/dist/*; do
		cp -f "$f" "$stage/part" && mv -f "$stage/part" "$out_dir/dist/$(basename "$f")"
	done
	local at="$out_dir/proxy/golang.org/toolchain/@v"
	mkdir -p "$at"
	for f in "$build_dir"/proxy/golang.org/toolchain/@v/*; do
		cp -f "$f" "$stage/part" && mv -f "$stage/part" "$at/$(basename "$f")"
	done
	# The proxy's version list covers every toolchain built so far.
	(cd "$at" && find . -name '*.info' | sed 's|^\./||; s|\.info$||' | LC_ALL=C sort) >"$stage/list"
	mv -f "$stage/list" "$at/list"
	cp -f "$build_dir/stamp" "$stage/env" && mv -f "$stage/env" "$info_file"
	step_done
}

if [ "$fetch_only" = 1 ] && [ -z "$want_go" ]; then
	die "$EX_USAGE" "--fetch-only needs --go 1.X.Y: the release to fetch"
fi
if [ "$cross" = 1 ]; then
	built_file="$out_dir/dist/$name.$goos-$target.tar.gz"
else
	built_file="$installed/bin/go"
fi
if [ "$fetch_only" = 0 ] && [ "$force" = 0 ] && stamp_ok "$info_file" && [ -e "$built_file" ]; then
	log "$name for $goos/$target is built and verified ($(awk -F= '$1 == "verify" { print $2 }' "$info_file")): $built_file (--force rebuilds)"
	exit 0
fi
if [ "$fetch_only" = 0 ] && [ "$force" = 0 ] && stamp_ok "$build_dir/stamp"; then
	log "reusing the cached build $build_dir"
	install_from_cache
	log "done: $installed"
	exit 0
fi

# --- Environment checks ----------------------------------------------------------
if [ -n "${CC:-}" ]; then
	command -v "${CC%% *}" >/dev/null 2>&1 ||
		die "$EX_ENV" "CC=$CC is not a command: plugins need cgo; set CC to an installed C compiler"
elif ! command -v gcc >/dev/null 2>&1 && ! command -v cc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
	die "$EX_ENV" "no C compiler (gcc, cc or clang): plugins need cgo; install one (apt-get install gcc) or set CC"
fi
mkdir -p "$cache/tmp" "$cache/stock" "$cache/builds" ||
	die "$EX_ENV" "cannot create the cache $cache: set GOHOT_CACHE to a writable directory"
free_kb=$(df -Pk "$cache" | awk 'NR == 2 { print $4 }')
[ "${free_kb:-0}" -ge $((3 * 1024 * 1024)) ] ||
	die "$EX_ENV" "only $((free_kb / 1024)) MiB free in $cache: a build needs 3 GiB; free space or set GOHOT_CACHE"
cross_env=()
if [ "$cross" = 1 ]; then
	step_start "cross toolchain and qemu-user for linux/$target"
	cross_setup "$target"
	# The amd64 go of the cross tree builds for arm64 with these; the
	# kernel runs what it builds through qemu (binfmt_misc).
	# cgo is off by default when cross-compiling: plugins need it on.
	cross_env=(GOARCH="$target" CC="$CROSS_CC" CGO_ENABLED=1 QEMU_LD_PREFIX="$CROSS_LD_PREFIX")
	step_done
fi
tmp=$(mktemp -d "$cache/tmp/build-$key.XXXXXX")
t0=$SECONDS

# --- Step 1: source -------------------------------------------------------------
step_start "source: $source_kind"
stock_goroot=""
if [ -z "$src_dir" ]; then
	mod="golang.org/toolchain@v0.0.1-go$go_version.$goos-$goarch"
	stock_goroot="$cache/stock/go$go_version"
	if [ ! -f "$stock_goroot/.gohot-complete" ]; then
		log "+ go mod download -json $mod (GOPROXY=${GOPROXY:-$(GOTOOLCHAIN=local go env GOPROXY 2>/dev/null || true)})"
		command -v go >/dev/null 2>&1 || die "$EX_ENV" "--go needs a go command on PATH to download through the module proxy"
		if ! dl=$(cd "$tmp" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$mod" 2>&1); then
			reason=$(printf '%s\n' "$dl" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | head -n1)
			[ -n "$reason" ] || reason=$(printf '%s\n' "$dl" | tail -n1)
			case $reason in
			*"unknown revision"* | *"404"* | *"410"* | *"invalid version"* | *"not available"*)
				die "$EX_FETCH" "Go $go_version is not a release on the module proxy (go.dev/dl lists releases): $reason" ;;
			*) die "$EX_FETCH" "cannot download $mod (check the network and GOPROXY): $reason" ;;
			esac
		fi
		mod_dir=$(printf '%s\n' "$dl" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
		[ -d "$mod_dir/src" ] || die "$EX_FETCH" "$mod has no src/ directory: not a Go toolchain module"
		# Module zips drop file modes: restore the executables so the
		# stock toolchain can bootstrap the build and serve as the control.
		rm -rf "$stock_goroot.tmp"
		run cp -a "$mod_dir" "$stock_goroot.tmp"
		chmod -R u+w "$stock_goroot.tmp"
		find "$stock_goroot.tmp/bin" "$stock_goroot.tmp/pkg/tool" -type f -exec chmod +x {} +
		find "$stock_goroot.tmp/src" -name '*.bash' -exec chmod +x {} +
		# A module zip cannot hold nested modules, so distpack renamed every
		# go.mod to _go.mod; put them back to get a GOROOT as released.
		find "$stock_goroot.tmp" -name _go.mod | while IFS= read -r f; do
			[ -e "${f%_go.mod}go.mod" ] || mv "$f" "${f%_go.mod}go.mod"
		done
		touch "$stock_goroot.tmp/.gohot-complete"
		rm -rf "$stock_goroot" && mv "$stock_goroot.tmp" "$stock_goroot"
	fi
	src_dir=$stock_goroot
elif [ "$(goroot_version "$path_goroot" 2>/dev/null)" = "$go_version" ] && [ -x "$path_goroot/bin/go" ]; then
	stock_goroot=$path_goroot
fi
mkdir "$tmp/go"
# Everything but the binaries: make.bash rebuilds bin/ and pkg/.
copy_go_tree "$src_dir" "$tmp/go"
orig_version=$(head -n1 "$tmp/go/VERSION")
case $orig_version in go"$go_version") ;; *) die "$EX_FETCH" "$src_dir/VERSION says '$orig_version': already patched or not a release tree" ;; esac
step_done
if [ "$fetch_only" = 1 ]; then
	log "Go $go_version is in the cache: $src_dir"
	exit 0
fi

# --- Step 2: apply the series --------------------------------------------------
step_start "apply $(patch_files "$go_version" | wc -l) patches"
while IFS= read -r p; do
	log "+ git apply ${p#"$GOHOT_ROOT"/}"
	if ! out=$(apply_patch "$tmp/go" "$p"); then
		die "$EX_PATCH" "patch ${p#"$GOHOT_ROOT"/} does not apply to Go $go_version: $(printf '%s\n' "$out" | head -n1) (see patches/README.md to refresh the series)"
	fi
	[ -z "$out" ] || log "  $out"
done < <(patch_files "$go_version")
# VERSION with the suffix, before make.bash, so go version, runtime.Version()
# and the packaged archives all carry it.
{
	printf '%s\n' "$name"
	tail -n +2 "$tmp/go/VERSION"
} >"$tmp/VERSION" && mv "$tmp/VERSION" "$tmp/go/VERSION"
step_done

# --- Step 3: make.bash -------------------------------------------------------------
if [ -n "$stock_goroot" ]; then
	bootstrap=$stock_goroot
	log "bootstrap: stock Go $go_version ($bootstrap)"
else
	[ -n "$path_goroot" ] || die "$EX_ENV" "no bootstrap Go: put Go >= $bootstrap_min on PATH"
	bootstrap=$path_goroot
	log "bootstrap: the Go on PATH, $(goroot_version "$bootstrap") ($bootstrap); no stock Go $go_version at hand"
fi
boot_version=$(goroot_version "$bootstrap")
version_ge "$boot_version" "$bootstrap_min" ||
	die "$EX_ENV" "Go $go_version needs Go >= $bootstrap_min to bootstrap, $bootstrap is $boot_version: pass --go to fetch a stock toolchain"
step_start "make.bash -distpack (log: $tmp/make.log)"
# make.bash's own phase lines are the progress lines; all of it goes to the log.
make_progress() {
	local line
	while IFS= read -r line; do
		case $line in Building* | Packaging*) log "    $line" ;; esac
	done
}
# CGO_ENABLED stays unset: make.bash bakes its value into the toolchain as
# the default, and an official build leaves the default to detection (cgo
# on when a C compiler is found), which cmd/go's autocgo test checks.
# A cross build (GOARCH set) makes bin/go for this machine and the target's
# commands in bin/linux_arm64, and -distpack packs the target's. CC_FOR_TARGET
# stays unset: the packed toolchain's default C compiler is the target's gcc.
make_arch=()
[ "$cross" = 0 ] || make_arch=(GOOS="$goos" GOARCH="$target")
if ! (cd "$tmp/go/src" && env ${make_arch[@]+"${make_arch[@]}"} GOROOT_BOOTSTRAP="$bootstrap" GOTOOLCHAIN=local GOFLAGS='' \
	bash make.bash -distpack 2>&1) | tee "$tmp/make.log" | make_progress; then
	tail -n 25 "$tmp/make.log" >&2
	if [ "$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')" -lt 102400 ]; then
		die "$EX_ENV" "make.bash failed: the disk is full ($cache)"
	fi
	die "$EX_BUILD" "make.bash failed for $name (last lines above)"
fi
got=$("$tmp/go/bin/go" version)
case $got in "go version $name "*) ;; *) die "$EX_BUILD" "the built go reports '$got', want $name" ;; esac
step_done

# --- Step 4: verify ----------------------------------------------------------------
# Tests run from the tree's src/, so no go.mod around (this repository's)
# gets a say. They use a build cache of their own: the go command's cache
# keys for standard packages leave out GOROOT, so entries made here, which
# name files under $tmp, would be reused by the installed toolchain after
# the rename, and go vet would look for the cgo sources of plugin or net
# under a directory that no longer exists.
verify_env=(env GOROOT="$tmp/go" PATH="$tmp/go/bin:$PATH" GOTOOLCHAIN=local GOFLAGS='' GOHOT_PKGCHECK='' GOCACHE="$tmp/gocache" ${cross_env[@]+"${cross_env[@]}"})
if [ "$verify" != none ]; then
	step_start "verify: reload smoke test"
	(cd "$tmp" && "${verify_env[@]}" "$GOHOT_ROOT/scripts/smoke-test.sh" --goroot "$tmp/go") >"$tmp/smoke.log" 2>&1 ||
		{ tail -n 20 "$tmp/smoke.log" >&2; die "$EX_VERIFY" "reload smoke test failed on $name (output above)"; }
	step_done
	step_start "verify: go test cmd/cgo/internal/testplugin (non-short)"
	(cd "$tmp/go/src" && "${verify_env[@]}" go test -count=1 -v cmd/cgo/internal/testplugin) >"$tmp/testplugin.log" 2>&1 ||
		{ tail -n 30 "$tmp/testplugin.log" >&2; die "$EX_VERIFY" "cmd/cgo/internal/testplugin failed on $name (output above)"; }
	# The suite skips every test when it cannot build plugins (no cgo, no
	# plugin build mode): an ok that ran nothing is a failed verify.
	if reason=$(grep -m1 -oE 'cgo not supported|plugin build mode not supported|short mode and .GO_BUILDER_NAME not set' "$tmp/testplugin.log"); then
		die "$EX_VERIFY" "cmd/cgo/internal/testplugin ran no test on $name: $reason"
	fi
	log "    $(grep -c '^--- PASS' "$tmp/testplugin.log") tests passed, $(grep -c '^--- SKIP' "$tmp/testplugin.log") skipped"
	step_done
	if [ "$cross" = 1 ]; then
		# Under qemu-user the runtime's signal, preemption and timing tests
		# test the emulator; the series' runtime changes have their tests
		# in testplugin, which ran above.
		log "verify: go test -short runtime is not run under qemu-user (linux/$target)"
	else
		step_start "verify: go test -short runtime"
		(cd "$tmp/go/src" && "${verify_env[@]}" go test -count=1 -short runtime) >"$tmp/runtime.log" 2>&1 ||
			{ tail -n 30 "$tmp/runtime.log" >&2; die "$EX_VERIFY" "runtime tests failed on $name (output above)"; }
		step_done
	fi
fi
if [ "$verify" = full ] && [ "$cross" = 1 ]; then
	die "$EX_USAGE" "--verify full runs run.bash natively: use quick with --arch $target"
fi
if [ "$verify" = full ]; then
	step_start "verify: run.bash, patched vs stock"
	"$GOHOT_ROOT/scripts/verify-full.sh" --goroot "$tmp/go" --stock-src "${stock_goroot:-$src_dir}" --work "$tmp/full" ||
		die "$EX_VERIFY" "run.bash found failures on $name that stock Go $go_version does not have (see above)"
	rm -rf "$tmp/full"
	step_done
fi
rm -rf "$tmp/gocache"

# --- Step 5: package -----------------------------------------------------------------
step_start "package"
pkgdir="$tmp/go/pkg/distpack"
archive="$name.$goos-$target.tar.gz"
modbase="v0.0.1-$name.$goos-$target"
for f in "$archive" "$modbase.zip" "$modbase.mod" "$modbase.info"; do
	[ -f "$pkgdir/$f" ] || die "$EX_PACKAGE" "make.bash -distpack did not write $f"
done
top=$(tar -tzf "$pkgdir/$archive" | cut -d/ -f1 | sort -u)
[ "$top" = go ] || die "$EX_PACKAGE" "$archive does not have a single top-level go/ directory"
[ "$(tar -xzOf "$pkgdir/$archive" go/VERSION | head -n1)" = "$name" ] ||
	die "$EX_PACKAGE" "$archive does not carry VERSION $name"
if [ "$cross" = 1 ]; then
	# The packed toolchain runs: its go, under qemu, names itself.
	mkdir "$tmp/unpacked"
	tar -xzf "$pkgdir/$archive" -C "$tmp/unpacked"
	got=$(env GOROOT="$tmp/unpacked/go" QEMU_LD_PREFIX="$CROSS_LD_PREFIX" "$tmp/unpacked/go/bin/go" version 2>&1) || true
	[ "$got" = "go version $name $goos/$target" ] ||
		die "$EX_PACKAGE" "the packed $goos/$target go reports '$got', want go version $name $goos/$target"
	rm -rf "$tmp/unpacked"
	log "    the packed go runs under qemu: $got"
fi
mkdir -p "$tmp/result/dist" "$tmp/result/proxy/golang.org/toolchain/@v"
mv "$pkgdir/$archive" "$tmp/result/dist/"
(cd "$tmp/result/dist" && sha256sum "$archive" >"$archive.sha256")
for f in zip mod info; do
	mv "$pkgdir/$modbase.$f" "$tmp/result/proxy/golang.org/toolchain/@v/"
done
rm -rf "$pkgdir"
if [ "$cross" = 0 ]; then
	mv "$tmp/go" "$tmp/result/go"
fi
cat >"$tmp/result/stamp" <<STAMP
name=$name
goos=$goos
goarch=$target
go_version=$go_version
key=$key
series_sha256=$series
verify=$verify
source=$source_kind
stock_goroot=$stock_goroot
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$((SECONDS - t0))
STAMP
step_done

mkdir "$tmp/result/logs"
mv "$tmp"/*.log "$tmp/result/logs/"
# The cache entry appears whole or not at all.
rm -rf "$build_dir"
mv "$tmp/result" "$build_dir"
rm -rf "$tmp"
install_from_cache
log "done in $((SECONDS - t0))s: $installed"
log "switch a shell to it: eval \"\$(./scripts/env.sh)\""
