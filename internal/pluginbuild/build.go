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
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/hostbind"
	"github.com/gohot-dev/gohot/internal/check"
	"github.com/gohot-dev/gohot/internal/gotool"
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
	// Full links every package into the plugin. By default a build with
	// a Host binds the standard library packages the host links
	// identically to the host's copies (the linker's -hostimport): the
	// plugin carries only what the host lacks, and loads only into that
	// host or another build defining every symbol it leaves to it.
	Full bool
}

// ErrUnsafe is returned when gohot check refuses the new version.
var ErrUnsafe = errors.New("gohot check found unsafe edits")

// ErrSameSource is returned when the source hashes to Options.SkipSource.
var ErrSameSource = errors.New("the source is identical to the running version's")

// Build builds one plugin version and returns its manifest. The steps:
// settings, source, then check and compile side by side, record; nothing
// is written at the output path until the last.
func Build(ctx context.Context, opts Options) (*manifest.Manifest, *compat.Result, error) {
	return new(Session).Build(ctx, opts)
}

// A Session builds versions of a plugin one after another (gohot watch)
// and keeps, from one build to the next, what an edit of the plugin's
// source cannot change: the toolchain's version; the main package's
// listing, until its directory's Go files change (gotool.DirStamp) or
// go.mod does; the host's settings and package hashes, until the host's
// file changes;
// and the check's Loader, which keeps the package graph and the standard
// library's types. A Session is not safe for concurrent use.
type Session struct {
	toolchain string
	main      *gotool.Package
	mainDir   string
	mainStamp string
	host      *hostState
	loader    *check.Loader
	loaderKey string
}

// hostState is what a Session read of a host, and the host's stamp then.
type hostState struct {
	path, stamp string
	settings    *HostSettings
	pkgs        []pkghash.Package
}

// Build builds one version, as the package function Build does, reusing
// what the session read before where it still holds.
func (s *Session) Build(ctx context.Context, opts Options) (*manifest.Manifest, *compat.Result, error) {
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	b := &builder{opts: opts, session: s}
	if err := b.settings(ctx); err != nil {
		return nil, nil, err
	}
	if err := b.source(ctx); err != nil {
		return nil, nil, err
	}
	// The check reads the source, the compile writes only into its own
	// temporary directory: they run at the same time, which takes the
	// check's package loading off the edit-to-live path. When the check
	// refuses the version, the compile still runs to its end (killing the
	// go command would leave its compiler and linker running and their
	// temporary files behind) and its output is dropped: the check's
	// answer is the one a user reads.
	type compiled struct {
		tmp    string
		output []byte
		err    error
	}
	done := make(chan compiled, 1)
	go func() {
		var output bytes.Buffer
		tmp, err := b.compile(ctx, &output)
		done <- compiled{tmp, output.Bytes(), err}
	}()
	checkErr := b.check(ctx)
	c := <-done
	if c.tmp != "" {
		defer os.RemoveAll(c.tmp)
	}
	if checkErr != nil {
		return nil, b.result, checkErr
	}
	b.opts.Stderr.Write(c.output)
	if c.err != nil {
		return nil, nil, c.err
	}
	m, err := b.record()
	if err != nil {
		return nil, nil, err
	}
	return m, b.result, nil
}

// builder carries one build from step to step.
type builder struct {
	opts      Options
	session   *Session
	toolchain string
	pkg       *gotool.Package
	env       []string          // the go command's environment
	flags     []string          // go build flags mirrored from the host
	recorded  map[string]string // the host's recorded build settings
	hostPkgs  []pkghash.Package
	src       manifest.Source
	facts     *compat.Facts
	result    *compat.Result
	status    compat.Status
	id, out   string // the version's ID and the .so to install
	so        string // the built .so, in a temporary directory
}

