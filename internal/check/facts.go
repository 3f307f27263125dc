// Package check compares two versions of a plugin's source and says which
// edits are unsafe to hot-reload over shared state, which will load but stay
// stale for old code, and what will update.
//
// The rules follow what the testscript suite proves about gohot reloads:
// code compiled into the new plugin runs its own copies of functions, while
// data (package vars, type descriptors and itabs, func values, init state)
// binds to the first loaded copy.
package check

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Facts are what a version of the source looks like to shared state and to
// old code: layouts, signatures, and hashes of bodies and initializers. They
// are computed from source with go/packages and go/types, and stored in a
// plugin's manifest so a later check can compare against the loaded version
// without its source.
type Facts struct {
	Main     string               `json:"main"`     // import path of the plugin's main package
	Entry    []string             `json:"entry"`    // exported funcs of the main package
	Packages map[string]*PkgFacts `json:"packages"` // user packages the plugin links, by import path
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

// Options control how facts are loaded.
type Options struct {
	BuildFlags []string // passed to go list, e.g. -tags
	Env        []string // environment for go list (nil: the process's)
	GOARCH     string   // for sizes and offsets (default amd64)
}

// Load computes the facts of the main package in dir and of every
// non-standard package it imports.
func Load(dir string, opts Options) (*Facts, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
			packages.NeedTypesInfo | packages.NeedImports | packages.NeedDeps | packages.NeedModule |
			packages.NeedTypesSizes,
		Dir:        dir,
		BuildFlags: opts.BuildFlags,
		Env:        opts.Env,
	}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if len(pkgs) != 1 {
		return nil, fmt.Errorf("load %s: want one package, got %d", dir, len(pkgs))
	}
	main := pkgs[0]
	var errs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("load %s: %s", dir, strings.Join(errs, "; "))
	}
	if main.Name != "main" {
		return nil, fmt.Errorf("load %s: package %s is not a main package (a plugin needs package main)", dir, main.PkgPath)
	}
	goarch := opts.GOARCH
	if goarch == "" {
		goarch = "amd64"
	}
	sizes := types.SizesFor("gc", goarch)
	if sizes == nil {
		return nil, fmt.Errorf("load %s: no type sizes for GOARCH=%s", dir, goarch)
	}
	root := moduleRoot(main, dir)
	f := &Facts{Main: main.PkgPath, Packages: map[string]*PkgFacts{}}
	for _, name := range main.Types.Scope().Names() {
		if fn, ok := main.Types.Scope().Lookup(name).(*types.Func); ok && fn.Exported() {
			f.Entry = append(f.Entry, main.PkgPath+"."+name)
		}
	}
	valueUses := map[string]bool{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Module == nil || p.Types == nil {
			return // standard library: no module
		}
		// The main package is new in every version, but its calls are the
		// entry points' edges, so it is kept too.
		f.Packages[p.PkgPath] = pkgFacts(p, sizes, root)
		for fn := range funcValueUses(p) {
			valueUses[qualifiedKey(fn)] = true
		}
	})
	for path, pf := range f.Packages {
		for key, ff := range pf.Funcs {
			ff.UsedAsValue = valueUses[path+"."+key]
		}
	}
	return f, nil
}

func moduleRoot(p *packages.Package, dir string) string {
	if p.Module != nil && p.Module.Dir != "" {
		return p.Module.Dir
	}
	return dir
}

func qualifier(p *types.Package) string { return p.Path() }

func typeString(t types.Type) string { return types.TypeString(t, qualifier) }

