package compat

import (
	"reflect"
	"testing"
)

func facts(vars map[string]string, funcs map[string]string) *Facts {
	pf := &PkgFacts{Path: "example.com/app/logic", Vars: map[string]*VarFacts{}, Funcs: map[string]*FuncFacts{}}
	for name, typ := range vars {
		pf.Vars[name] = &VarFacts{Pos: "logic/logic.go:3", Type: typ}
	}
	for name, body := range funcs {
		pf.Funcs[name] = &FuncFacts{Pos: "logic/logic.go:5", Sig: "func()", BodyHash: body}
	}
	return &Facts{Main: "example.com/app/plugin", Entry: []string{"example.com/app/logic.Run"},
		Packages: map[string]*PkgFacts{pf.Path: pf}}
}

func unsafeFindings(r *Result) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == Unsafe {
			out = append(out, f)
		}
	}
	return out
}

// A var that v2 adds and v3, checked against v1, retypes is unsafe against
// the process that loaded v1 and v2, though v3's own check passed.
func TestBoundVarAddedThenRetyped(t *testing.T) {
	v1 := facts(nil, map[string]string{"Run": "a"})
	v2 := facts(map[string]string{"Table": "map[string]int"}, map[string]string{"Run": "b"})
	v3 := facts(map[string]string{"Table": "map[string]string"}, map[string]string{"Run": "c"})

	if got := unsafeFindings(Compare(v1, v3)); len(got) != 0 {
		t.Fatalf("v3 against v1: got unsafe findings %v, want none", got)
	}
	got := unsafeFindings(Compare(Bound(Bound(nil, v1), v2), v3))
	want := []Finding{{
		Severity: Unsafe, Rule: RuleVarType, Pos: "logic/logic.go:3", Object: "example.com/app/logic.Table",
		Message: "type changed from map[string]int to map[string]string: the var binds to the loaded copy, which holds a map[string]int",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v3 against v1+v2:\ngot  %+v\nwant %+v", got, want)
	}
}

// A var that v2 removes is still bound in the process: v3 bringing it back
// with another type is unsafe, though v3 against v2 sees a new var.
func TestBoundVarRemovedThenBack(t *testing.T) {
	v1 := facts(map[string]string{"Count": "int"}, map[string]string{"Run": "a"})
	v2 := facts(nil, map[string]string{"Run": "b"})
	v3 := facts(map[string]string{"Count": "string"}, map[string]string{"Run": "c"})

	if got := unsafeFindings(Compare(v2, v3)); len(got) != 0 {
		t.Fatalf("v3 against v2: got unsafe findings %v, want none", got)
	}
	bound := Bound(Bound(nil, v1), v2)
	got := unsafeFindings(Compare(bound, v3))
	if len(got) != 1 || got[0].Rule != RuleVarType || got[0].Object != "example.com/app/logic.Count" {
		t.Errorf("v3 against v1+v2: got %+v, want one var-type finding for Count", got)
	}
	// Funcs are the latest loaded version's: Run's body is compared with v2's.
	if h := bound.Packages["example.com/app/logic"].Funcs["Run"].BodyHash; h != "b" {
		t.Errorf("bound Run body hash = %q, want v2's %q", h, "b")
	}
	// The inputs are not modified.
	if _, ok := v2.Packages["example.com/app/logic"].Vars["Count"]; ok {
		t.Error("Bound added Count to v2's facts")
	}
}

// A changed func of a package the host links itself: the host's own call
// sites keep the old body, which check reports with the path.
func TestHostCallSite(t *testing.T) {
	v1 := facts(nil, map[string]string{"Save": "a"})
	v2 := facts(nil, map[string]string{"Save": "b"})
	v2.Host = []string{"example.com/app/logic"}
	var got []string
	for _, f := range Compare(v1, v2).Findings {
		got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Object)
	}
	want := []string{
		"stale host-call-site example.com/app/logic.Save",
		"stale unreached example.com/app/logic.Save",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\ngot  %q\nwant %q", got, want)
	}
	v2.Host = nil
	for _, f := range Compare(v1, v2).Findings {
		if f.Rule == RuleHostCallSite {
			t.Errorf("without a host: %+v", f)
		}
	}
}

// v1 had init work and v2 none: the process still has v1's init task, so
// v3's init does not run. A new var v3 initializes by code stays zero
// (new-var-init), not "initialized on load" (init-runs).
func TestBoundInitTaskOfFirstVersion(t *testing.T) {
	v1 := facts(map[string]string{"Names": "map[string]int"}, nil)
	v1.Packages["example.com/app/logic"].InitWork = true
	v2 := facts(map[string]string{"Names": "map[string]int"}, nil)
	v3 := facts(map[string]string{"Names": "map[string]int", "Cache": "map[string]int"}, nil)
	v3.Packages["example.com/app/logic"].InitWork = true
	v3.Packages["example.com/app/logic"].Vars["Cache"].InitCode = true
	var got []string
	for _, f := range Compare(Bound(Bound(nil, v1), v2), v3).Findings {
		got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Object)
	}
	want := []string{"unsafe new-var-init example.com/app/logic.Cache"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\ngot  %q\nwant %q", got, want)
	}
}

// v1 stored Handle as a func value, and Handle called ttl; v2 neither
// stores it nor calls ttl from it. v1's stored value is still in the
// process, so v3 changing ttl is stale against v1+v2 with v1's path,
// though v3 against v2 alone finds no old binding.
func TestBoundOldBindingsOfEarlierVersions(t *testing.T) {
	version := func(ttlBody string, v1Shape bool) *Facts {
		f := facts(nil, map[string]string{"Run": "run", "Handle": "handle", "ttl": ttlBody})
		funcs := f.Packages["example.com/app/logic"].Funcs
		funcs["Run"].Calls = []string{"example.com/app/logic.ttl"}
		if v1Shape {
			funcs["Handle"].UsedAsValue = true
			funcs["Handle"].Calls = []string{"example.com/app/logic.ttl"}
		}
		return f
	}
	v1, v2, v3 := version("a", true), version("a", false), version("b", false)
	findings := func(r *Result) []string {
		var got []string
		for _, f := range r.Findings {
			got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Object+": "+f.Message)
		}
		return got
	}
	want := []string{"update body example.com/app/logic.ttl: new body runs when the new plugin's code calls it"}
	if got := findings(Compare(v2, v3)); !reflect.DeepEqual(got, want) {
		t.Errorf("v3 against v2:\ngot  %q\nwant %q", got, want)
	}
	want = []string{
		"stale old-binding example.com/app/logic.ttl: changed, and code that stays old still calls it: the running version stores logic.Handle as a func value: logic.Handle -> logic.ttl; those calls run the old body while the new version's code runs the new one; register values again and restart goroutines from GohotOnLoad, or reach it through the new version's entry points",
		"update body example.com/app/logic.ttl: new body runs when the new plugin's code calls it",
	}
	if got := findings(Compare(Bound(Bound(nil, v1), v2), v3)); !reflect.DeepEqual(got, want) {
		t.Errorf("v3 against v1+v2:\ngot  %q\nwant %q", got, want)
	}
	if v2.Packages["example.com/app/logic"].Funcs["Handle"].UsedAsValue {
		t.Error("Bound modified v2's facts")
	}
}
