#!/usr/bin/env bash
# env.sh: print the shell lines that switch to a gohot toolchain, or back.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: eval "$(scripts/env.sh [--go 1.X.Y])"     switch this shell to gohot
       eval "$(scripts/env.sh --off)"            switch it back
       scripts/env.sh --github [--go 1.X.Y]      switch the next steps of a
                                                 GitHub Actions job

Sets GOROOT to a toolchain built by scripts/build-toolchain.sh, puts its bin/
first on PATH and sets GOTOOLCHAIN=local, so go.mod toolchain lines never
switch away from it. The previous values are kept in GOHOT_SAVED_* and
restored by --off.

  --go 1.X.Y   which built toolchain (default: the one for the Go on PATH,
               else the only one built, else the newest)
  --off        print the lines that undo the switch
  --github     append to $GITHUB_ENV and $GITHUB_PATH instead of printing
  -h, --help   this text
USAGE
}

want="" off=0 github=0
while [ $# -gt 0 ]; do
	case $1 in
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version, e.g. --go 1.26.8"
		want=${2#go}
		shift 2
		;;
	--off) off=1 && shift ;;
	--github) github=1 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done

q() { printf '%q' "$1"; }

if [ "$off" = 1 ]; then
	if [ -z "${GOHOT_SAVED_PATH+set}" ]; then
		echo "# this shell is not switched to gohot: nothing to undo"
		exit 0
	fi
	echo "export PATH=$(q "$GOHOT_SAVED_PATH");"
	for v in GOROOT GOTOOLCHAIN; do
		saved="GOHOT_SAVED_$v"
		if [ "${!saved:-}" = "<unset>" ]; then
			echo "unset $v;"
		else
			echo "export $v=$(q "${!saved:-}");"
		fi
	done
	echo "unset GOHOT_SAVED_PATH GOHOT_SAVED_GOROOT GOHOT_SAVED_GOTOOLCHAIN;"
	exit 0
fi

suffix=$(conf suffix)
dir="$GOHOT_ROOT/toolchain"
if [ -n "$want" ]; then
	goroot="$dir/go$want-$suffix"
	[ -x "$goroot/bin/go" ] || die "$EX_ENV" "gohot for Go $want is not built: run ./scripts/build-toolchain.sh --go $want"
else
	mapfile -t built < <(find -L "$dir" -maxdepth 1 -type d -name "go*-$suffix" 2>/dev/null | sort -V)
	[ "${#built[@]}" -gt 0 ] || die "$EX_ENV" "no gohot toolchain in $dir: run ./scripts/build-toolchain.sh"
	goroot=${built[-1]}
	if command -v go >/dev/null 2>&1 && [ -z "${GOHOT_SAVED_PATH+set}" ]; then
		path_version=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)
		path_version=${path_version%%-*} # a gohot go on PATH names its release too
		if [ -x "$dir/$path_version-$suffix/bin/go" ]; then
			goroot="$dir/$path_version-$suffix"
		fi
	fi
fi
[ -x "$goroot/bin/go" ] || die "$EX_ENV" "$goroot has no bin/go: rebuild it with ./scripts/build-toolchain.sh --force"

if [ "$github" = 1 ]; then
	if [ -z "${GITHUB_ENV:-}" ] || [ -z "${GITHUB_PATH:-}" ]; then
		die "$EX_USAGE" "--github needs GITHUB_ENV and GITHUB_PATH (run it in a GitHub Actions step)"
	fi
	printf 'GOROOT=%s\nGOTOOLCHAIN=local\n' "$goroot" >>"$GITHUB_ENV"
	printf '%s\n' "$goroot/bin" >>"$GITHUB_PATH"
	log "next steps use $goroot"
	exit 0
fi

# Save what the switch replaces, once: switching twice keeps the original.
if [ -z "${GOHOT_SAVED_PATH+set}" ]; then
	echo "export GOHOT_SAVED_PATH=$(q "$PATH");"
	echo "export GOHOT_SAVED_GOROOT=$(q "${GOROOT-<unset>}");"
	echo "export GOHOT_SAVED_GOTOOLCHAIN=$(q "${GOTOOLCHAIN-<unset>}");"
	base_path=$PATH
else
	base_path=$GOHOT_SAVED_PATH
fi
echo "export GOROOT=$(q "$goroot");"
echo "export PATH=$(q "$goroot/bin:$base_path");"
echo "export GOTOOLCHAIN=local;"
