package compat

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says how serious a finding is.
type Severity string

// Severities, most serious first.
const (
	Unsafe Severity = "unsafe" // refused: would corrupt memory or call with the wrong signature
	Stale  Severity = "stale"  // loads, but old code or old state keeps the old behaviour
	Update Severity = "update" // what the reload changes
)

// Status is the verdict on a version as a whole, as its manifest records it.
type Status string

// Statuses.
const (
	StatusOK       Status = "ok"       // nothing stale, nothing unsafe
	StatusWarnings Status = "warnings" // stale findings
	StatusUnsafe   Status = "unsafe"   // refused
	StatusSkipped  Status = "skipped"  // not checked (no base, or --no-check)
)

// A Finding is one thing the check reports.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Pos      string   `json:"pos,omitempty"` // file:line in the new source
	Object   string   `json:"object"`        // package-qualified name
	Message  string   `json:"message"`
}

// Rules. Each names one kind of edit; the tests have a case per rule.
const (
	RuleStructLayout   = "struct-layout"     // size, field offsets or field types of a struct in both versions
	RuleTypeChanged    = "type-changed"      // underlying type of a named type in both versions
	RuleInterface      = "interface-changed" // method set of an interface in both versions
	RuleMethodSig      = "method-signature"  // signature of a method in both versions
	RuleFuncSig        = "func-signature"    // signature of an exported or value-used func in both versions
	RuleVarType        = "var-type"          // type of a package var in both versions
	RuleInit           = "init"              // init() or var initializers changed: not re-run
	RuleConst          = "const"             // constant value changed: old code keeps the old value
	RuleInlined        = "inlined"           // inlinable func changed: old callers keep the inlined old body
	RuleIfaceMethod    = "interface-method"  // method body changed: calls through interfaces run the old one
	RuleMethodAdded    = "method-added"      // method added to an existing type
	RuleFuncValue      = "func-value"        // func used as a value changed: func values bind to the first copy
	RuleGoroutine      = "goroutine"         // func that starts goroutines changed: running ones keep old code
	RuleClosureState   = "closure-state"     // package var that holds func values, in a changed package
	RuleUnreached      = "unreached"         // changed func not reached from the plugin's entry points
	RuleBody           = "body"              // changed func body reached from the entry points: updates
	RuleNew            = "new"               // new declaration
	RuleSignatureLocal = "local-signature"   // unexported func signature changed, never used as a value
	RuleNewVarInit     = "new-var-init"      // new var in a loaded package, initialized by code that does not run
	RuleInitRuns       = "init-runs"         // a loaded package without init work gains some: it runs on load
	RuleHostCallSite   = "host-call-site"    // changed func of a package the host links: the host's calls stay old
	RuleOldBinding     = "old-binding"       // changed func that code staying old still calls: a stored func value, a method, a goroutine
)

// Result is the outcome of comparing two versions.
type Result struct {
	Base     string    `json:"base"`
	Findings []Finding `json:"findings"`
}

// Status summarizes r as a manifest check status.
func (r *Result) Status() Status {
	status := StatusOK
	for _, f := range r.Findings {
		switch f.Severity {
		case Unsafe:
			return StatusUnsafe
		case Stale:
			status = StatusWarnings
		}
	}
	return status
}

// Count returns how many findings have the given severity.
func (r *Result) Count(severity Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == severity {
			n++
		}
	}
	return n
}