// settings finds the toolchain, the package and, with a host, the build
// settings to mirror and the host's package hashes.
func (b *builder) settings(ctx context.Context) error {
	s := b.session
	var err error
	if s.toolchain == "" {
		if s.toolchain, err = gotool.Toolchain(ctx); err != nil {
			return err
		}
	}
	b.toolchain = s.toolchain
	if b.pkg, err = s.listMain(ctx, b.opts.Dir); err != nil {
		return err
	}
	b.env = os.Environ()
	b.recorded = map[string]string{}
	if b.opts.Host != "" {
		h, err := s.readHost(b.opts.Host)
		if err != nil {
			return err
		}
		hs := h.settings
		b.flags = append([]string(nil), hs.Flags...)
		// In a fixed order: the session keeps its check's Loader only
		// while the environment is the same.
		for _, k := range slices.Sorted(maps.Keys(hs.Env)) {
			b.env = append(b.env, k+"="+hs.Env[k])
		}
		b.recorded = hs.Recorded
		// Its user packages for the check, its standard library for the
		// comparison after the build.
		b.hostPkgs = h.pkgs
		// The linker binds to a host on linux/amd64 (patches/0012);
		// elsewhere every plugin is built whole.
		if !b.opts.Full && hostImportSupported(b.toolchain) && hs.Recorded["GOOS"] == "linux" && hs.Recorded["GOARCH"] == "amd64" {
			if b.flags, b.env, err = hostbind.BuildFlags(b.flags, b.env, b.opts.Host); err != nil {
				return err
			}
		}
	}
	b.env = append(b.env, "CGO_ENABLED=1", "GOTOOLCHAIN=local")
	return nil
}

// Prepare reads what the session's builds with opts share: the settings,
// the host and the check's package graph and standard library types. A
// first build after it costs what later builds do (gohot watch prepares
// while it waits for the first edit).
func (s *Session) Prepare(ctx context.Context, opts Options) error {
	b := &builder{opts: opts, session: s}
	if err := b.settings(ctx); err != nil {
		return err
	}
	_, err := s.load(ctx, b.pkg.Dir, b.checkOptions())
	return err
}

// checkOptions are the check's options for this build: the go command's
// environment and the tags of the mirrored flags.
func (b *builder) checkOptions() check.Options {
	return check.Options{BuildFlags: tagsOnly(b.flags), Env: b.env}
}

// listMain lists the main package in dir, or returns the listing of the
// session's last build while it holds.
func (s *Session) listMain(ctx context.Context, dir string) (*gotool.Package, error) {
	if s.main != nil && s.mainDir == dir && s.mainStamp == mainStamp(s.main) {
		return s.main, nil
	}
	p, err := gotool.ListMain(ctx, dir)
	if err != nil {
		return nil, err
	}
	s.main, s.mainDir, s.mainStamp = p, dir, mainStamp(p)
	return p, nil
}

// mainStamp is what the main package's listing depends on: its Go files
// and its module's go.mod.
func mainStamp(p *gotool.Package) string {
	return gotool.DirStamp(p.Dir, p.IgnoredGoFiles) + gotool.Stamp(filepath.Join(p.Root(), "go.mod"))
}

// readHost reads the host's settings and package hashes, or returns the
// session's reading while the file is unchanged (a rebuilt host is read
// again).
func (s *Session) readHost(path string) (*hostState, error) {
	stamp := gotool.Stamp(path)
	if h := s.host; h != nil && h.path == path && h.stamp == stamp {
		return h, nil
	}
	hs, err := ReadHost(path, s.toolchain)
	if err != nil {
		return nil, err
	}
	pkgs, err := readHostPackages(path)
	if err != nil {
		return nil, err
	}
	s.host = &hostState{path: path, stamp: stamp, settings: hs, pkgs: pkgs}
	return s.host, nil
}

