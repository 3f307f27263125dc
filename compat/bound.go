package compat

import "maps"

// Bound returns the facts of a process that has loaded the versions whose
// facts are loaded (nil before the first) and then next, as the process
// binds them: a package var or a named type keeps its first loaded
// definition, because the dynamic loader binds every later plugin's copy
// of it to that one, and so does the package's init task; funcs,
// constants and the init hash are next's, the code new calls run. Neither argument is modified.
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
