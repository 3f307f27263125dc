// Package pluginbuild builds plugin versions the way gohot reloads need
// them: a unique plugin identity per build, the host's build settings, the
// edit check first, and a manifest beside the .so. Nothing is left
// half-written: the build happens in a temporary directory and the result
// is renamed into place.
package pluginbuild

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/internal/check"
	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/pkghash"
)

// BuildSymbol is the exported var gohot build adds to every plugin version;
// it holds the version's ID, so a host can tell versions apart.
const BuildSymbol = "GohotBuild"

// Options configure one build.
type Options struct {
	Dir     string    // the plugin's main package
	Out     string    // the .so to write; its manifest goes beside it
	Host    string    // host binary whose settings to mirror (optional)
	Base    string    // what to check against: a manifest, a directory or a git revision (optional)
	NoCheck bool      // skip gohot check
	Clean   bool      // refuse a git tree whose Go sources have uncommitted changes (release builds)
	Stderr  io.Writer // compiler output and warnings
	Verbose bool      // also print the go command it runs
	// EditLoop: builds of a work in progress (gohot watch); uncommitted
	// changes are expected, so no warning for them.
	EditLoop bool
	// SkipSource: a source hash (manifest.Source.Hash); if the source
	// hashes to it, Build stops before compiling with ErrSameSource.
	SkipSource string
}

// ErrUnsafe is returned when gohot check refuses the new version.
var ErrUnsafe = errors.New("gohot check found unsafe edits")

// ErrSameSource is returned when the source hashes to Options.SkipSource.
var ErrSameSource = errors.New("the source is identical to the running version's")

// Build builds one plugin version and returns its manifest.
func Build(ctx context.Context, opts Options) (*manifest.Manifest, *compat.Result, error) {
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	toolchain, err := Toolchain(ctx)
	if err != nil {
		return nil, nil, err
	}
	pkg, err := listMain(ctx, opts.Dir)
	if err != nil {
		return nil, nil, err
	}
	env := os.Environ()
	var flags []string
	settings := map[string]string{}
	if opts.Host != "" {
		hs, err := ReadHost(opts.Host, toolchain)
		if err != nil {
			return nil, nil, err
		}
		flags = hs.Flags
		for k, v := range hs.Env {
			env = append(env, k+"="+v)
		}
		settings = hs.Recorded
	}
	env = append(env, "CGO_ENABLED=1", "GOTOOLCHAIN=local")

	src, err := describeSource(ctx, pkg)
	if err != nil {
		return nil, nil, err
	}
	if opts.SkipSource != "" && src.Hash == opts.SkipSource {
		return nil, nil, ErrSameSource
	}
	if src.Modified {
		if opts.Clean {
			return nil, nil, fmt.Errorf("%s has uncommitted changes to Go sources and --clean was given: commit them, or build without --clean", pkg.Dir)
		}
		if !opts.EditLoop {
			fmt.Fprintf(opts.Stderr, "gohot build: warning: %s has uncommitted changes; the manifest records modified=true\n", pkg.Dir)
		}
	}

	facts, err := check.Load(pkg.Dir, check.Options{BuildFlags: tagsOnly(flags), Env: env})
	if err != nil {
		return nil, nil, err
	}
	if len(facts.Entry) == 0 {
		return nil, nil, fmt.Errorf("package %s exports no funcs: a plugin's entry points are the exported funcs of its main package", pkg.ImportPath)
	}
	// The host's package hashes: its user packages for the check now,
	// its standard library for the comparison after the build.
	var hostPkgs []pkghash.Package
	if opts.Host != "" {
		if hostPkgs, err = readHostPackages(opts.Host); err != nil {
			return nil, nil, err
		}
		facts.Host = userPackages(hostPkgs)
	}
	result := &compat.Result{}
	status := manifest.CheckSkipped
	if !opts.NoCheck && opts.Base != "" {
		base, err := LoadBase(ctx, opts.Base, pkg, check.Options{BuildFlags: tagsOnly(flags), Env: env})
		if err != nil {
			return nil, nil, err
		}
		result = compat.Compare(base, facts)
		result.Base = opts.Base
		status = result.Status()
		if status == manifest.CheckUnsafe {
			return nil, result, ErrUnsafe
		}
	}

	id := newID()
	if opts.Out == "" {
		opts.Out = filepath.Base(pkg.Dir) + "-" + id + ".so"
	}
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return nil, nil, fmt.Errorf("output %s: %w", opts.Out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".gohot-build-")
	if err != nil {
		return nil, nil, fmt.Errorf("output directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	// The plugin path of a file-list build hashes the main package's build
	// ID, which covers its files' content: an added declaration carrying
	// the version ID makes every build's path unique, so a rebuilt old
	// source (a rollback) loads too. The overlay keeps the user's tree
	// untouched.
	first := filepath.Join(pkg.Dir, pkg.GoFiles[0])
	orig, err := os.ReadFile(first)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", first, err)
	}
	stamped := filepath.Join(tmp, "stamped.go")
	stamp := fmt.Sprintf("\n\n// %s is the gohot build ID of this plugin version.\nvar %s = %q\n", BuildSymbol, BuildSymbol, id)
	if err := os.WriteFile(stamped, append(orig, stamp...), 0o666); err != nil {
		return nil, nil, err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {first: stamped}})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o666); err != nil {
		return nil, nil, err
	}
	so := filepath.Join(tmp, filepath.Base(out))
	args := append([]string{"build", "-buildmode=plugin", "-overlay=" + overlayFile, "-o", so}, flags...)
	for _, f := range append(append([]string{}, pkg.GoFiles...), pkg.CgoFiles...) {
		args = append(args, filepath.Join(pkg.Dir, f))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = pkg.Dir
	cmd.Env = env
	cmd.Stdout = opts.Stderr
	cmd.Stderr = opts.Stderr
	if opts.Verbose {
		fmt.Fprintf(opts.Stderr, "gohot build: go %s\n", strings.Join(args, " "))
	}
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("go build of %s failed (compiler output above): %w", pkg.ImportPath, err)
	}

	pkgs, err := pkghash.Read(so)
	if err != nil {
		return nil, nil, err
	}
	if opts.Host != "" {
		if err := stdMismatch(hostPkgs, pkgs); err != nil {
			return nil, nil, err
		}
	}
	sum, err := fileSHA256(so)
	if err != nil {
		return nil, nil, err
	}
	factsJSON, err := json.Marshal(facts)
	if err != nil {
		return nil, nil, err
	}
	m := &manifest.Manifest{
		Format:       manifest.Format,
		ID:           id,
		Plugin:       filepath.Base(out),
		PluginSHA256: sum,
		MainPackage:  pkg.ImportPath,
		Source:       src,
		Toolchain:    toolchain,
		Settings:     settings,
		Host:         opts.Host,
		Packages:     pkgs,
		Check:        manifest.Check{Status: status, Base: opts.Base, Findings: result.Findings},
		Built:        time.Now().UTC().Truncate(time.Second),
		Facts:        factsJSON,
	}
	// The .so first, then its manifest: a host that waits for the manifest
	// finds a complete plugin.
	if err := os.Rename(so, out); err != nil {
		return nil, nil, fmt.Errorf("install %s: %w", out, err)
	}
	if err := manifest.Write(manifest.PathFor(out), m); err != nil {
		os.Remove(out)
		return nil, nil, err
	}
	return m, result, nil
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
	if !strings.Contains(v, "-gohot") {
		return "", fmt.Errorf("the go command on PATH is %s, not a gohot toolchain: switch with eval \"$(scripts/env.sh)\"", v)
	}
	return v, nil
}