func pkgFacts(p *packages.Package, sizes types.Sizes, root string) *PkgFacts {
	pf := &PkgFacts{
		Path:   p.PkgPath,
		Types:  map[string]*TypeFacts{},
		Vars:   map[string]*VarFacts{},
		Funcs:  map[string]*FuncFacts{},
		Consts: map[string]*ConstFacts{},
	}
	pos := func(at token.Pos) string {
		position := p.Fset.Position(at)
		name := position.Filename
		if rel, err := filepath.Rel(root, name); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		return fmt.Sprintf("%s:%d", filepath.ToSlash(name), position.Line)
	}
	scope := p.Types.Scope()
	for _, name := range scope.Names() {
		switch obj := scope.Lookup(name).(type) {
		case *types.TypeName:
			if obj.IsAlias() {
				continue
			}
			pf.Types[name] = typeFacts(obj, sizes, pos)
		case *types.Var:
			pf.Vars[name] = &VarFacts{Pos: pos(obj.Pos()), Type: typeString(obj.Type()), HoldsFuncs: holdsFuncs(obj.Type(), map[types.Type]bool{})}
		case *types.Const:
			pf.Consts[name] = &ConstFacts{Pos: pos(obj.Pos()), Type: typeString(obj.Type()), Value: obj.Val().ExactString()}
		}
	}
	initHash := sha256.New()
	for _, file := range p.Syntax {
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				fn, ok := p.TypesInfo.Defs[d.Name].(*types.Func)
				if !ok {
					continue
				}
				if d.Recv == nil && d.Name.Name == "init" {
					fmt.Fprintf(initHash, "init:%s\n", nodeText(p.Fset, d.Body))
					if pf.InitPos == "" {
						pf.InitPos = pos(d.Pos())
					}
					continue
				}
				key := funcKey(fn)
				pf.Funcs[key] = &FuncFacts{
					Pos:        pos(d.Name.Pos()),
					Sig:        typeString(fn.Type()),
					BodyHash:   hashText(nodeText(p.Fset, d.Body)),
					Inlinable:  likelyInlinable(d),
					Goroutines: hasGoStmt(d.Body),
					Method:     d.Recv != nil,
					Calls:      directCalls(p, d.Body),
				}
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					if len(vs.Values) == 0 {
						continue
					}
					var names []string
					for _, n := range vs.Names {
						names = append(names, n.Name)
					}
					fmt.Fprintf(initHash, "var %s = %s\n", strings.Join(names, ","), nodeText(p.Fset, &ast.CompositeLit{Elts: vs.Values}))
					if pf.InitPos == "" {
						pf.InitPos = pos(vs.Pos())
					}
				}
			}
		}
	}
	pf.InitHash = hex.EncodeToString(initHash.Sum(nil))
	return pf
}

func typeFacts(obj *types.TypeName, sizes types.Sizes, pos func(token.Pos) string) *TypeFacts {
	t := obj.Type()
	under := t.Underlying()
	tf := &TypeFacts{Pos: pos(obj.Pos()), Underlying: typeString(under)}
	if named, ok := t.(*types.Named); ok && named.TypeParams().Len() > 0 {
		// Generic types have no size until instantiated; compare their
		// declarations only.
		return tf
	}
	tf.Size = sizes.Sizeof(t)
	tf.Align = sizes.Alignof(t)
	if st, ok := under.(*types.Struct); ok {
		var fields []*types.Var
		for i := 0; i < st.NumFields(); i++ {
			fields = append(fields, st.Field(i))
		}
		offsets := sizes.Offsetsof(fields)
		for i, fld := range fields {
			tf.Fields = append(tf.Fields, Field{Name: fld.Name(), Type: typeString(fld.Type()), Offset: offsets[i]})
		}
	}
	var mset *types.MethodSet
	if iface, ok := under.(*types.Interface); ok {
		tf.Interface = true
		mset = types.NewMethodSet(iface)
	} else {
		mset = types.NewMethodSet(types.NewPointer(t))
	}
	if mset.Len() > 0 {
		tf.Methods = map[string]string{}
		for i := 0; i < mset.Len(); i++ {
			m := mset.At(i).Obj()
			tf.Methods[m.Name()] = typeString(m.Type())
		}
	}
	return tf
}

// holdsFuncs reports whether values of t can hold func values: closures
// stored there keep running the version that stored them.
func holdsFuncs(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Signature:
		return true
	case *types.Pointer:
		return holdsFuncs(u.Elem(), seen)
	case *types.Slice:
		return holdsFuncs(u.Elem(), seen)
	case *types.Array:
		return holdsFuncs(u.Elem(), seen)
	case *types.Map:
		return holdsFuncs(u.Key(), seen) || holdsFuncs(u.Elem(), seen)
	case *types.Chan:
		return holdsFuncs(u.Elem(), seen)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if holdsFuncs(u.Field(i).Type(), seen) {
				return true
			}
		}
	}
	return false
}

