#!/usr/bin/env bash
# run.sh: the basic example end to end, in a temporary copy.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: examples/basic/run.sh

Builds the host and two versions of the svc plugin with the gohot toolchain
(scripts/build-toolchain.sh must have run), v1 changing package logic, then
runs the host, which loads svc_0.so and svc_1.so in one process and prints
what updated and what stayed stale. Works in a temporary directory.
USAGE
}
case ${1:-} in -h | --help) usage && exit 0 ;; "") ;; *) echo "error: unknown argument '$1' (see --help)" >&2 && exit 2 ;; esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
eval "$("$root/scripts/env.sh")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$here/." "$tmp/basic"
cd "$tmp/basic"
go mod edit -replace "github.com/gohot-dev/gohot=$root"
echo "+ go build gohot, host; gohot build svc_0.so" >&2
(cd "$root" && go build -o "$tmp/gohot" ./cmd/gohot)
go build -o host.exe ./host
"$tmp/gohot" build -o svc_0.so --host host.exe ./svc >/dev/null 2>&1
echo "+ edit package logic (versions/v1), gohot build svc_1.so" >&2
cp versions/v1/logic.go logic/logic.go
"$tmp/gohot" build -o svc_1.so --host host.exe --base svc_0.so ./svc 2>/dev/null
echo "+ ./host.exe svc_0.so svc_1.so" >&2
./host.exe svc_0.so svc_1.so
