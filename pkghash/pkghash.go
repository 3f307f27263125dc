// Package pkghash reads the package hashes the Go linker records in plugins
// and in programs that can load them (go:link.pkghashbytes.<package>): the
// values plugin.Open compares to decide whether a plugin's copy of a package
// is the one already loaded.
package pkghash

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

const (
	symPrefix = "go:link.pkghashbytes."
	// stdMark is what gohot's linker appends to the hash of a standard
	// library package (patches/0001).
	stdMark = "+std"
)

// A Package is one package's hash as recorded in a binary.
type Package struct {
	Path string `json:"path"`
	Hash string `json:"hash"` // hex of the fingerprint, without the mark
	Std  bool   `json:"std,omitempty"`
}

// ErrNoHashes is returned for a binary that records no package hashes: not
// a plugin, and not a program that imports package plugin.
var ErrNoHashes = errors.New("no package hashes (not a Go plugin, nor a program that imports plugin)")

// Read returns the package hashes recorded in the ELF file at path, sorted
// by package path.
func Read(path string) ([]Package, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read package hashes of %s: %w", path, err)
	}
	defer f.Close()
	pkgs, err := FromELF(f)
	if err != nil {
		return nil, fmt.Errorf("read package hashes of %s: %w", path, err)
	}
	return pkgs, nil
}

// FromELF is Read for an open ELF file.
func FromELF(f *elf.File) ([]Package, error) {
	// Plugins export every Go symbol dynamically, so .dynsym has the
	// hashes even when .symtab was stripped (-ldflags=-s).
	var syms []elf.Symbol
	if s, err := f.Symbols(); err == nil {
		syms = append(syms, s...)
	}
	if s, err := f.DynamicSymbols(); err == nil {
		syms = append(syms, s...)
	}
	seen := map[string]bool{}
	var pkgs []Package
	for _, s := range syms {
		path, ok := strings.CutPrefix(s.Name, symPrefix)
		if !ok || seen[path] || s.Size == 0 {
			continue
		}
		data, err := SymbolData(f, s)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", path, err)
		}
		seen[path] = true
		p := Package{Path: path}
		if raw, ok := strings.CutSuffix(string(data), stdMark); ok {
			p.Std = true
			data = []byte(raw)
		}
		p.Hash = hex.EncodeToString(data)
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, ErrNoHashes
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, nil
}

// SymbolData returns the bytes of the data symbol s of f.
func SymbolData(f *elf.File, s elf.Symbol) ([]byte, error) {
	for _, sec := range f.Sections {
		if sec.Type == elf.SHT_NOBITS || s.Value < sec.Addr || s.Value+s.Size > sec.Addr+sec.Size {
			continue
		}
		buf := make([]byte, s.Size)
		if _, err := sec.ReadAt(buf, int64(s.Value-sec.Addr)); err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", s.Name, sec.Name, err)
		}
		return buf, nil
	}
	return nil, fmt.Errorf("symbol %s is in no section with data", s.Name)
}

// A Change is a package whose hash differs between two binaries.
type Change struct {
	Path     string `json:"path"`
	Old, New string `json:"-"`
	Std      bool   `json:"std,omitempty"`
}

// Diff returns the packages present in both old and new whose hashes
// differ, and the packages only new has.
func Diff(old, new []Package) (changed []Change, added []string) {
	byPath := make(map[string]Package, len(old))
	for _, p := range old {
		byPath[p.Path] = p
	}
	for _, p := range new {
		o, ok := byPath[p.Path]
		switch {
		case !ok:
			added = append(added, p.Path)
		case o.Hash != p.Hash || o.Std != p.Std:
			changed = append(changed, Change{Path: p.Path, Old: o.Hash, New: p.Hash, Std: p.Std || o.Std})
		}
	}
	return changed, added
}
