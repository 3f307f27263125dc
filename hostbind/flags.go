package hostbind

import (
	"fmt"
	"path/filepath"
	"strings"
)

// BuildFlags returns the go build flags and environment (flags and env
// extended) that bind a plugin to the program host, as gohot build --host
// builds it: the linker's -hostimport=host (the host's own -ldflags, if
// flags has them, are extended: the go command keeps only the last), the
// plugin's DWARF uncompressed, and GOGC=400 unless env sets GOGC. A bound
// build's compiler and linker hold a few tens of MiB: collecting a quarter
// as often took about 40 ms, a seventh, off each build of the arena's
// rules (median of eleven). Whole builds, whose linker holds hundreds of
// MiB, are left as they are.
func BuildFlags(flags, env []string, host string) ([]string, []string, error) {
	flags, err := withHostImport(flags, host)
	if err != nil {
		return nil, nil, err
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOGC=") {
			return flags, env, nil
		}
	}
	return flags, append(env[:len(env):len(env)], "GOGC=400"), nil
}

// withHostImport adds -hostimport=host to the linker flags in flags.
//
// A bound plugin's DWARF is also left uncompressed (-compressdwarf=false):
// compressing the few tens of KiB a bound plugin carries took a third of
// its external link's time, on every edit of an edit loop, to save about
// as much disk as it took milliseconds. Debug sections are not loaded, so
// plugin.Open and memory do not change.
func withHostImport(flags []string, host string) ([]string, error) {
	abs, err := filepath.Abs(host)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", host, err)
	}
	arg := "-hostimport=" + abs
	// The go command splits -ldflags like a shell without escapes: a
	// path with spaces is quoted with the quote it does not contain.
	if strings.ContainsAny(abs, " \t\n'\"") {
		switch {
		case !strings.Contains(abs, "'"):
			arg = "'" + arg + "'"
		case !strings.Contains(abs, `"`):
			arg = `"` + arg + `"`
		default:
			return nil, fmt.Errorf("host %s: a path holding both quote characters cannot be passed to the linker; move the host, or build with --full", host)
		}
	}
	// Added after the host's own flags, so these win; the value starts
	// with a flag, never a quote (which the go command would read as a
	// package pattern).
	arg = "-compressdwarf=false " + arg
	out := make([]string, 0, len(flags)+1)
	found := false
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "-ldflags="); ok {
			f = "-ldflags=" + strings.TrimSpace(v+" "+arg)
			found = true
		}
		out = append(out, f)
	}
	if !found {
		out = append(out, "-ldflags="+arg)
	}
	return out, nil
}
