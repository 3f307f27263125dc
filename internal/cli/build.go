package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/internal/check"
	"github.com/gohot-dev/gohot/internal/pluginbuild"
	"github.com/gohot-dev/gohot/manifest"
)

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gohot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gohot %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse handles -h (exit 0) and bad flags (exit 2) the same way everywhere.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: 0}
		}
		return &exitError{code: 2}
	}
	return nil
}

func oneDir(fs *flag.FlagSet) (string, error) {
	switch fs.NArg() {
	case 0:
		return ".", nil
	case 1:
		return fs.Arg(0), nil
	}
	return "", &exitError{code: 2, err: fmt.Errorf("want one package directory, got %d arguments", fs.NArg())}
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("build", "build [-o out.so] [--host BIN [--full]] [--base BASE | --no-check] [--redirect] [--clean] [-v] [--json] [DIR]", stderr)
	out := fs.String("o", "", "the plugin `file` to write (default: <dir name>-<build id>.so in the current directory)")
	host := fs.String("host", "", "host `binary` whose build settings (flags, tags, GOAMD64, cgo) the plugin must share")
	base := fs.String("base", "", "check against this `version`: the running version's manifest (.gohot.json or its .so), an old source directory, or a git revision")
	full := fs.Bool("full", false, "link every package into the plugin; by default, with --host, the standard library packages the host links identically come from the host (a much smaller plugin that loads only into that host)")
	noCheck := fs.Bool("no-check", false, "do not run gohot check")
	clean := fs.Bool("clean", false, "refuse a git tree whose Go sources have uncommitted changes (for release builds); without it such a build is recorded as modified, with a warning")
	verbose := fs.Bool("v", false, "print the go command gohot build runs")
	fs.Bool("allow-dirty", false, "no effect: a tree with uncommitted changes is built unless --clean is given")
	asJSON := fs.Bool("json", false, "print the manifest as JSON")
	redirect := fs.Bool("redirect", redirectEnv(), "print the findings as they hold for a host loading in redirect mode (default true when GOHOT_REDIRECT=on); the manifest keeps them as checked")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := oneDir(fs)
	if err != nil {
		return err
	}
	if *out != "" && !strings.HasSuffix(*out, ".so") {
		return &exitError{code: 2, err: fmt.Errorf("-o %s: a plugin file name ends in .so", *out)}
	}
	m, res, err := pluginbuild.Build(ctx, pluginbuild.Options{
		Dir: dir, Out: *out, Host: *host, Full: *full, Base: *base, NoCheck: *noCheck, Clean: *clean, Verbose: *verbose, Stderr: stderr,
	})
	if errors.Is(err, pluginbuild.ErrUnsafe) {
		printFindings(stderr, res)
		return &exitError{code: 1, err: fmt.Errorf("refused: %d unsafe edits since %s; nothing was written", res.Count(compat.Unsafe), *base)}
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	if m.Check.Status != compat.StatusSkipped {
		if *redirect {
			res = res.UnderRedirect()
		}
		printFindings(stdout, res)
	}
	fmt.Fprintf(stdout, "built %s (id %s, check %s)\n", m.Plugin, m.ID, m.Check.Status)
	printBound(stdout, "", m)
	return nil
}

// printBound says, for a version bound to its host, how much of it the
// host provides; prefix is the line's label in gohot watch.
func printBound(w io.Writer, prefix string, m *manifest.Manifest) {
	if len(m.HostBound) > 0 {
		fmt.Fprintf(w, "%sbound to %s: %d standard packages come from the host, so the plugin loads only there (--full links them in)\n", prefix, m.Host, len(m.HostBound))
	}
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "check --base BASE [--host BIN] [--redirect] [--json] [DIR]", stderr)
	base := fs.String("base", "", "the running `version`: its manifest (.gohot.json or its .so), an old source directory, or a git revision (required)")
	host := fs.String("host", "", "the host `program`: changed funcs of packages it links itself are reported, its own call sites keep the old code")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	redirect := fs.Bool("redirect", redirectEnv(), "the findings as they hold for a host loading in redirect mode (default true when GOHOT_REDIRECT=on): what redirect sends to the new body is an update")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := oneDir(fs)
	if err != nil {
		return err
	}
	if *base == "" {
		return &exitError{code: 2, err: errors.New("--base is required: the manifest of the running version, an old source directory or a git revision")}
	}
	var hostPkgs []string
	if *host != "" {
		if hostPkgs, err = pluginbuild.HostPackages(*host); err != nil {
			return err
		}
	}
	res, err := check.Run(ctx, dir, *base, hostPkgs, check.Options{})
	if err != nil {
		return err
	}
	if *redirect {
		res = res.UnderRedirect()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Status compat.Status `json:"status"`
			*compat.Result
		}{res.Status(), res}); err != nil {
			return err
		}
	} else {
		printFindings(stdout, res)
	}
	if n := res.Count(compat.Unsafe); n > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d unsafe edits since %s: this version must not be loaded over the running one", n, *base)}
	}
	return nil
}

func printFindings(w io.Writer, res *compat.Result) {
	if res == nil {
		return
	}
	if len(res.Findings) == 0 {
		fmt.Fprintln(w, "no changes")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tWHAT\tWHY")
	for _, f := range res.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, f.Rule, f.Pos, f.Object, f.Message)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d unsafe, %d stale, %d updates\n", res.Count(compat.Unsafe), res.Count(compat.Stale), res.Count(compat.Update))
}

// redirectEnv is the --redirect default: a shell that runs its service with
// GOHOT_REDIRECT=on gets findings for the mode its service loads in.
func redirectEnv() bool { return os.Getenv("GOHOT_REDIRECT") == "on" }
