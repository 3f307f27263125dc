package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/internal/gotool"
)

// A Loader computes the facts of one plugin's source, again and again as
// it is edited (gohot watch). What an edit of a function body or a
// declaration cannot change is kept from one load to the next: the go
// command's listing of the package graph and the standard library's types,
// read from export data once. Each load parses and type-checks the
// non-standard packages again; it lists the graph again only when a
// package's files, imports or build constraints, or the module's go.mod or
// go.sum, changed since the listing.
//
// A Loader is not safe for concurrent use.
type Loader struct {
	dir  string
	opts Options

	fset    *token.FileSet
	graph   *listing
	std     map[string]*types.Package // the standard library's types, shared by every load
	exports map[string]string         // export data file of each standard package imported from source

	// Lists counts the go command's listings, for tests of what is kept.
	Lists int
}

// NewLoader returns a Loader of the main package in dir.
func NewLoader(dir string, opts Options) *Loader {
	return &Loader{dir: dir, opts: opts}
}

// Load computes the facts of the main package in dir and of every
// non-standard package it imports.
func Load(dir string, opts Options) (*compat.Facts, error) {
	return NewLoader(dir, opts).Load(context.Background())
}

// listing is what go list said of the package graph, and what the loader
// compares before each load to know it still holds.
type listing struct {
	cgo         bool                // a package uses cgo: list again at every load
	user        []*listedPackage    // non-standard packages, dependencies first, main last
	stamps      map[string]string   // package directory -> gotool.DirStamp; go.mod, go.sum -> gotool.Stamp
	dirs        map[string][]string // package directory -> the Go files its constraints leave out
	constraints map[string]string   // file -> its //go:build line, as first parsed
}

// listedPackage is one package as go list -json describes it.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	Ignored    []string `json:"IgnoredGoFiles"`
	Imports    []string
	ImportMap  map[string]string
	Module     *struct{ Path, Dir, GoVersion string }
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }

	compiled []string // a cgo package's Go files as compiled (go list -compiled)
}

