// Package cli is the gohot command line: cmd/gohot calls Run, and the
// testscript suite runs it in-process as the gohot command.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// exitError carries the exit status a command wants.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

const usage = `usage: gohot <command> [flags] [args]

Commands:
  build    build a plugin version (unique identity, host settings, check, manifest)
  check    compare the source with a base: unsafe edits, stale code, updates
  reload   ask a running host to load a plugin version through its control socket
  watch    rebuild, check and reload whenever the plugin's source changes

Run gohot <command> -h for details.
`

// Run runs the gohot command line with args (without the program name) and
// returns the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "build":
		err = cmdBuild(ctx, args[1:], stdout, stderr)
	case "check":
		err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "reload":
		err = cmdReload(ctx, args[1:], stdout, stderr)
	case "watch":
		err = cmdWatch(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "gohot: unknown command %q: want build, check, reload or watch\n", args[0])
		return 2
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "gohot %s: %v\n", args[0], ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "gohot %s: %v\n", args[0], err)
	return 1
}