// load computes the facts of the package in dir with the session's
// Loader, made anew when the directory or the options differ from the
// last build's.
func (s *Session) load(ctx context.Context, dir string, opts check.Options) (*compat.Facts, error) {
	key := fmt.Sprintf("%s\x00%q\x00%q", dir, opts.BuildFlags, opts.Env)
	if s.loader == nil || s.loaderKey != key {
		s.loader, s.loaderKey = check.NewLoader(dir, opts), key
	}
	return s.loader.Load(ctx)
}

// source describes the source and applies the tree rules: an identical
// source is skipped when asked, uncommitted changes are refused with
// --clean and warned about otherwise.
func (b *builder) source(ctx context.Context) error {
	var err error
	if b.src, err = describeSource(ctx, b.pkg); err != nil {
		return err
	}
	if b.opts.SkipSource != "" && b.src.Hash == b.opts.SkipSource {
		return ErrSameSource
	}
	if b.src.Modified {
		if b.opts.Clean {
			return fmt.Errorf("%s has uncommitted changes to Go sources and --clean was given: commit them, or build without --clean", b.pkg.Dir)
		}
		if !b.opts.EditLoop {
			fmt.Fprintf(b.opts.Stderr, "gohot build: warning: %s has uncommitted changes; the manifest records modified=true\n", b.pkg.Dir)
		}
	}
	return nil
}

// check computes the version's facts and, with a base, compares them:
// an unsafe result stops the build before anything is compiled.
func (b *builder) check(ctx context.Context) error {
	opts := b.checkOptions()
	var err error
	if b.facts, err = b.session.load(ctx, b.pkg.Dir, opts); err != nil {
		return err
	}
	if len(b.facts.Entry) == 0 {
		return fmt.Errorf("package %s exports no funcs: a plugin's entry points are the exported funcs of its main package", b.pkg.ImportPath)
	}
	if b.opts.Host != "" {
		b.facts.Host = userPackages(b.hostPkgs)
	}
	b.result, b.status = &compat.Result{}, compat.StatusSkipped
	if b.opts.NoCheck || b.opts.Base == "" {
		return nil
	}
	base, err := check.LoadBase(ctx, b.opts.Base, b.pkg.Dir, b.pkg.Root(), opts)
	if err != nil {
		return err
	}
	b.result = compat.Compare(base, b.facts)
	b.result.Base = b.opts.Base
	if b.status = b.result.Status(); b.status == compat.StatusUnsafe {
		return ErrUnsafe
	}
	return nil
}

// compile builds the .so into a temporary directory beside the output,
// which it returns for the caller to remove. The go command's output goes
// to output.
func (b *builder) compile(ctx context.Context, output io.Writer) (tmp string, err error) {
	b.id = newID()
	if b.opts.Out == "" {
		b.opts.Out = filepath.Base(b.pkg.Dir) + "-" + b.id + ".so"
	}
	if b.out, err = filepath.Abs(b.opts.Out); err != nil {
		return "", fmt.Errorf("output %s: %w", b.opts.Out, err)
	}
	if tmp, err = os.MkdirTemp(filepath.Dir(b.out), ".gohot-build-"); err != nil {
		return "", fmt.Errorf("output directory: %w", err)
	}
	overlay, err := b.stamp(tmp)
	if err != nil {
		return tmp, err
	}
	b.so = filepath.Join(tmp, filepath.Base(b.out))
	args := append([]string{"build", "-buildmode=plugin", "-overlay=" + overlay, "-o", b.so}, b.flags...)
	for _, f := range append(append([]string{}, b.pkg.GoFiles...), b.pkg.CgoFiles...) {
		args = append(args, filepath.Join(b.pkg.Dir, f))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.pkg.Dir
	cmd.Env = b.env
	cmd.Stdout = output
	cmd.Stderr = output
	if b.opts.Verbose {
		fmt.Fprintf(output, "gohot build: go %s\n", strings.Join(args, " "))
	}
	if err := cmd.Run(); err != nil {
		return tmp, fmt.Errorf("go build of %s failed (compiler output above): %w", b.pkg.ImportPath, err)
	}
	return tmp, nil
}

// stamp writes the overlay that gives this build its own plugin identity
// and returns its path. The plugin path of a file-list build hashes the
// main package's build ID, which covers its files' content: an added
// declaration carrying the version ID makes every build's path unique, so
// a rebuilt old source (a rollback) loads too. The overlay keeps the
// user's tree untouched.
func (b *builder) stamp(tmp string) (string, error) {
	first := filepath.Join(b.pkg.Dir, b.pkg.GoFiles[0])
	orig, err := os.ReadFile(first)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", first, err)
	}
	stamped := filepath.Join(tmp, "stamped.go")
	stamp := fmt.Sprintf("\n\n// %s is the gohot build ID of this plugin version.\nvar %s = %q\n", BuildSymbol, BuildSymbol, b.id)
	if err := os.WriteFile(stamped, append(orig, stamp...), 0o666); err != nil {
		return "", err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {first: stamped}})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o666); err != nil {
		return "", err
	}
	return overlayFile, nil
}

