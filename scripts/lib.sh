# shellcheck shell=bash
# Shared helpers for gohot's scripts. Sourced, never run; every script that
# sources it runs in strict mode, and so does anything defined here.
set -euo pipefail

GOHOT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOHOT_CONF="$GOHOT_ROOT/toolchain/versions.conf"

# Exit codes that mean the same thing in every script.
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly EX_USAGE=2 EX_FETCH=3 EX_PATCH=4 EX_BUILD=5 EX_VERIFY=6 EX_PACKAGE=7 EX_ENV=8

log() { printf '[gohot %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# die CODE MESSAGE: the one line a user sees when something is wrong.
die() {
	local code=$1
	shift
	printf 'error: %s\n' "$*" >&2
	exit "$code"
}

# run CMD...: log a command, then run it.
run() {
	log "+ $*"
	"$@"
}

# Elapsed-time bookkeeping for progress lines.
step_start() {
	GOHOT_STEP=$1
	GOHOT_STEP_T0=$SECONDS
	log "==> $GOHOT_STEP"
}
step_done() {
	log "<== $GOHOT_STEP done in $((SECONDS - GOHOT_STEP_T0))s"
}

# conf KEY: a single-valued setting from toolchain/versions.conf.
conf() {
	local v
	v=$(awk -v k="$1" '$1 == k { print $2; exit }' "$GOHOT_CONF")
	[ -n "$v" ] || die "$EX_ENV" "toolchain/versions.conf has no '$1' setting"
	printf '%s\n' "$v"
}

# conf_bootstrap MINOR: the oldest Go that can bootstrap Go MINOR (e.g. 1.26).
conf_bootstrap() {
	awk -v m="$1" '$1 == "bootstrap" && $2 == m { print $3; exit }' "$GOHOT_CONF"
}

# conf_minors: every Go minor the series supports, oldest first.
conf_minors() {
	awk '$1 == "bootstrap" { print $2 }' "$GOHOT_CONF"
}

# patch_files [VERSION]: the series in the order it is applied. For a Go
# version, patches/go<minor>/NAME replaces patches/NAME (a variant for a
# release whose tree needs a different change).
patch_files() {
	local minor="" f b
	if [ $# -ge 1 ]; then
		minor=$(go_minor "$1")
	fi
	# One path per line, read whole: the checkout's path may hold spaces.
	while IFS= read -r f; do
		b=$(basename "$f")
		if [ -n "$minor" ] && [ -f "$GOHOT_ROOT/patches/go$minor/$b" ]; then
			printf '%s\n' "$GOHOT_ROOT/patches/go$minor/$b"
		else
			printf '%s\n' "$f"
		fi
	done < <(find "$GOHOT_ROOT/patches" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
}

# all_patch_files: every patch, variants included.
all_patch_files() {
	(cd "$GOHOT_ROOT/patches" && find . -name '*.patch' | sed 's|^\./||' | LC_ALL=C sort)
}

# series_sha256 VERSION: a hash of the patches applied to Go VERSION
# (names and contents): the cache key of a build.
series_sha256() {
	local f
	while IFS= read -r f; do
		printf '%s\n' "${f#"$GOHOT_ROOT"/patches/}"
		cat "$f"
	done < <(patch_files "$1") | sha256sum | cut -d' ' -f1
}

# patches_sha256: a hash of every patch file, variants included: what
# toolchain/versions.conf records.
patches_sha256() {
	local f
	while IFS= read -r f; do
		printf '%s\n' "$f"
		cat "$GOHOT_ROOT/patches/$f"
	done < <(all_patch_files) | sha256sum | cut -d' ' -f1
}

# version_ge A B: whether Go version A (1.X.Y) is at least B.
version_ge() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# go_minor 1.26.8 -> 1.26
go_minor() {
	printf '%s\n' "$1" | cut -d. -f1,2
}

# goroot_version GOROOT: the Go version a GOROOT holds, without "go" or suffix.
goroot_version() {
	local v
	v=$(head -n1 "$1/VERSION" 2>/dev/null) || return 1
	v=${v#go}
	printf '%s\n' "${v%%-*}"
}

# copy_go_tree SRC DST: copies a Go source tree into the existing
# directory DST, without bin/ and pkg/ (make.bash rebuilds them) or the
# cache's completion marker, and makes it writable for patching.
copy_go_tree() {
	(cd "$1" && find . -mindepth 1 -maxdepth 1 ! -name bin ! -name pkg ! -name .gohot-complete -exec cp -a {} "$2/" \;)
	chmod -R u+w "$2"
}

gohot_cache() {
	printf '%s\n' "${GOHOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gohot}"
}

# cross_setup ARCH: makes this machine build for and run linux/ARCH (arm64)
# through qemu-user: the cross C compiler and C library, qemu-aarch64, and
# its binfmt_misc handler, so the kernel runs what a cross build makes as if
# it were native (go test runs test binaries, tests run the hosts they
# build). Installs the Debian packages when root with apt-get, and says what
# to do otherwise. Sets CROSS_CC and CROSS_LD_PREFIX.
cross_setup() {
	local arch=$1 triple qemu pkgs
	case $arch in
	arm64) triple=aarch64-linux-gnu qemu=aarch64 pkgs="qemu-user qemu-user-binfmt gcc-$triple libc6-dev-arm64-cross" ;;
	*) die "$EX_USAGE" "--arch $arch: gohot cross-builds for arm64 only" ;;
	esac
	# shellcheck disable=SC2034 # for the scripts that call cross_setup
	CROSS_CC=$triple-gcc CROSS_LD_PREFIX=/usr/$triple
	if ! command -v "$CROSS_CC" >/dev/null 2>&1 || ! command -v "qemu-$qemu" >/dev/null 2>&1 ||
		[ ! -f "/usr/lib/binfmt.d/qemu-$qemu.conf" ]; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			local apt_log
			apt_log="$(gohot_cache)/apt-cross-$arch.log"
			mkdir -p "$(dirname "$apt_log")"
			log "+ apt-get install $pkgs (log: $apt_log)"
			# shellcheck disable=SC2086 # the package list splits on purpose
			{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs ||
				{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs; }; } >"$apt_log" 2>&1 ||
				die "$EX_ENV" "apt-get install $pkgs failed (log: $apt_log)"
		else
			die "$EX_ENV" "building for linux/$arch needs $pkgs: install them (as root: apt-get install $pkgs)"
		fi
	fi
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
			die "$EX_ENV" "binfmt_misc is not mounted and cannot be (as root: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)"
	fi
	if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ]; then
		local rule
		rule=$(grep -v '^#' "/usr/lib/binfmt.d/qemu-$qemu.conf" | head -n1)
		printf '%s' "$rule" >/proc/sys/fs/binfmt_misc/register 2>/dev/null ||
			die "$EX_ENV" "cannot register qemu-$qemu with binfmt_misc (as root: /lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-$qemu.conf)"
		log "registered qemu-$qemu with binfmt_misc"
	fi
	grep -q '^enabled' "/proc/sys/fs/binfmt_misc/qemu-$qemu" ||
		die "$EX_ENV" "the binfmt_misc handler qemu-$qemu is disabled (as root: echo 1 > /proc/sys/fs/binfmt_misc/qemu-$qemu)"
}

# apply_patch DIR PATCH [GIT-APPLY-ARGS...]: applies PATCH to the tree in
# DIR as every script does: exactly first, then, if a hunk's context no
# longer matches (a patch release changed lines near it), with one line of
# context on each side. A patch whose changed lines themselves differ still
# fails, and needs a variant (patches/go1.X/). Each try is all or nothing.
# Prints nothing after an exact apply, a line saying so after the second
# try, and the exact try's error when both fail.
apply_patch() {
	local dir=$1 patch=$2 err
	shift 2
	if err=$(cd "$dir" && GIT_CEILING_DIRECTORIES="$(dirname "$dir")" git apply --whitespace=nowarn "$@" "$patch" 2>&1); then
		return 0
	fi
	if (cd "$dir" && GIT_CEILING_DIRECTORIES="$(dirname "$dir")" git apply --whitespace=nowarn -C1 "$@" "$patch") >/dev/null 2>&1; then
		echo "applied with one line of context: the tree changed lines near a hunk"
		return 0
	fi
	printf '%s\n' "$err"
	return 1
}
