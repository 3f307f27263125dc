// Package logic is the code the example changes between svc v0 and v1.
//
// v1: Foo counts double.
package logic

import "fmt"

// Visits is state: it lives in the first loaded copy of the package and
// survives every reload.
var Visits int

// Greeting is the var initializer v1 changes: it does not run again.
var Greeting = "hello from v1's initializer"

// Foo is the package func v1 rewrites: it now counts double.
//
//go:noinline
func Foo() string {
	Visits += 2
	return fmt.Sprintf("Foo v1 (visit %d)", Visits)
}