// Load computes the facts of the package as its files are now.
func (l *Loader) Load(ctx context.Context) (*compat.Facts, error) {
	if l.graph == nil || !l.graph.holds() {
		if err := l.list(ctx); err != nil {
			return nil, fmt.Errorf("load %s: %w", l.dir, err)
		}
	}
	pkgs, err := l.typeCheck()
	if errors.Is(err, errStale) {
		// A file's imports or constraints changed: list again, once.
		if err = l.list(ctx); err == nil {
			pkgs, err = l.typeCheck()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", l.dir, err)
	}
	return l.facts(pkgs)
}

// list asks the go command for the package graph and, for the standard
// packages imported from source, where their export data is.
func (l *Loader) list(ctx context.Context) error {
	l.Lists++
	l.graph = nil
	out, err := l.goList(ctx, "-e", "-deps", "-json=ImportPath,Name,Dir,Standard,GoFiles,CgoFiles,IgnoredGoFiles,Imports,ImportMap,Module,Error,DepsErrors", ".")
	if err != nil {
		return err
	}
	g := &listing{stamps: map[string]string{}, dirs: map[string][]string{}, constraints: map[string]string{}}
	var stdImports, cgo []string
	seen := map[string]bool{}
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		p := new(listedPackage)
		if err := dec.Decode(p); err != nil {
			return fmt.Errorf("go list: %w", err)
		}
		if p.Error != nil {
			return fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		if p.Standard {
			continue
		}
		if len(p.DepsErrors) > 0 {
			return fmt.Errorf("package %s: %s", p.ImportPath, p.DepsErrors[0].Err)
		}
		if len(p.CgoFiles) > 0 {
			cgo = append(cgo, p.ImportPath)
		}
		g.user = append(g.user, p)
		seen[p.ImportPath] = true
		// go list -deps lists a package after its dependencies: an
		// import not seen as a non-standard package is standard.
		for _, imp := range p.Imports {
			if imp != "unsafe" && imp != "C" && !seen[imp] {
				seen[imp] = true
				stdImports = append(stdImports, imp)
			}
		}
	}
	if len(g.user) == 0 {
		return fmt.Errorf("go list: no package")
	}
	if len(cgo) > 0 {
		// A cgo package is type-checked as the compiler sees it: the Go
		// files cgo generates (in the build cache), which go list -compiled
		// writes. They change with its sources, and nothing here tells
		// when, so such a graph is listed again at every load.
		g.cgo = true
		out, err := l.goList(ctx, append([]string{"-e", "-compiled", "-json=ImportPath,Dir,CompiledGoFiles,Imports,Error"}, cgo...)...)
		if err != nil {
			return err
		}
		compiled := map[string][]string{}
		for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
			var p struct {
				ImportPath, Dir string
				CompiledGoFiles []string
				Imports         []string
				Error           *struct{ Err string }
			}
			if err := dec.Decode(&p); err != nil {
				return fmt.Errorf("go list: %w", err)
			}
			if p.Error != nil {
				return fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
			}
			compiled[p.ImportPath] = p.CompiledGoFiles
			// The generated files import what cgo's code needs
			// (syscall, runtime/cgo).
			for _, imp := range p.Imports {
				if imp != "unsafe" && imp != "C" && !seen[imp] {
					seen[imp] = true
					stdImports = append(stdImports, imp)
				}
			}
		}
		for _, p := range g.user {
			if len(p.CgoFiles) > 0 {
				p.compiled = compiled[p.ImportPath]
			}
		}
	}
	for _, p := range g.user {
		g.dirs[p.Dir] = p.Ignored
		g.stamps[p.Dir] = gotool.DirStamp(p.Dir, p.Ignored)
		if p.Module != nil {
			for _, f := range []string{"go.mod", "go.sum"} {
				path := filepath.Join(p.Module.Dir, f)
				g.stamps[path] = gotool.Stamp(path)
			}
		}
	}
	var missing []string
	for _, imp := range stdImports {
		if _, ok := l.exports[imp]; !ok {
			missing = append(missing, imp)
		}
	}
	if len(missing) > 0 {
		out, err := l.goList(ctx, append([]string{"-export", "-f", "{{.ImportPath}}\t{{.Export}}"}, missing...)...)
		if err != nil {
			return err
		}
		if l.exports == nil {
			l.exports = map[string]string{}
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
				l.exports[path] = file
			}
		}
	}
	if l.fset == nil {
		l.fset = token.NewFileSet()
		l.std = map[string]*types.Package{}
	}
	l.graph = g
	return nil
}

func (l *Loader) goList(ctx context.Context, args ...string) ([]byte, error) {
	return gotool.List(ctx, l.dir, l.opts.BuildFlags, l.opts.Env, args...)
}

// holds reports whether no package directory gained or lost a Go file, no
// file its build constraints leave out was rewritten, and go.mod and go.sum
// are as they were.
func (g *listing) holds() bool {
	if g.cgo {
		return false
	}
	for path, s := range g.stamps {
		now := ""
		if ignored, ok := g.dirs[path]; ok {
			now = gotool.DirStamp(path, ignored)
		} else {
			now = gotool.Stamp(path)
		}
		if now != s {
			return false
		}
	}
	return true
}

// errStale says a file no longer matches the listing.
var errStale = errors.New("the package graph changed since it was listed")