// Compare applies every rule to the change from old to new.
func Compare(old, new *Facts) *Result {
	c := &comparer{old: old, new: new, reached: reachable(new), oldPaths: oldBindings(old), host: map[string]bool{}}
	for _, path := range new.Host {
		c.host[path] = true
	}
	var paths []string
	for path := range new.Packages {
		if path != new.Main {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		np := new.Packages[path]
		op, ok := old.Packages[path]
		if !ok {
			c.add(Update, RuleNew, "", path, "new package: its init runs on load")
			continue
		}
		c.pkg(op, np)
	}
	sort.SliceStable(c.findings, func(i, j int) bool {
		return severityRank(c.findings[i].Severity) < severityRank(c.findings[j].Severity)
	})
	return &Result{Findings: c.findings}
}

func severityRank(s Severity) int {
	switch s {
	case Unsafe:
		return 0
	case Stale:
		return 1
	}
	return 2
}

type comparer struct {
	old, new *Facts
	reached  map[string]bool
	oldPaths map[string][]string // changed-func candidates reached by old code, with the path from its binding
	host     map[string]bool     // packages the host program links
	findings []Finding
}

func (c *comparer) add(severity Severity, rule, pos, object, format string, args ...any) {
	c.findings = append(c.findings, Finding{
		Severity: severity, Rule: rule, Pos: pos, Object: object, Message: fmt.Sprintf(format, args...),
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *comparer) pkg(op, np *PkgFacts) {
	path := np.Path
	changed := false
	// The loaded package has no init task: this version's runs on load,
	// every init func and every var initialized by code, the loaded
	// ones included.
	initRuns := !op.InitWork && np.InitWork
	for _, name := range sortedKeys(np.Types) {
		nt, ot := np.Types[name], op.Types[name]
		obj := path + "." + name
		if ot == nil {
			c.add(Update, RuleNew, nt.Pos, obj, "new type")
			changed = true
			continue
		}
		if c.typ(obj, ot, nt) {
			changed = true
		}
	}
	for _, name := range sortedKeys(np.Vars) {
		nv, ov := np.Vars[name], op.Vars[name]
		obj := path + "." + name
		if ov == nil {
			switch {
			case nv.InitTemp:
				c.add(Unsafe, RuleNewVarInit, nv.Pos, obj,
					"new var whose value the compiler puts in a numbered static temporary (&T{...}, a slice literal), in a package that is already loaded: the loaded package's temporary of that number, another value of another type, is bound in its place; initialize it in GohotOnLoad or on first use")
			case nv.InitCall && !initRuns:
				c.add(Unsafe, RuleNewVarInit, nv.Pos, obj,
					"new var initialized by a call in a package that is already loaded: its init does not run again, so the var stays the zero value, or, where the compiler evaluates the call statically (a small func it inlines, such as errors.New), it points into a numbered static temporary that may be the loaded package's; initialize it in GohotOnLoad or on first use")
			case nv.InitCode && !initRuns:
				c.add(Unsafe, RuleNewVarInit, nv.Pos, obj,
					"new var initialized by code in a package that is already loaded: its init does not run again, so the var stays the zero value (nil for a map, chan, pointer or error); initialize it in GohotOnLoad or on first use")
			case nv.InitCode:
				c.add(Update, RuleNew, nv.Pos, obj, "new var: initialized when this version's init runs on load")
			default:
				c.add(Update, RuleNew, nv.Pos, obj, "new var: initialized statically on load")
			}
			changed = true
			continue
		}
		if initRuns && nv.InitCode {
			c.add(Unsafe, RuleInitRuns, nv.Pos, obj,
				"the loaded package had no init work, so this version's init runs on load and assigns %s again: the running value is replaced; initialize it lazily or in GohotOnLoad", name)
			changed = true
		}
		if ov.Type != nv.Type {
			c.add(Unsafe, RuleVarType, nv.Pos, obj,
				"type changed from %s to %s: the var binds to the loaded copy, which holds a %s", ov.Type, nv.Type, ov.Type)
			changed = true
		}
	}
	for _, name := range sortedKeys(np.Consts) {
		nc, oc := np.Consts[name], op.Consts[name]
		obj := path + "." + name
		if oc == nil {
			c.add(Update, RuleNew, nc.Pos, obj, "new constant")
			continue
		}
		if oc.Value != nc.Value || oc.Type != nc.Type {
			c.add(Stale, RuleConst, nc.Pos, obj,
				"value changed from %s to %s: old code keeps %s compiled in", oc.Value, nc.Value, oc.Value)
			changed = true
		}
	}
	for _, key := range sortedKeys(np.Funcs) {
		if c.fn(path, key, op.Funcs[key], np.Funcs[key]) {
			changed = true
		}
	}
	switch {
	case initRuns:
		c.add(Stale, RuleInitRuns, np.InitPos, path,
			"the loaded package had no init work, so this version's init (init funcs and vars initialized by code) runs once on load")
		changed = true
	case op.InitHash != np.InitHash:
		c.add(Stale, RuleInit, np.InitPos, path,
			"init() or var initializers changed: they do not run again, the loaded package counts as initialized; move the work to an entry point the host calls")
		changed = true
	}
	if !changed {
		return
	}
	for _, name := range sortedKeys(np.Vars) {
		if v := np.Vars[name]; v.HoldsFuncs && op.Vars[name] != nil {
			c.add(Stale, RuleClosureState, v.Pos, path+"."+name,
				"holds func values (%s): closures and func values stored by the running version keep running its code", v.Type)
		}
	}
}

// typ compares one named type; it reports whether anything changed.
func (c *comparer) typ(obj string, ot, nt *TypeFacts) bool {
	changed := false
	switch {
	case len(nt.Fields) > 0 || len(ot.Fields) > 0:
		if diff := fieldDiff(ot, nt); diff != "" {
			c.add(Unsafe, RuleStructLayout, nt.Pos, obj,
				"struct layout changed (%s): values in shared state keep the old layout, new code would read them at the new offsets", diff)
			return true
		}
	case ot.Interface && nt.Interface:
		if ot.Underlying != nt.Underlying {
			c.add(Unsafe, RuleInterface, nt.Pos, obj,
				"interface changed from %s to %s: old values and itabs are built for the old method set", ot.Underlying, nt.Underlying)
			return true
		}
	case ot.Underlying != nt.Underlying || ot.Size != nt.Size:
		c.add(Unsafe, RuleTypeChanged, nt.Pos, obj,
			"underlying type changed from %s to %s: the loaded type descriptor and values keep the old one", ot.Underlying, nt.Underlying)
		return true
	}
	if nt.Interface {
		return false
	}
	for _, m := range sortedKeys(nt.Methods) {
		oldSig, ok := ot.Methods[m]
		switch {
		case !ok:
			c.add(Stale, RuleMethodAdded, nt.Pos, obj+"."+m,
				"method added to an existing type: its type descriptor stays the loaded one, so converting an old-typed value to an interface that needs %s fails at run time", m)
			changed = true
		case oldSig != nt.Methods[m]:
			c.add(Unsafe, RuleMethodSig, nt.Pos, obj+"."+m,
				"method signature changed from %s to %s: calls through interfaces reach the loaded method with the old signature", oldSig, nt.Methods[m])
			changed = true
		}
	}
	return changed
}

func fieldDiff(ot, nt *TypeFacts) string {
	if ot.Size != nt.Size {
		return fmt.Sprintf("size %d -> %d bytes", ot.Size, nt.Size)
	}
	if len(ot.Fields) != len(nt.Fields) {
		return fmt.Sprintf("%d -> %d fields", len(ot.Fields), len(nt.Fields))
	}
	for i := range nt.Fields {
		o, n := ot.Fields[i], nt.Fields[i]
		switch {
		case o.Name != n.Name:
			return fmt.Sprintf("field %d renamed %s -> %s", i, o.Name, n.Name)
		case o.Type != n.Type:
			return fmt.Sprintf("field %s type %s -> %s", n.Name, o.Type, n.Type)
		case o.Offset != n.Offset:
			return fmt.Sprintf("field %s offset %d -> %d", n.Name, o.Offset, n.Offset)
		}
	}
	return ""
}

// fn compares one func or method; it reports whether anything changed.
func (c *comparer) fn(path, key string, of, nf *FuncFacts) bool {
	obj := path + "." + key
	if of == nil {
		c.add(Update, RuleNew, nf.Pos, obj, "new func: callable from new code")
		return true
	}
	if of.Sig != nf.Sig {
		name := key[strings.LastIndex(key, ".")+1:]
		switch {
		case nf.Method:
			// Reported by the type's method set when the method is in it;
			// unexported methods are not, so report here.
			if isExported(name) {
				return true
			}
			c.add(Unsafe, RuleMethodSig, nf.Pos, obj,
				"method signature changed from %s to %s: calls through interfaces and method values reach the loaded method", of.Sig, nf.Sig)
		case nf.UsedAsValue || of.UsedAsValue:
			// A plugin's func values are its own (patch 0008): new code
			// takes the new func, old code keeps the old one, each with
			// the signature it was compiled with.
			c.add(Update, RuleFuncSig, nf.Pos, obj,
				"signature changed from %s to %s; func values new code takes have the new one, values old code stored keep calling the old func", of.Sig, nf.Sig)
		default:
			c.add(Update, RuleSignatureLocal, nf.Pos, obj,
				"signature changed from %s to %s; every caller is compiled with the one it calls", of.Sig, nf.Sig)
		}
		return true
	}
	if of.BodyHash == nf.BodyHash {
		return false
	}
	qualified := path + "." + key
	switch {
	case nf.UsedAsValue || of.UsedAsValue:
		c.add(Stale, RuleFuncValue, nf.Pos, obj,
			"changed, and used as a func value: values new code takes run the new body, but values the running version stored (callbacks, handlers) keep running the old one; register them again from GohotOnLoad")
	case nf.Method:
		c.add(Stale, RuleIfaceMethod, nf.Pos, obj,
			"method changed: direct calls in new code run it, calls through an interface (on any value) and method values stored earlier run the old one")
	case nf.Inlinable:
		c.add(Stale, RuleInlined, nf.Pos, obj,
			"small enough to be inlined: old code that inlined it keeps the old body")
	}
	if c.host[path] {
		c.add(Stale, RuleHostCallSite, nf.Pos, obj,
			"the host links %s itself: its own call sites of %s (timers, handlers and loops it owns) keep running the old body, while the new version's code runs the new one; call it through an entry point of the plugin, or rebuild the host", path, key)
	}
	if nf.Goroutines {
		c.add(Stale, RuleGoroutine, nf.Pos, obj,
			"starts goroutines: the ones the running version started keep running its code")
	}
	if path := c.oldPaths[qualified]; len(path) > 1 && c.reached[qualified] && !nf.Method && !nf.UsedAsValue && !of.UsedAsValue {
		// The func itself is not what old code holds (the func-value and
		// interface-method findings say so when it is), but what it holds
		// calls it.
		c.add(Stale, RuleOldBinding, nf.Pos, obj,
			"changed, and code that stays old still calls it: %s; those calls run the old body while the new version's code runs the new one; register values again and restart goroutines from GohotOnLoad, or reach it through the new version's entry points", describePath(c.old, path))
	}
	if c.reached[qualified] {
		c.add(Update, RuleBody, nf.Pos, obj, "new body runs when the new plugin's code calls it")
	} else {
		c.add(Stale, RuleUnreached, nf.Pos, obj,
			"changed but not reached from the plugin's entry points: only old code calls it, and old code runs the old body")
	}
	return true
}

// oldBindings finds what code of the running version keeps calling
// whatever is loaded later: funcs it stored as values (handlers,
// callbacks, timers), methods (calls through interfaces run the loaded
// type's), and funcs that started goroutines; and, through direct calls in
// that same old code, every func they reach. It maps each reached func to
// the shortest path from such a binding. Interface calls are not edges:
// the bindings include every method already.
func oldBindings(f *Facts) map[string][]string {
	funcs := map[string]*FuncFacts{}
	var roots []string
	for _, path := range sortedKeys(f.Packages) {
		pf := f.Packages[path]
		for _, key := range sortedKeys(pf.Funcs) {
			q := path + "." + key
			ff := pf.Funcs[key]
			funcs[q] = ff
			if ff.UsedAsValue || ff.Method || ff.Goroutines {
				roots = append(roots, q)
			}
		}
	}
	paths := map[string][]string{}
	queue := roots
	for _, q := range roots {
		paths[q] = []string{q}
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		ff := funcs[q]
		if ff == nil {
			continue
		}
		for _, callee := range ff.Calls {
			if _, seen := paths[callee]; seen {
				continue
			}
			p := append(append([]string(nil), paths[q]...), callee)
			paths[callee] = p
			queue = append(queue, callee)
		}
	}
	return paths
}

// describePath says how old code reaches the last func of path.
func describePath(f *Facts, path []string) string {
	root := path[0]
	var how string
	switch ff := lookupFunc(f, root); {
	case ff != nil && ff.UsedAsValue:
		how = "the running version stores " + shortName(root) + " as a func value"
	case ff != nil && ff.Method:
		how = "interface calls and method values run the loaded " + shortName(root)
	default:
		how = "goroutines started by " + shortName(root) + " in the running version keep its code"
	}
	names := make([]string, len(path))
	for i, q := range path {
		names[i] = shortName(q)
	}
	return how + ": " + strings.Join(names, " -> ")
}

func lookupFunc(f *Facts, q string) *FuncFacts {
	for path, pf := range f.Packages {
		if key, ok := strings.CutPrefix(q, path+"."); ok {
			if ff := pf.Funcs[key]; ff != nil {
				return ff
			}
		}
	}
	return nil
}

// shortName writes a qualified func with its package's last element:
// kv.Handle, kv.(*Store).Get.
func shortName(q string) string {
	slash := strings.LastIndex(q, "/")
	return q[slash+1:]
}

func isExported(name string) bool {
	return name != "" && name[0] >= 'A' && name[0] <= 'Z'
}

// reachable returns the funcs reachable by direct calls from the plugin's
// entry points.
func reachable(f *Facts) map[string]bool {
	seen := map[string]bool{}
	var walk func(q string)
	walk = func(q string) {
		if seen[q] {
			return
		}
		seen[q] = true
		if ff := lookupFunc(f, q); ff != nil {
			for _, callee := range ff.Calls {
				walk(callee)
			}
		}
	}
	for _, e := range f.Entry {
		walk(e)
	}
	// Interface calls are not edges: they dispatch through the loaded type
	// descriptors, which run the old methods anyway.
	return seen
}

// redirectResolves are the stale rules whose old calls redirect mode
// (GOHOT_REDIRECT=on) sends to the new body: func values, interface
// calls and method values, old code's direct calls, the host's call
// sites. What it leaves old stays stale: inlined copies, closures and the
// goroutines they run, constants, init work, method sets.
var redirectResolves = map[string]bool{
	RuleFuncValue:    true,
	RuleIfaceMethod:  true,
	RuleOldBinding:   true,
	RuleHostCallSite: true,
	RuleUnreached:    true,
}

// UnderRedirect returns findings as they hold for a version loaded in
// redirect mode: the stale findings redirect resolves become updates.
// The runtime redirects a function only when its signature and every type
// it uses are unchanged, which the unsafe rules already require of the
// findings concerned.
func UnderRedirect(findings []Finding) []Finding {
	out := make([]Finding, 0, len(findings))
	for _, f := range findings {
		if f.Severity == Stale && redirectResolves[f.Rule] {
			f.Severity = Update
			f.Message = "redirect mode: older versions' calls reach the new body (without redirect: " + f.Message + ")"
		} else if f.Severity == Stale && f.Rule == RuleClosureState {
			// Half of it resolves: the func values it holds of package
			// funcs and methods are redirected, its closures are not.
			f.Message += " (redirect mode: stored func values of package funcs and methods run the new body; closures keep the old code)"
		}
		out = append(out, f)
	}
	return out
}

// UnderRedirect returns r as it holds for a version loaded in redirect
// mode (see the function UnderRedirect).
func (r *Result) UnderRedirect() *Result {
	return &Result{Base: r.Base, Findings: UnderRedirect(r.Findings)}
}
