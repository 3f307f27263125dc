package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/internal/gotool"
	"github.com/gohot-dev/gohot/manifest"
)

// LoadBase returns the facts of the version to compare against. base is
// the manifest of the running version (a .gohot.json file, or the .so
// beside it), a directory holding the old source of the same module, or a
// git revision of the tree the package lives in. pkgDir and root are the
// new version's main package directory and module root: the old source
// is read at the same place in the base tree.
func LoadBase(ctx context.Context, base, pkgDir, root string, opts Options) (*compat.Facts, error) {
	if strings.HasSuffix(base, manifest.Suffix) || strings.HasSuffix(base, ".so") {
		return manifestFacts(base)
	}
	rel, err := filepath.Rel(root, pkgDir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(base); err == nil && fi.IsDir() {
		dir := filepath.Join(base, rel)
		f, err := Load(dir, opts)
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", base, err)
		}
		return f, nil
	}
	return revisionFacts(ctx, base, pkgDir, root, opts)
}

// manifestFacts reads the facts a version's manifest recorded; base is the
// manifest or the .so beside it.
func manifestFacts(base string) (*compat.Facts, error) {
	path := base
	if strings.HasSuffix(base, ".so") {
		path = manifest.PathFor(base)
	}
	m, err := manifest.Read(path)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if len(m.Facts) == 0 {
		return nil, fmt.Errorf("base %s records no facts: rebuild that version with gohot build, or pass its source", path)
	}
	var f compat.Facts
	if err := json.Unmarshal(m.Facts, &f); err != nil {
		return nil, fmt.Errorf("base %s: facts: %w", path, err)
	}
	return &f, nil
}

// revisionFacts exports the git revision base of the tree holding root
// to a temporary directory and loads the package at pkgDir's place in it.
func revisionFacts(ctx context.Context, base, pkgDir, root string, opts Options) (*compat.Facts, error) {
	top, err := gitOutput(ctx, root, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("base %q is not a manifest, a directory or a git revision (%s is not in a git tree)", base, root)
	}
	if _, err := gitOutput(ctx, top, "rev-parse", "--verify", "--quiet", base+"^{commit}"); err != nil {
		return nil, fmt.Errorf("base revision %q not found in %s", base, top)
	}
	tmp, err := os.MkdirTemp("", "gohot-base-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	archive := exec.CommandContext(ctx, "git", "-C", top, "archive", "--format=tar", base)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", tmp)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return nil, err
	}
	untar.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	if err := untar.Start(); err != nil {
		return nil, fmt.Errorf("base %s: tar: %w", base, err)
	}
	if err := archive.Run(); err != nil {
		return nil, fmt.Errorf("base %s: git archive: %v: %s", base, err, stderr.String())
	}
	if err := untar.Wait(); err != nil {
		return nil, fmt.Errorf("base %s: tar: %v: %s", base, err, stderr.String())
	}
	relTop, err := filepath.Rel(top, pkgDir)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, relTop)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("base %s has no %s: the package did not exist at that revision", base, relTop)
	}
	f, err := Load(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", base, err)
	}
	return f, nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// Run compares the main package in dir with base, without building.
// hostPackages, if not nil, are the user packages the host program links
// itself (their own call sites there stay old).
func Run(ctx context.Context, dir, base string, hostPackages []string, opts Options) (*compat.Result, error) {
	pkg, err := gotool.ListMain(ctx, dir)
	if err != nil {
		return nil, err
	}
	newFacts, err := Load(pkg.Dir, opts)
	if err != nil {
		return nil, err
	}
	newFacts.Host = hostPackages
	old, err := LoadBase(ctx, base, pkg.Dir, pkg.Root(), opts)
	if err != nil {
		return nil, err
	}
	res := compat.Compare(old, newFacts)
	res.Base = base
	return res, nil
}