// typeCheck parses and type-checks the non-standard packages, dependencies
// first, reading the standard library's types from export data once.
func (l *Loader) typeCheck() ([]*packages.Package, error) {
	checked := map[string]*packages.Package{}
	var out []*packages.Package
	for _, lp := range l.graph.user {
		p := &packages.Package{
			ID:      lp.ImportPath,
			Name:    lp.Name,
			PkgPath: lp.ImportPath,
			Fset:    l.fset,
			Imports: map[string]*packages.Package{},
			TypesInfo: &types.Info{
				Types:        map[ast.Expr]types.TypeAndValue{},
				Defs:         map[*ast.Ident]types.Object{},
				Uses:         map[*ast.Ident]types.Object{},
				Implicits:    map[ast.Node]types.Object{},
				Instances:    map[*ast.Ident]types.Instance{},
				Scopes:       map[ast.Node]*types.Scope{},
				Selections:   map[*ast.SelectorExpr]*types.Selection{},
				FileVersions: map[*ast.File]string{},
			},
		}
		if lp.Module != nil {
			p.Module = &packages.Module{Path: lp.Module.Path, Dir: lp.Module.Dir, GoVersion: lp.Module.GoVersion}
		}
		imports := map[string]bool{}
		files, cgo := lp.GoFiles, lp.compiled != nil
		if cgo {
			files = lp.compiled
		}
		for _, name := range files {
			path := name
			if !filepath.IsAbs(path) {
				path = filepath.Join(lp.Dir, name)
			}
			f, err := parser.ParseFile(l.fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			if f.Name.Name != lp.Name || !cgo && !sameConstraint(f, path, l.graph) {
				return nil, errStale
			}
			for _, spec := range f.Imports {
				imp := strings.Trim(spec.Path.Value, "`\"")
				if mapped, ok := lp.ImportMap[imp]; ok {
					imp = mapped
				}
				imports[imp] = true
			}
			p.GoFiles = append(p.GoFiles, path)
			p.CompiledGoFiles = append(p.CompiledGoFiles, path)
			p.Syntax = append(p.Syntax, f)
		}
		// The listing's imports are the files' imports: one gained or
		// dropped may change the graph. (A cgo package's compiled files
		// were listed with this very load.)
		if !cgo && !sameImports(imports, lp.Imports) {
			return nil, errStale
		}
		var errs []string
		conf := types.Config{
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if mapped, ok := lp.ImportMap[path]; ok {
					path = mapped
				}
				if dep, ok := checked[path]; ok {
					p.Imports[path] = dep
					return dep.Types, nil
				}
				return l.importStd(path)
			}),
			Sizes: l.sizes(),
			Error: func(err error) { errs = append(errs, err.Error()) },
		}
		if lp.Module != nil && lp.Module.GoVersion != "" {
			conf.GoVersion = "go" + lp.Module.GoVersion
		}
		p.Types, _ = conf.Check(lp.ImportPath, l.fset, p.Syntax, p.TypesInfo)
		if len(errs) > 0 {
			if len(errs) > 10 {
				errs = append(errs[:10], fmt.Sprintf("and %d more", len(errs)-10))
			}
			return nil, fmt.Errorf("package %s: %s", lp.ImportPath, strings.Join(errs, "; "))
		}
		checked[lp.ImportPath] = p
		out = append(out, p)
	}
	return out, nil
}

// sameImports reports whether the files' imports are the listed ones.
func sameImports(files map[string]bool, listed []string) bool {
	if len(files) != len(listed) {
		return false
	}
	for _, imp := range listed {
		if !files[imp] {
			return false
		}
	}
	return true
}

// sameConstraint reports whether a file's //go:build line is the one it
// had when the graph was listed (a changed one may change the package's
// files).
func sameConstraint(f *ast.File, path string, g *listing) bool {
	var line string
	for _, group := range f.Comments {
		if group.Pos() >= f.Package {
			break
		}
		for _, c := range group.List {
			if strings.HasPrefix(c.Text, "//go:build") {
				line = c.Text
			}
		}
	}
	if old, ok := g.constraints[path]; ok {
		return old == line
	}
	g.constraints[path] = line // the first load after the listing records it
	return true
}

// importStd returns a standard package's types from its export data, read
// at most once per Loader.
func (l *Loader) importStd(path string) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if p, ok := l.std[path]; ok && p.Complete() {
		return p, nil
	}
	file, ok := l.exports[path]
	if !ok {
		return nil, fmt.Errorf("no export data for %s", path)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("export data of %s: %w", path, err)
	}
	p, err := gcexportdata.Read(r, l.fset, l.std, path)
	if err != nil {
		return nil, fmt.Errorf("export data of %s: %w", path, err)
	}
	return p, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// sizes returns the type sizes of the target architecture (nil if
// there are none: facts refuses it).
func (l *Loader) sizes() types.Sizes {
	goarch := l.opts.GOARCH
	for _, kv := range l.opts.Env {
		if v, ok := strings.CutPrefix(kv, "GOARCH="); ok && goarch == "" && v != "" {
			goarch = v
		}
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	return types.SizesFor("gc", goarch)
}