type listedPackage struct {
	Dir        string
	ImportPath string
	Name       string
	GoFiles    []string
	CgoFiles   []string
	Module     *struct{ Path, Dir string }
	Error      *struct{ Err string }
}

func listMain(ctx context.Context, dir string) (*listedPackage, error) {
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("package directory %s does not exist", dir)
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-json", ".")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %s", dir, strings.TrimSpace(stderr.String()))
	}
	var p listedPackage
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

// describeSource records the git revision of the package's tree, whether
// it has uncommitted changes, and a hash of the Go files of the module.
func describeSource(ctx context.Context, p *listedPackage) (manifest.Source, error) {
	src := manifest.Source{Dir: p.Dir}
	root := p.Dir
	if p.Module != nil && p.Module.Dir != "" {
		root = p.Module.Dir
	}
	h := sha256.New()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return src, fmt.Errorf("hash source of %s: %w", root, err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return src, err
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	src.Hash = hex.EncodeToString(h.Sum(nil))
	rev, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return src, nil // not a git tree: the hash identifies the source
	}
	src.Revision = strings.TrimSpace(string(rev))
	// Only the files the hash covers count: a binary or a log beside the
	// sources does not make the build "modified". A git that fails here
	// must not pass for a clean tree.
	status, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--", "*.go", "*go.mod", "*go.sum").Output()
	if err != nil {
		return src, fmt.Errorf("git status in %s: %w", root, err)
	}
	src.Modified = len(bytes.TrimSpace(status)) > 0
	return src, nil
}

func tagsOnly(flags []string) []string {
	var out []string
	for _, f := range flags {
		if strings.HasPrefix(f, "-tags=") {
			out = append(out, f)
		}
	}
	return out
}

// stdMismatch names the first standard package whose hash differs between
// the host and the plugin, checked after the build: the runtime would
// refuse that load.
func stdMismatch(host, plugin []pkghash.Package) error {
	changed, _ := pkghash.Diff(host, plugin)
	for _, c := range changed {
		if c.Std {
			return fmt.Errorf("the plugin's copy of standard package %s differs from the host's: the host was built with settings gohot build cannot mirror (compare go version -m of both)", c.Path)
		}
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
