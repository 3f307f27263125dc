// Command svc is the plugin: its exported funcs are the entry points the
// host calls. The same file serves v0 and v1; only package logic changes.
package main

import (
	"example.com/basic/logic"
)

// Call runs Foo from this version's code.
func Call() string { return logic.Foo() }

// Remember stores a closure and a func value in host-owned state: both keep
// running the version that stored them.
func Remember(store map[string]func() string) {
	store["closure"] = func() string { return logic.Foo() }
	store["func value"] = logic.Foo
}

// Greeting shows that var initializers of a changed package do not re-run.
func Greeting() string { return logic.Greeting }

func main() {}
