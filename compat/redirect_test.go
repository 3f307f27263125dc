package compat

import (
	"reflect"
	"testing"
)

// Under redirect the findings about old calls become updates; what
// redirect leaves old stays stale; unsafe and update findings are as they
// were.
func TestUnderRedirect(t *testing.T) {
	in := []Finding{
		{Severity: Unsafe, Rule: RuleVarType, Object: "a.V", Message: "m"},
		{Severity: Stale, Rule: RuleFuncValue, Object: "a.F", Message: "values stored run the old body"},
		{Severity: Stale, Rule: RuleIfaceMethod, Object: "a.T.M", Message: "m"},
		{Severity: Stale, Rule: RuleOldBinding, Object: "a.g", Message: "m"},
		{Severity: Stale, Rule: RuleHostCallSite, Object: "a.H", Message: "m"},
		{Severity: Stale, Rule: RuleUnreached, Object: "a.u", Message: "m"},
		{Severity: Stale, Rule: RuleInlined, Object: "a.small", Message: "m"},
		{Severity: Stale, Rule: RuleGoroutine, Object: "a.Start", Message: "m"},
		{Severity: Stale, Rule: RuleClosureState, Object: "a.handlers", Message: "m"},
		{Severity: Update, Rule: RuleBody, Object: "a.F", Message: "m"},
	}
	var got []string
	for _, f := range UnderRedirect(in) {
		got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Object)
	}
	want := []string{
		"unsafe var-type a.V",
		"update func-value a.F",
		"update interface-method a.T.M",
		"update old-binding a.g",
		"update host-call-site a.H",
		"update unreached a.u",
		"stale inlined a.small",
		"stale goroutine a.Start",
		"stale closure-state a.handlers",
		"update body a.F",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnderRedirect:\ngot  %q\nwant %q", got, want)
	}
	if msg := UnderRedirect(in)[1].Message; msg != "redirect mode: older versions' calls reach the new body (without redirect: values stored run the old body)" {
		t.Errorf("message: %q", msg)
	}
	if msg := UnderRedirect(in)[8].Message; msg != "m (redirect mode: stored func values of package funcs and methods run the new body; closures keep the old code)" {
		t.Errorf("closure-state message: %q", msg)
	}
	if in[1].Severity != Stale {
		t.Error("UnderRedirect modified its input")
	}
}
