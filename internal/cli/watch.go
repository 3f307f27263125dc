package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/internal/gotool"
	"github.com/gohot-dev/gohot/internal/pluginbuild"
	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/reload"
)

func cmdWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch", "watch [--socket PATH] [--host BIN] [--full] [--out DIR] [DIR]", stderr)
	socket := fs.String("socket", envOr("GOHOT_SOCKET", defaultSocket), "the host's control `socket`")
	full := fs.Bool("full", false, "build every version whole instead of bound to the host's standard library")
	host := fs.String("host", "", "host `binary` whose build settings plugins share and whose standard library they bind to (default: the program serving --socket)")
	outDir := fs.String("out", "gohot-versions", "`directory` for the plugin versions built")
	debounce := fs.Duration("debounce", 50*time.Millisecond, "wait this long after the last change before building (editors write a save within a few milliseconds)")
	count := fs.Int("count", 0, "exit after this many build attempts (0: run until interrupted)")
	ready := fs.String("ready", "", "create this `file` once the source is being watched (for scripts that edit it next)")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := oneDir(fs)
	if err != nil {
		return err
	}
	if _, err := gotool.Toolchain(ctx); err != nil {
		return err
	}
	pkg, err := gotool.ListMain(ctx, dir)
	if err != nil {
		return err
	}
	root := pkg.Root()
	if err := os.MkdirAll(*outDir, 0o777); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	outAbs, err := filepath.Abs(*outDir)
	if err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Close()
	if err := addTree(w, root, outAbs); err != nil {
		return err
	}
	name := filepath.Base(mustAbs(dir))
	fmt.Fprintf(stdout, "watching %s (module %s); plugin versions go to %s\n", dir, root, *outDir)
	if *ready != "" {
		if err := os.WriteFile(*ready, nil, 0o644); err != nil {
			return fmt.Errorf("--ready: %w", err)
		}
	}

	// One session for the whole watch: what an edit cannot change is
	// read once, not at every build, and read now, before the first edit
	// (a failure here is the first build's to report).
	session := new(pluginbuild.Session)
	if h := servingHost(ctx, *host, *socket); h != "" {
		_ = session.Prepare(ctx, pluginbuild.Options{Dir: dir, Host: h, Full: *full})
	}
	attempts := 0
	var timer <-chan time.Time
	var changed []string
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return fmt.Errorf("watch: %w", err)
		case ev := <-w.Events:
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					_ = addTree(w, ev.Name, outAbs)
				}
			}
			if !gotool.SourceFile(filepath.Base(ev.Name)) || ev.Op == fsnotify.Chmod {
				continue
			}
			changed = append(changed, ev.Name)
			timer = time.After(*debounce)
		case <-timer:
			timer = nil
			attempts++
			fmt.Fprintf(stdout, "change: %s\n", describeChanges(root, changed))
			changed = nil
			buildAndReload(ctx, session, stdout, stderr, dir, name, outAbs, *host, *socket, *full)
			if *count > 0 && attempts >= *count {
				return nil
			}
		}
	}
}

// buildAndReload runs one step of the loop. Its failures are printed, not
// returned: a bad edit must not stop the watch, and never reaches the host.
func buildAndReload(ctx context.Context, session *pluginbuild.Session, stdout, stderr io.Writer, dir, name, outDir, host, socket string, full bool) {
	base, running := "", ""
	status, err := reload.Call(ctx, socket, reload.Request{Op: "status"})
	if err != nil {
		fmt.Fprintf(stdout, "reload: skipped: %v\n", err)
		return
	}
	if status.Path != "" {
		if m, err := manifest.ForPlugin(status.Path); err == nil {
			base, running = status.Path, m.Source.Hash
		}
	}
	if host == "" {
		host = status.Program
	}
	out := filepath.Join(outDir, fmt.Sprintf("%s-%d.so", name, time.Now().UnixNano()))
	start := time.Now()
	m, res, err := session.Build(ctx, pluginbuild.Options{
		Dir: dir, Out: out, Host: host, Full: full, Base: base, EditLoop: true, SkipSource: running, Stderr: stderr,
	})
	if errors.Is(err, pluginbuild.ErrSameSource) {
		// A save that changed nothing (or an edit undone): a new
		// generation would cost memory for no change.
		fmt.Fprintf(stdout, "build: skipped: the source is identical to generation %d's\n", status.Generation)
		return
	}
	if errors.Is(err, pluginbuild.ErrUnsafe) {
		printFindings(stdout, res)
		fmt.Fprintf(stdout, "check: refused, %d unsafe edits; generation %d keeps serving\n", res.Count(compat.Unsafe), status.Generation)
		return
	}
	if err != nil {
		fmt.Fprintf(stdout, "build: failed: %v; generation %d keeps serving\n", err, status.Generation)
		return
	}
	fmt.Fprintf(stdout, "build: %s (id %s) in %s\n", filepath.Base(out), m.ID, time.Since(start).Round(time.Millisecond))
	printBound(stdout, "build: ", m)
	fmt.Fprintf(stdout, "check: %s (%d stale, %d updates)\n", m.Check.Status, res.Count(compat.Stale), res.Count(compat.Update))
	resp, err := reload.Call(ctx, socket, reload.Request{Op: "reload", Path: out})
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "reload: failed: %v\n", err)
	case !resp.OK:
		fmt.Fprintf(stdout, "reload: refused: %s; generation %d keeps serving\n", resp.Error, resp.Generation)
	default:
		fmt.Fprintf(stdout, "reload: %s", resp.Report.String())
	}
}

// servingHost is the host a watch builds against: --host, or else the
// program serving the socket (its build settings, and the standard
// library a version binds to); "" if neither is known yet.
func servingHost(ctx context.Context, host, socket string) string {
	if host != "" {
		return host
	}
	status, err := reload.Call(ctx, socket, reload.Request{Op: "status"})
	if err != nil {
		return ""
	}
	return status.Program
}

func describeChanges(root string, files []string) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			rel = f
		}
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	return strings.Join(out, " ")
}

// addTree watches dir and the subdirectories that may hold sources (as
// the source hash counts them), except the output directory.
func addTree(w *fsnotify.Watcher, dir, skip string) error {
	return gotool.WalkSources(dir, skip, func(path string, isDir bool) error {
		if !isDir {
			return nil
		}
		if err := w.Add(path); err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		return nil
	})
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}
