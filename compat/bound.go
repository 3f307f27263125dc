package compat

import (
	"maps"
	"slices"
)

// Bound returns the facts of a process that has loaded the versions whose
// facts are loaded (nil before the first) and then next, as the process
// binds them: a package var or a named type keeps its first loaded
// definition, because the dynamic loader binds every later plugin's copy
// of it to that one, and so does the package's init task; funcs,
// constants and the init hash are next's, the code new calls run. What old
// code holds is kept too: a func any loaded version stored as a value,
// started goroutines in, or called another from, still does so in the
// process, so those facts are the union over every version (funcs only an
// earlier version had are kept for the same reason). Neither argument is
// modified.
//
// Comparing a new version against Bound of every loaded one, not against
// the version it was checked against, finds what is unsafe in the running
// process: a var added by one version and retyped by a later one checked
// against an older base, or a var removed by one version and brought back
// with another type.
func Bound(loaded, next *Facts) *Facts {
	if loaded == nil {
		return next
	}
	out := &Facts{Main: next.Main, Entry: next.Entry, Packages: map[string]*PkgFacts{}}
	for path, np := range next.Packages {
		p := *np
		if op := loaded.Packages[path]; op != nil {
			p.Types = firstWins(op.Types, np.Types)
			p.Vars = firstWins(op.Vars, np.Vars)
			// The package has an init task once any loaded version
			// had one: later versions' bind to it and do not run.
			p.InitWork = op.InitWork || np.InitWork
			p.Funcs = unionFuncs(op.Funcs, np.Funcs)
		}
		out.Packages[path] = &p
	}
	for path, op := range loaded.Packages {
		if _, ok := out.Packages[path]; !ok {
			out.Packages[path] = op
		}
	}
	return out
}

// firstWins returns later's entries overridden by earlier's.
func firstWins[V any](earlier, later map[string]V) map[string]V {
	m := make(map[string]V, len(earlier)+len(later))
	maps.Copy(m, later)
	maps.Copy(m, earlier)
	return m
}

// unionFuncs returns later's funcs, each also marked with what earlier's
// copy of it holds in the process (value uses, goroutines, calls), and the
// funcs only earlier has.
func unionFuncs(earlier, later map[string]*FuncFacts) map[string]*FuncFacts {
	m := make(map[string]*FuncFacts, len(earlier)+len(later))
	maps.Copy(m, earlier)
	for key, lf := range later {
		ef := earlier[key]
		if ef == nil {
			m[key] = lf
			continue
		}
		f := *lf
		f.UsedAsValue = lf.UsedAsValue || ef.UsedAsValue
		f.Goroutines = lf.Goroutines || ef.Goroutines
		f.Calls = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(lf.Calls), ef.Calls...))))
		m[key] = &f
	}
	return m
}
