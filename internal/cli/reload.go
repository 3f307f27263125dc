package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gohot-dev/gohot/reload"
)

const defaultSocket = "gohot.sock"

func cmdReload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reload", "reload [--socket PATH] PLUGIN.so | --status", stderr)
	socket := fs.String("socket", envOr("GOHOT_SOCKET", defaultSocket), "the host's control `socket` (default $GOHOT_SOCKET or ./gohot.sock)")
	status := fs.Bool("status", false, "print the current generation instead of reloading")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	wait := fs.Duration("wait", 0, "keep trying this long for the socket to appear (a host still starting)")
	if err := parse(fs, args); err != nil {
		return err
	}
	req := reload.Request{Op: "status"}
	if !*status {
		if fs.NArg() != 1 {
			return &exitError{code: 2, err: errors.New("want the plugin to load: gohot reload [--socket PATH] PLUGIN.so")}
		}
		abs, err := filepath.Abs(fs.Arg(0))
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("plugin %s: %w", fs.Arg(0), errors.Unwrap(err))
		}
		req = reload.Request{Op: "reload", Path: abs}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	resp, err := reload.Call(ctx, *socket, req)
	for deadline := time.Now().Add(*wait); err != nil && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		resp, err = reload.Call(ctx, *socket, req)
	}
	if err != nil {
		return err
	}
	if !resp.OK {
		return fmt.Errorf("%s (generation %d still current)", resp.Error, resp.Generation)
	}
	if resp.Report != nil {
		fmt.Fprint(stdout, resp.Report.String())
		return nil
	}
	fmt.Fprintf(stdout, "generation %d: %s %s\n", resp.Generation, resp.Path, resp.ID)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
