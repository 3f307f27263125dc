#!/usr/bin/env bash
# check-patches.sh: does the series still apply? Seconds, not a build.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/check-patches.sh [--src DIR]... [--go 1.X.Y]... [--all]

Checks, without building:
  - every patch in patches/ has a Subject and a documented header
    (what, why, Go versions, upstream tests adjusted);
  - the series hash matches series_sha256 in toolchain/versions.conf
    (patches are changed through scripts/refresh-patches.sh export);
  - the series applies, in order, to each Go tree given: --src DIR, or
    --go 1.X.Y for a release already in the cache (build-toolchain.sh --go
    puts it there), or --all for every release toolchain/versions.conf
    claims ("release" lines; a release not in the cache yet is fetched
    through the module proxy first). Default: the Go on PATH.

Exit codes: 0 ok, 2 usage, 3 tree not found, 4 a patch does not apply or
is undocumented.
USAGE
}

trees=()
while [ $# -gt 0 ]; do
	case $1 in
	--src)
		[ $# -ge 2 ] || die "$EX_USAGE" "--src needs a directory"
		trees+=("$2")
		shift 2
		;;
	--go)
		[ $# -ge 2 ] || die "$EX_USAGE" "--go needs a version"
		d="$(gohot_cache)/stock/go${2#go}"
		[ -f "$d/.gohot-complete" ] || die "$EX_FETCH" "Go ${2#go} is not in the cache: run ./scripts/build-toolchain.sh --go ${2#go} first"
		trees+=("$d")
		shift 2
		;;
	--all)
		while IFS= read -r release; do
			d="$(gohot_cache)/stock/go$release"
			if [ ! -f "$d/.gohot-complete" ]; then
				log "go$release is not in the cache: fetching it (build-toolchain.sh --go $release --fetch-only)"
				"$GOHOT_ROOT/scripts/build-toolchain.sh" --go "$release" --fetch-only >&2 ||
					die "$EX_FETCH" "cannot fetch Go $release: see the lines above"
			fi
			trees+=("$d")
		done < <(awk '$1 == "release" { print $3 }' "$GOHOT_CONF")
		shift
		;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
if [ "${#trees[@]}" -eq 0 ]; then
	trees=("$(GOTOOLCHAIN=local go env GOROOT)")
fi

[ -n "$(patch_files)" ] || die "$EX_PATCH" "patches/ holds no .patch files"
while IFS= read -r b; do
	p="$GOHOT_ROOT/patches/$b"
	grep -q '^Subject: ' "$p" || die "$EX_PATCH" "$b has no Subject: export it with scripts/refresh-patches.sh"
	for section in 'What:' 'Why:' 'Upstream tests adjusted' 'Go versions:'; do
		grep -q "^$section" "$p" || die "$EX_PATCH" "$b's header lacks '$section' (see patches/README.md)"
	done
done < <(all_patch_files)
want=$(conf series_sha256)
got=$(patches_sha256)
[ "$got" = "$want" ] || die "$EX_PATCH" "patches/ changed (series $got) but toolchain/versions.conf records $want: re-export with scripts/refresh-patches.sh and bump the suffix"

for tree in "${trees[@]}"; do
	version=$(head -n1 "$tree/VERSION")
	mapfile -t series < <(patch_files "$(goroot_version "$tree")")
	tmp=$(mktemp -d)
	# Copy only what the series touches: enough for git apply --check.
	while IFS= read -r f; do
		if [ -f "$tree/$f" ]; then
			mkdir -p "$tmp/$(dirname "$f")"
			cp "$tree/$f" "$tmp/$f"
		fi
	done < <(sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "${series[@]}" | sort -u)
	for p in "${series[@]}"; do
		if ! out=$(apply_patch "$tmp" "$p"); then
			rm -rf "$tmp"
			die "$EX_PATCH" "patch ${p#"$GOHOT_ROOT"/} does not apply to $version ($tree): $(printf '%s\n' "$out" | head -n1)"
		fi
		[ -z "$out" ] || log "${p#"$GOHOT_ROOT"/} on $version: $out"
	done
	rm -rf "$tmp"
	log "ok: ${#series[@]} patches apply to $version"
done
