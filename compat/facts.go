// Package compat decides what loading one version of a plugin's source over
// another does to a running process: which edits are unsafe over shared
// state, which load but stay stale for old code, and what updates. gohot
// check applies it to two versions of the source; the host library applies
// it, before plugin.Open, to the facts the manifests of the new version and
// of the loaded generations carry.
//
// The rules follow what the testscript suite proves about gohot reloads:
// code compiled into the new plugin runs its own copies of functions, func
// literals and func values, while package vars, type descriptors and itabs
// bind to the first loaded copy, and init state is not redone.
package compat

// Facts are what a version of the source looks like to shared state and to
// old code: layouts, signatures, and hashes of bodies and initializers. They
// are computed from source with go/packages and go/types, and stored in a
// plugin's manifest so a later check can compare against the loaded version
// without its source.
type Facts struct {
	Main     string               `json:"main"`     // import path of the plugin's main package
	Entry    []string             `json:"entry"`    // exported funcs of the main package
	Packages map[string]*PkgFacts `json:"packages"` // user packages the plugin links, by import path
	// Host are the user packages the host program links itself (gohot
	// build --host): its own call sites of their funcs keep the code it
	// was built with, whatever version is loaded.
	Host []string `json:"host,omitempty"`
}

// PkgFacts are the facts of one package.
type PkgFacts struct {
	Path     string                 `json:"path"`
	Types    map[string]*TypeFacts  `json:"types,omitempty"`
	Vars     map[string]*VarFacts   `json:"vars,omitempty"`
	Funcs    map[string]*FuncFacts  `json:"funcs,omitempty"` // "F", "T.M", "(*T).M"
	Consts   map[string]*ConstFacts `json:"consts,omitempty"`
	InitHash string                 `json:"init_hash"` // init funcs and var initializers
	InitPos  string                 `json:"init_pos,omitempty"`
	// InitWork: the package has init work (an init func, or a var the
	// compiler initializes with code), so the compiler gives it an init
	// task. A later version's init task binds to the loaded one and does
	// not run; a package loaded without one gets the later version's,
	// which runs on load.
	InitWork bool `json:"init_work,omitempty"`
}

// TypeFacts describe a package-level named type.
type TypeFacts struct {
	Pos        string            `json:"pos"`
	Underlying string            `json:"underlying"`
	Size       int64             `json:"size"`
	Align      int64             `json:"align"`
	Fields     []Field           `json:"fields,omitempty"`  // structs
	Methods    map[string]string `json:"methods,omitempty"` // method set of *T (or the interface's), name -> signature
	Interface  bool              `json:"interface,omitempty"`
}

// Field is one struct field and where it lives.
type Field struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Offset int64  `json:"offset"`
}

// VarFacts describe a package-level var.
type VarFacts struct {
	Pos        string `json:"pos"`
	Type       string `json:"type"`
	HoldsFuncs bool   `json:"holds_funcs,omitempty"` // its type can hold func values
	// InitCode: the initializer needs code at run time (a map literal, a
	// call), which only the package's init runs; the linker cannot write
	// the value statically.
	InitCode bool `json:"init_code,omitempty"`
	// InitTemp: initialized statically, but its value lives in a static
	// temporary (&T{...}, a slice literal) that the compiler names by a
	// per-package counter, and which binds like a var to the loaded
	// package's temporary of the same name.
	InitTemp bool `json:"init_temp,omitempty"`
	// InitCall: initialized by a call. The compiler evaluates some calls
	// statically (a small func it inlines, errors.New), and then the value
	// sits in a numbered static temporary rather than waiting for init.
	InitCall bool `json:"init_call,omitempty"`
}

// FuncFacts describe a package-level func or a method.
type FuncFacts struct {
	Pos         string   `json:"pos"`
	Sig         string   `json:"sig"`
	BodyHash    string   `json:"body_hash"`
	Inlinable   bool     `json:"inlinable,omitempty"`  // small enough that the compiler likely inlines it
	Goroutines  bool     `json:"goroutines,omitempty"` // contains a go statement
	Method      bool     `json:"method,omitempty"`
	UsedAsValue bool     `json:"used_as_value,omitempty"` // referenced other than in a call
	Calls       []string `json:"calls,omitempty"`         // package-qualified funcs it calls directly
}

// ConstFacts describe a package-level constant.
type ConstFacts struct {
	Pos   string `json:"pos"`
	Type  string `json:"type"`
	Value string `json:"value"`
}