func funcKey(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	recv := sig.Recv()
	if recv == nil {
		return fn.Name()
	}
	rt := recv.Type()
	ptr := false
	if p, ok := rt.(*types.Pointer); ok {
		rt, ptr = p.Elem(), true
	}
	name := "?"
	if n, ok := rt.(*types.Named); ok {
		name = n.Obj().Name()
	}
	if ptr {
		return "(*" + name + ")." + fn.Name()
	}
	return name + "." + fn.Name()
}

// qualifiedKey names fn across packages: "example.com/p.F", "example.com/p.T.M".
func qualifiedKey(fn *types.Func) string {
	if fn.Pkg() == nil {
		return fn.Name()
	}
	return fn.Pkg().Path() + "." + funcKey(fn)
}

func nodeText(fset *token.FileSet, n ast.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	// Printing the node drops comments and normalizes layout, so moving
	// code or editing a comment does not count as a change of body.
	if err := printer.Fprint(&b, fset, n); err != nil {
		return fmt.Sprintf("unprintable:%v", err)
	}
	return b.String()
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// likelyInlinable approximates the compiler's inlining budget (80 nodes)
// by counting AST nodes, and excludes what the compiler never inlines.
func likelyInlinable(d *ast.FuncDecl) bool {
	if d.Body == nil {
		return false
	}
	if d.Doc != nil {
		for _, c := range d.Doc.List {
			if strings.HasPrefix(c.Text, "//go:noinline") {
				return false
			}
		}
	}
	nodes, blocked := 0, false
	ast.Inspect(d.Body, func(n ast.Node) bool {
		switch n.(type) {
		case nil:
			return false
		case *ast.GoStmt, *ast.DeferStmt, *ast.SelectStmt:
			blocked = true
		}
		nodes++
		return true
	})
	return !blocked && nodes <= 40
}

func hasGoStmt(body *ast.BlockStmt) bool {
	found := false
	if body == nil {
		return false
	}
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.GoStmt); ok {
			found = true
		}
		return !found
	})
	return found
}

// directCalls lists the funcs and methods a body calls statically.
func directCalls(p *packages.Package, body *ast.BlockStmt) []string {
	if body == nil {
		return nil
	}
	set := map[string]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var id *ast.Ident
		switch fun := ast.Unparen(call.Fun).(type) {
		case *ast.Ident:
			id = fun
		case *ast.SelectorExpr:
			id = fun.Sel
		case *ast.IndexExpr: // generic instantiation
			if sel, ok := fun.X.(*ast.SelectorExpr); ok {
				id = sel.Sel
			} else if i, ok := fun.X.(*ast.Ident); ok {
				id = i
			}
		}
		if id == nil {
			return true
		}
		if fn, ok := p.TypesInfo.Uses[id].(*types.Func); ok {
			if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
				if _, isIface := sig.Recv().Type().Underlying().(*types.Interface); isIface {
					return true // dynamic: resolved at run time
				}
			}
			set[qualifiedKey(fn.Origin())] = true
		}
		return true
	})
	calls := make([]string, 0, len(set))
	for c := range set {
		calls = append(calls, c)
	}
	sort.Strings(calls)
	return calls
}

// funcValueUses finds the package-level funcs of any package that p's code
// uses as values (f := pkg.F, go pkg.F(), handlers) rather than calls.
func funcValueUses(p *packages.Package) map[*types.Func]bool {
	called := map[*ast.Ident]bool{}
	for _, file := range p.Syntax {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch fun := ast.Unparen(n.Fun).(type) {
				case *ast.Ident:
					called[fun] = true
				case *ast.SelectorExpr:
					called[fun.Sel] = true
				case *ast.IndexExpr:
					if sel, ok := fun.X.(*ast.SelectorExpr); ok {
						called[sel.Sel] = true
					} else if i, ok := fun.X.(*ast.Ident); ok {
						called[i] = true
					}
				}
			case *ast.FuncDecl:
				called[n.Name] = true // the declaration itself
			}
			return true
		})
	}
	uses := map[*types.Func]bool{}
	for id, obj := range p.TypesInfo.Uses {
		fn, ok := obj.(*types.Func)
		if !ok || called[id] {
			continue
		}
		if sig := fn.Type().(*types.Signature); sig.Recv() != nil {
			continue // method values and expressions: reported per type
		}
		uses[fn.Origin()] = true
	}
	return uses
}
