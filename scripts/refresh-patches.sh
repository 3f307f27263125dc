#!/usr/bin/env bash
# refresh-patches.sh: carry the patch series to another Go release, or edit it.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/refresh-patches.sh start [--go 1.X.Y | --src DIR] --dir DIR
       scripts/refresh-patches.sh export [--go 1.X.Y] --dir DIR

start   makes DIR a git repository holding the Go tree (the Go on PATH,
        a release fetched with build-toolchain.sh's cache, or --src DIR),
        tagged gohot-base, and applies the series as commits with git am -3.
        If a patch does not apply, git am stops: fix the files in DIR,
        git add them and run git am --continue there, as usual.
export  writes the commits after gohot-base back to patches/ as normalized
        git format-patch files (zero commit ids, no signature) and records
        the new series hash in toolchain/versions.conf.
        With --go 1.X.Y (DIR holds that release's tree), it writes the
        variants for Go 1.X instead: a commit becomes patches/go1.X/NAME
        only where the default patch of that name, applied as
        build-toolchain.sh applies it (git apply, then with one line of
        context) to the tree before the commit, does not give the
        commit's tree; a variant the default
        now covers is removed. patches/ itself is left as it is.

Edit a patch: start, change the commit in DIR (git rebase -i gohot-base),
export. Each commit message is the patch's documentation: what it changes,
why, which Go versions, which upstream tests it adjusts, when to drop it.

Exit codes: 0 ok, 2 usage, 3 source not available, 4 git am stopped.
USAGE
}

[ $# -ge 1 ] || {
	usage >&2
	exit "$EX_USAGE"
}
mode=$1
shift
case $mode in start | export) ;; -h | --help) usage && exit 0 ;; *) die "$EX_USAGE" "unknown mode '$mode': start or export (see --help)" ;; esac
want="" src="" dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--go | --src | --dir)
		[ $# -ge 2 ] || die "$EX_USAGE" "$1 needs a value"
		case $1 in --go) want=${2#go} ;; --src) src=$2 ;; --dir) dir=$2 ;; esac
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
[ -n "$dir" ] || die "$EX_USAGE" "--dir is required (see --help)"
git_q() { git -C "$dir" -c user.name=gohot -c user.email=gohot@localhost "$@"; }

if [ "$mode" = export ]; then
	git -C "$dir" rev-parse -q --verify gohot-base >/dev/null || die "$EX_USAGE" "$dir is not a tree made by '$0 start'"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
fi
if [ "$mode" = export ] && [ -n "$want" ]; then
	[ -z "$src" ] || die "$EX_USAGE" "export takes --go or nothing, not --src"
	minor=$(go_minor "$want")
	vdir="$GOHOT_ROOT/patches/go$minor"
	mapfile -t commits < <(git -C "$dir" rev-list --reverse gohot-base..HEAD)
	[ "${#commits[@]}" -gt 0 ] || die "$EX_USAGE" "no commits after gohot-base in $dir"
	variants=0 n=0
	for c in "${commits[@]}"; do
		n=$((n + 1))
		rm -rf "$tmp/one"
		# Numbered by position, as the default series is.
		git_q format-patch --quiet --zero-commit --no-signature --no-numbered --start-number "$n" -o "$tmp/one" -1 "$c"
		one=("$tmp"/one/*.patch)
		name=$(basename "${one[0]}")
		default="$GOHOT_ROOT/patches/$name"
		# Does the default patch, applied to the tree before this commit,
		# make exactly this commit's tree? Then no variant is needed.
		same=false
		if [ -f "$default" ] &&
			GIT_INDEX_FILE="$tmp/index" git -C "$dir" read-tree "$c^" &&
			GIT_INDEX_FILE="$tmp/index" apply_patch "$dir" "$default" --cached >/dev/null &&
			[ "$(GIT_INDEX_FILE="$tmp/index" git -C "$dir" write-tree)" = "$(git -C "$dir" rev-parse "$c^{tree}")" ]; then
			same=true
		fi
		if $same; then
			if [ -f "$vdir/$name" ]; then
				rm "$vdir/$name"
				log "go$minor/$name: removed, the default patch covers it"
			fi
		else
			mkdir -p "$vdir"
			mv "${one[0]}" "$vdir/$name"
			variants=$((variants + 1))
			log "go$minor/$name: variant written"
		fi
	done
	rmdir "$vdir" 2>/dev/null || true
	new=$(patches_sha256)
	sed -i "s/^series_sha256 .*/series_sha256 $new/" "$GOHOT_CONF"
	log "Go $minor: $variants variants of ${#commits[@]} patches; series $new"
	log "if the series changed, bump the suffix number in toolchain/versions.conf"
	exit 0
fi
if [ "$mode" = export ]; then
	run git_q format-patch --quiet --zero-commit --no-signature --no-numbered -o "$tmp" gohot-base..HEAD
	ls "$tmp"/*.patch >/dev/null 2>&1 || die "$EX_USAGE" "no commits after gohot-base in $dir"
	find "$GOHOT_ROOT/patches" -maxdepth 1 -name '*.patch' -delete
	mv "$tmp"/*.patch "$GOHOT_ROOT/patches/"
	new=$(patches_sha256)
	sed -i "s/^series_sha256 .*/series_sha256 $new/" "$GOHOT_CONF"
	log "exported $(patch_files | wc -l) patches; series $new"
	log "if the series changed, bump the suffix number in toolchain/versions.conf"
	exit 0
fi

if [ -n "$src" ]; then
	[ -d "$src/src" ] || die "$EX_FETCH" "--src $src is not a Go tree"
elif [ -n "$want" ]; then
	src="$(gohot_cache)/stock/go$want"
	[ -f "$src/.gohot-complete" ] || die "$EX_FETCH" "Go $want is not in the cache: run ./scripts/build-toolchain.sh --go $want --verify none first"
else
	src=$(GOTOOLCHAIN=local go env GOROOT)
fi
[ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$EX_USAGE" "$dir exists and is not empty: pick another --dir"
mkdir -p "$dir"
step_start "copy $src to $dir"
copy_go_tree "$src" "$dir"
git_q init -q
git_q add -A
git_q commit -q -m "base: $(head -n1 "$dir/VERSION")"
git_q tag gohot-base
step_done
step_start "git am -3 the series"
mapfile -t series < <(patch_files "$(goroot_version "$dir")")
if ! git_q am -q -3 "${series[@]}"; then
	die "$EX_PATCH" "git am stopped in $dir: resolve there, git am --continue, then '$0 export --dir $dir'"
fi
step_done
log "series applied in $dir; edit, then: $0 export --dir $dir"
