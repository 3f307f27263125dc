// Command gohot builds, checks and reloads plugin versions for programs
// built with the gohot toolchain.
//
//	gohot build [flags] [DIR]   build a plugin version of the main package in DIR
//	gohot check [flags] [DIR]   say which edits since a base are unsafe, stale or updates
//	gohot reload [flags] PATH   ask a running host to load a plugin version
//	gohot watch [flags] [DIR]   rebuild, check and reload on every source change
//
// Run gohot <command> -h for the flags of each.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gohot-dev/gohot/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
