// This file makes toolchain/ a module of its own, so the GOROOTs that
// scripts/build-toolchain.sh installs here stay out of the ./... patterns
// of the gohot module. It holds no Go code.
module github.com/gohot-dev/gohot/toolchain

go 1.22