// record compares the built plugin's standard library with the host's,
// writes the manifest and installs both: the .so first, then its manifest,
// so a host that waits for the manifest finds a complete plugin.
func (b *builder) record() (*manifest.Manifest, error) {
	// One read of the built plugin: its package hashes and the packages
	// it leaves to the host.
	f, err := elf.Open(b.so)
	if err != nil {
		return nil, fmt.Errorf("read the built plugin: %w", err)
	}
	pkgs, err := pkghash.FromELF(f)
	var bound []string
	if err == nil {
		bound, err = hostbind.Packages(f)
	}
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read the built plugin %s: %w", b.so, err)
	}
	if b.opts.Host != "" {
		if err := stdMismatch(b.hostPkgs, pkgs); err != nil {
			return nil, err
		}
	}
	sum, err := fileSHA256(b.so)
	if err != nil {
		return nil, err
	}
	factsJSON, err := json.Marshal(b.facts)
	if err != nil {
		return nil, err
	}
	m := &manifest.Manifest{
		Format:       manifest.Format,
		ID:           b.id,
		Plugin:       filepath.Base(b.out),
		PluginSHA256: sum,
		MainPackage:  b.pkg.ImportPath,
		Source:       b.src,
		Toolchain:    b.toolchain,
		Settings:     b.recorded,
		Host:         b.opts.Host,
		HostBound:    bound,
		Packages:     pkgs,
		Check:        manifest.Check{Status: b.status, Base: b.opts.Base, Findings: b.result.Findings},
		Built:        time.Now().UTC().Truncate(time.Second),
		Facts:        factsJSON,
	}
	if err := os.Rename(b.so, b.out); err != nil {
		return nil, fmt.Errorf("install %s: %w", b.out, err)
	}
	if err := manifest.Write(manifest.PathFor(b.out), m); err != nil {
		os.Remove(b.out)
		return nil, err
	}
	return m, nil
}

// describeSource records the git revision of the package's tree, whether
// it has uncommitted changes, and a hash of the Go files of the module.
func describeSource(ctx context.Context, p *gotool.Package) (manifest.Source, error) {
	src := manifest.Source{Dir: p.Dir}
	root := p.Root()
	h := sha256.New()
	var files []string
	err := gotool.WalkSources(root, "", func(path string, dir bool) error {
		if !dir {
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

// hostImportFrom is the first gohot release whose linker binds a plugin
// to its host (-hostimport, patches/0012).
const hostImportFrom = 12

// hostImportSupported reports whether toolchain (go env GOVERSION) is a
// gohot release whose linker has -hostimport.
func hostImportSupported(toolchain string) bool {
	_, n, ok := strings.Cut(toolchain, "-gohot.")
	if !ok {
		return false
	}
	if i := strings.IndexFunc(n, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		n = n[:i]
	}
	v, err := strconv.Atoi(n)
	return err == nil && v >= hostImportFrom
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
