#!/usr/bin/env bash
# smoke-test.sh: the quickest end-to-end proof that a toolchain hot-reloads.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/smoke-test.sh [--goroot DIR]

Builds a host and two versions of a plugin whose user package "logic" changes
between them, then checks, in one process each:
  - default policy: v2 loads over v1 and its code runs v2's logic.Rule,
    while the package's state and init stay those of the first copy;
  - GOHOT_PKGCHECK=stock: v2 is refused with the stock error;
  - a plugin built with different flags for the standard library
    (-gcflags=all=-N -l) is refused with the stock error.

  --goroot DIR   the toolchain to test (default: the go on PATH)
  -h, --help     this text

Exit codes: 0 ok, 2 usage, 6 a check failed.
USAGE
}

goroot=""
while [ $# -gt 0 ]; do
	case $1 in
	--goroot)
		[ $# -ge 2 ] || die "$EX_USAGE" "--goroot needs a directory"
		goroot=$2
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	*) die "$EX_USAGE" "unknown argument '$1' (see --help)" ;;
	esac
done
if [ -n "$goroot" ]; then
	[ -x "$goroot/bin/go" ] || die "$EX_USAGE" "--goroot $goroot has no bin/go"
	export GOROOT=$goroot PATH="$goroot/bin:$PATH"
fi
export GOTOOLCHAIN=local GOFLAGS='' CGO_ENABLED=1

work=$(mktemp -d "${TMPDIR:-/tmp}/gohot-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p logic plugin host
cat >go.mod <<'EOF'
module example.com/smoke

go 1.22
EOF
cat >host/main.go <<'EOF'
package main

import (
	"fmt"
	"os"
	"plugin"

	"example.com/smoke/logic"
)

func main() {
	logic.Count = 100
	for _, so := range os.Args[1:] {
		p, err := plugin.Open(so)
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		f, err := p.Lookup("Run")
		if err != nil {
			fmt.Println("lookup:", err)
			os.Exit(1)
		}
		fmt.Println(f.(func() string)())
	}
}
EOF
cat >plugin/main.go <<'EOF'
package main

import (
	"fmt"

	"example.com/smoke/logic"
)

func Run() string { return fmt.Sprintf("%s count=%d init=%s", logic.Rule(), logic.Next(), logic.InitBy) }

func main() {}
EOF
write_logic() { # version
	cat >logic/logic.go <<EOF
package logic

var Count int

var InitBy string

func init() { InitBy = "$1" }

// Rule is edited between versions; v2 has more comment lines, shifting
// positions the way a real edit does.
$(printf '// %s\n' "$@")
//go:noinline
func Rule() string { return "rule=$1" }

func Next() int { Count++; return Count }
EOF
}
step_start "build host and plugins with $(go env GOVERSION)"
write_logic v1
run go build -o host.exe ./host
run go build -buildmode=plugin -o v1.so ./plugin/main.go
write_logic v2 "Changed in v2." "Positions below shift."
run go build -buildmode=plugin -o v2.so ./plugin/main.go
run go build -buildmode=plugin -gcflags=all='-N -l' -o stdflags.so ./plugin/main.go
step_done

fail=0
check() { # name want got
	if [ "$2" = "$3" ]; then
		log "ok: $1"
	else
		log "FAIL: $1"
		printf -- '--- want\n%s\n--- got\n%s\n' "$2" "$3" >&2
		fail=1
	fi
}
# The host's copy of logic was built from v1 source, so InitBy and Count are
# the host's: state is kept and logic's init does not run again.
got=$(./host.exe ./v1.so ./v2.so 2>&1 || true)
check "v2 loads over v1 and runs its own code" "rule=v1 count=101 init=v1
rule=v2 count=102 init=v1" "$got"

got=$(GOHOT_PKGCHECK=stock ./host.exe ./v1.so ./v2.so 2>&1 || true)
check "GOHOT_PKGCHECK=stock refuses v2" "rule=v1 count=101 init=v1
refused: plugin.Open(\"./v2\"): plugin was built with a different version of package example.com/smoke/logic" "$got"

got=$(./host.exe ./stdflags.so 2>&1 || true)
case $got in
"refused: plugin.Open(\"./stdflags\"): plugin was built with a different version of package "*) log "ok: a standard library mismatch is refused" ;;
*)
	log "FAIL: a standard library mismatch is refused"
	printf -- '--- got\n%s\n' "$got" >&2
	fail=1
	;;
esac
std_pkg=${got##* }
case $std_pkg in *.*/*) log "FAIL: $std_pkg is not a standard library package" && fail=1 ;; esac

[ "$fail" = 0 ] || die "$EX_VERIFY" "the reload smoke test failed on $(go env GOVERSION)"
log "smoke test passed on $(go env GOVERSION)"
