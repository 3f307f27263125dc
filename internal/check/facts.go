// Package check computes the facts of a plugin's source (package compat
// compares two versions' facts): layouts, signatures and hashes of bodies
// and initializers, type-checked with go/types (Loader).
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
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/gohot-dev/gohot/compat"
)

// Options control how facts are loaded.
type Options struct {
	BuildFlags []string // passed to go list, e.g. -tags
	Env        []string // environment for go list (nil: the process's)
	GOARCH     string   // for sizes and offsets (default: GOARCH in Env, else this program's)
}

// facts computes the facts of the type-checked packages (the main
// package last).
func (l *Loader) facts(pkgs []*packages.Package) (*compat.Facts, error) {
	main := pkgs[len(pkgs)-1]
	if main.Name != "main" {
		return nil, fmt.Errorf("load %s: package %s is not a main package (a plugin needs package main)", l.dir, main.PkgPath)
	}
	sizes := l.sizes()
	if sizes == nil {
		return nil, fmt.Errorf("load %s: no type sizes for the target GOARCH", l.dir)
	}
	root := moduleRoot(main, l.dir)
	f := &compat.Facts{Main: main.PkgPath, Packages: map[string]*compat.PkgFacts{}}
	for _, name := range main.Types.Scope().Names() {
		if fn, ok := main.Types.Scope().Lookup(name).(*types.Func); ok && fn.Exported() {
			f.Entry = append(f.Entry, main.PkgPath+"."+name)
		}
	}
	valueUses := map[string]bool{}
	for _, p := range pkgs {
		// The main package is new in every version, but its calls are the
		// entry points' edges, so it is kept too.
		f.Packages[p.PkgPath] = pkgFacts(p, sizes, root)
		for fn := range funcValueUses(p) {
			valueUses[qualifiedKey(fn)] = true
		}
	}
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

func pkgFacts(p *packages.Package, sizes types.Sizes, root string) *compat.PkgFacts {
	pf := &compat.PkgFacts{
		Path:   p.PkgPath,
		Types:  map[string]*compat.TypeFacts{},
		Vars:   map[string]*compat.VarFacts{},
		Funcs:  map[string]*compat.FuncFacts{},
		Consts: map[string]*compat.ConstFacts{},
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
			pf.Vars[name] = &compat.VarFacts{Pos: pos(obj.Pos()), Type: typeString(obj.Type()), HoldsFuncs: holdsFuncs(obj.Type(), map[types.Type]bool{})}
		case *types.Const:
			pf.Consts[name] = &compat.ConstFacts{Pos: pos(obj.Pos()), Type: typeString(obj.Type()), Value: obj.Val().ExactString()}
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
					pf.InitWork = true
					fmt.Fprintf(initHash, "init:%s\n", nodeText(p.Fset, d.Body))
					if pf.InitPos == "" {
						pf.InitPos = pos(d.Pos())
					}
					continue
				}
				key := funcKey(fn)
				pf.Funcs[key] = &compat.FuncFacts{
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
					for i, n := range vs.Names {
						vf := pf.Vars[n.Name]
						if vf == nil {
							continue
						}
						// One value per name, or one multi-value call
						// for all of them.
						v := vs.Values[0]
						if len(vs.Values) == len(vs.Names) {
							v = vs.Values[i]
						}
						static, temp := staticInit(p.TypesInfo, v)
						vf.InitCode, vf.InitTemp = !static, static && temp
						vf.InitCall = vf.InitCode && funcCall(p.TypesInfo, v)
					}
					if pf.InitPos == "" {
						pf.InitPos = pos(vs.Pos())
					}
				}
			}
		}
	}
	pf.InitHash = hex.EncodeToString(initHash.Sum(nil))
	for _, v := range pf.Vars {
		pf.InitWork = pf.InitWork || v.InitCode
	}
	return pf
}

func typeFacts(obj *types.TypeName, sizes types.Sizes, pos func(token.Pos) string) *compat.TypeFacts {
	t := obj.Type()
	under := t.Underlying()
	tf := &compat.TypeFacts{Pos: pos(obj.Pos()), Underlying: typeString(under)}
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
			tf.Fields = append(tf.Fields, compat.Field{Name: fld.Name(), Type: typeString(fld.Type()), Offset: offsets[i]})
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
// isStdPath reports whether an import path is a standard library one: no
// dot in its first element.
func isStdPath(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func holdsFuncs(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && isStdPath(n.Obj().Pkg().Path()) {
		// A standard library struct's func fields (sync.Map's hash
		// functions) are its own machinery, not values user code stored;
		// a standard func type (http.HandlerFunc) is one.
		_, isFunc := n.Underlying().(*types.Signature)
		return isFunc
	}
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
	// A declaration without a body (a function written in assembly, or
	// one cgo's generated code links to) has a nil *ast.BlockStmt.
	if n == nil || reflect.ValueOf(n).IsNil() {
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

// likelyInlinable approximates the compiler's inlining budget (80 IR
// nodes) with 40 AST nodes, as the IR has more nodes than the AST for the
// same code (implicit conversions, assignments and calls expand), and
// excludes what the compiler never inlines.
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

// funcCall reports whether e calls a func, which the compiler may evaluate
// statically by inlining it; make, new and conversions it never does.
func funcCall(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	tv := info.Types[call.Fun]
	return !tv.IsBuiltin() && !tv.IsType()
}

// staticInit reports whether the compiler writes a package var initialized
// with e statically (cmd/compile/internal/staticinit), so that the value is
// in the plugin's data even when the package's init does not run: a
// constant, nil, a func or func literal, the address of a package var, and
// composite literals (not maps) and their addresses built of those. temp
// reports whether the value lives in a static temporary (&T{...}, a slice
// literal), which the compiler names by a per-package counter. It answers
// static false for anything it is not sure of, which makes gohot check ask
// for an explicit initialization rather than miss a nil var.
func staticInit(info *types.Info, e ast.Expr) (static, temp bool) {
	if tv, ok := info.Types[e]; ok && (tv.Value != nil || tv.IsNil()) {
		return true, false
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return staticInit(info, e.X)
	case *ast.FuncLit:
		// At package level a func literal captures nothing.
		return true, false
	case *ast.Ident:
		_, isFunc := info.Uses[e].(*types.Func)
		return isFunc, false
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil {
			return sel.Kind() == types.MethodExpr, false
		}
		_, isFunc := info.Uses[e.Sel].(*types.Func)
		return isFunc, false
	case *ast.UnaryExpr:
		if e.Op != token.AND {
			return false, false
		}
		switch x := ast.Unparen(e.X).(type) {
		case *ast.CompositeLit:
			static, _ := staticInit(info, x)
			return static, true
		case *ast.Ident:
			v, ok := info.Uses[x].(*types.Var)
			return ok && v.Parent() == v.Pkg().Scope(), false
		}
		return false, false
	case *ast.CompositeLit:
		switch info.TypeOf(e).Underlying().(type) {
		case *types.Map:
			return false, false
		case *types.Slice:
			temp = true
		}
		for _, elt := range e.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				elt = kv.Value
			}
			s, t := staticInit(info, elt)
			if !s {
				return false, false
			}
			temp = temp || t
		}
		return true, temp
	}
	return false, false
}
