// Package gotool is the one place gohot's commands ask the go command and
// the file tree about a plugin's source: the main package and its module,
// the toolchain, and which files are sources. The build, the check and
// the watch loop must agree on these, so each is answered here once.
package gotool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gohot-dev/gohot/manifest"
)

// Package is what go list says of a plugin's main package.
type Package struct {
	Dir            string
	ImportPath     string
	Name           string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	Module         *struct{ Path, Dir string }
	Error          *struct{ Err string }
}

// Root is the directory of the package's module, or its own directory
// outside a module.
func (p *Package) Root() string {
	if p.Module != nil && p.Module.Dir != "" {
		return p.Module.Dir
	}
	return p.Dir
}

// ListMain lists the main package in dir ("" is the current directory)
// and refuses anything that cannot be built as a plugin.
func ListMain(ctx context.Context, dir string) (*Package, error) {
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("package directory %s does not exist", dir)
	}
	out, err := List(ctx, dir, nil, nil, "-e", "-json", ".")
	if err != nil {
		return nil, err
	}
	var p Package
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("go list %s: %w", dir, err)
	}
	if p.Error != nil {
		return nil, fmt.Errorf("package %s: %s", dir, p.Error.Err)
	}
	if p.Name != "main" {
		return nil, fmt.Errorf("package %s is %q, not main: a plugin is built from a main package", p.ImportPath, p.Name)
	}
	if len(p.GoFiles) == 0 {
		return nil, fmt.Errorf("package %s has no Go files to build", p.ImportPath)
	}
	return &p, nil
}

// List runs go list in dir with the given go build flags (-tags) and
// arguments; env, if not nil, is the go command's environment. It returns
// what go list printed, or an error carrying what it said.
func List(ctx context.Context, dir string, flags, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"list"}, flags...), args...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Stamp describes a file (go.mod, a program) as it is now: its size and
// modification time, or "absent". Equal stamps at two times mean the file
// was not rewritten in between.
func Stamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "absent"
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// DirStamp describes what go list's answer about the package in dir
// depends on besides its files' contents: the names of its Go files other
// than tests (one added, removed or renamed may change the package), and
// the Stamp of each file in ignored (files its build constraints leave
// out, which an edit of the constraint may bring in). Equal stamps at two
// times mean a listing made at the first still holds at the second, as
// far as the package's files go; a file's own imports and constraints are
// the caller's to compare.
func DirStamp(dir string, ignored []string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "unreadable"
	}
	var b strings.Builder
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			b.WriteString(name + "\n")
		}
	}
	for _, name := range ignored {
		b.WriteString(name + " " + Stamp(filepath.Join(dir, name)) + "\n")
	}
	return b.String()
}

// Toolchain returns the go command's version and checks it is gohot's.
func Toolchain(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w (is Go on PATH?)", err)
	}
	v := strings.TrimSpace(string(out))
	if !manifest.GohotToolchain(v) {
		return "", fmt.Errorf("the go command on PATH is %s, not a gohot toolchain: switch with eval \"$(scripts/env.sh)\"", v)
	}
	return v, nil
}

// SkipDir reports whether a directory named name under a module root holds
// no sources of the module's packages: hidden directories, testdata and
// vendor.
func SkipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor"
}

// SourceFile reports whether a file is part of what a plugin version is
// built from: Go files, go.mod and go.sum. Anything else beside them (a
// built host, a log) is not.
func SourceFile(name string) bool {
	return strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum"
}

// WalkSources calls fn for every directory under root that may hold
// sources (root included) and every source file in them, in lexical order.
// skip, if not empty, is an absolute directory to leave out (an output
// directory inside the tree).
func WalkSources(root, skip string, fn func(path string, dir bool) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			if skip != "" {
				if abs, err := filepath.Abs(path); err == nil && abs == skip {
					return filepath.SkipDir
				}
			}
			return fn(path, true)
		}
		if SourceFile(d.Name()) {
			return fn(path, false)
		}
		return nil
	})
}
