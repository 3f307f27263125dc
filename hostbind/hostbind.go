// Package hostbind builds and reads plugin versions bound to their host
// (gohot build's default with --host; the linker's -hostimport): the go
// build flags that bind one, and what one expects of the program that
// loads it. Such a version carries no copy of the
// standard library packages its host links identically: their symbols are
// undefined in it and the dynamic loader binds them to the program's. It
// loads only into a program that defines every one of them.
package hostbind

import (
	"debug/elf"
	"fmt"
	"sort"
	"strings"

	"github.com/gohot-dev/gohot/pkghash"
)

// listSymbol is the symbol in which the linker records the packages it
// bound, one import path per line (patches/0012).
const listSymbol = "go:link.hostbound"

// Packages returns the import paths of the packages the plugin in f binds
// to its host, sorted; nil for a plugin that carries all of its packages.
func Packages(f *elf.File) ([]string, error) {
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, nil // no dynamic symbols: not bound to anything
	}
	for _, s := range syms {
		if s.Name != listSymbol || s.Section == elf.SHN_UNDEF {
			continue
		}
		data, err := pkghash.SymbolData(f, s)
		if err != nil {
			return nil, err
		}
		var pkgs []string
		for _, p := range strings.Split(string(data), "\n") {
			if p != "" {
				pkgs = append(pkgs, p)
			}
		}
		sort.Strings(pkgs)
		return pkgs, nil
	}
	return nil, nil
}

// Exports is the set of symbols a program defines in its dynamic symbol
// table: what a plugin can bind to.
type Exports map[string]bool

// ReadExports reads the dynamic symbols the program at path defines.
func ReadExports(path string) (Exports, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the exports of %s: %w", path, err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, fmt.Errorf("read the exports of %s: %w", path, err)
	}
	ex := Exports{}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF {
			ex[s.Name] = true
		}
	}
	return ex, nil
}

// Missing returns the Go symbols the plugin in f leaves to its host that
// ex does not define, sorted: the plugin cannot load there. Symbols of C
// libraries (versioned, weak, or without a Go name) are not counted; the
// dynamic loader finds those in the libraries the plugin names.
func Missing(f *elf.File, ex Exports) ([]string, error) {
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, fmt.Errorf("read dynamic symbols: %w", err)
	}
	var out []string
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF || s.Name == "" || s.Library != "" || s.Version != "" ||
			elf.ST_BIND(s.Info) == elf.STB_WEAK || !goName(s.Name) {
			continue
		}
		if !ex[s.Name] {
			out = append(out, s.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// goName reports whether name is a Go symbol's: a package-qualified name
// (path.Name) or a type descriptor (type:...). C names have neither.
func goName(name string) bool {
	return strings.HasPrefix(name, "type:") || strings.Contains(name, ".")
}

// Describe renders missing symbols for an error message: the first few
// and how many more.
func Describe(missing []string) string {
	const show = 3
	if len(missing) <= show {
		return strings.Join(missing, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(missing[:show], ", "), len(missing)-show)
}
