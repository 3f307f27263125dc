// Package reload is the host side of gohot: it loads plugin versions built
// by gohot build as generations, checks them before plugin.Open, runs their
// load hook, swaps the current generation atomically and reports what each
// reload changed.
//
// A plugin can never be unloaded: every generation stays mapped, and old
// code keeps running where it is still referenced (see the semantics table
// in the README). The host swaps which generation new calls go to.
package reload

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"plugin"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/hostbind"
	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/pkghash"
)

// HookSymbol is the optional entry point a plugin version exports to run
// when it loads, before it becomes current: func GohotOnLoad(prevID string)
// error. prevID is the build ID of the current generation ("" for the first
// one). Use it for what init() of a changed package cannot do: init() of
// an already loaded package never runs again. An error leaves the previous
// generation current.
const HookSymbol = "GohotOnLoad"

// A Generation is one loaded plugin version.
type Generation struct {
	Seq      int                // 1 for the first load, then 2, 3, ...
	Path     string             // the .so as given to Load
	ID       string             // the build ID from the manifest ("" without one)
	LoadedAt time.Time          // when it became current
	Manifest *manifest.Manifest // nil if loaded without a manifest
	syms     symbols
}

// symbols is what a generation needs of *plugin.Plugin; tests fake it.
type symbols interface {
	Lookup(name string) (plugin.Symbol, error)
}

func (g *Generation) String() string {
	if g.ID != "" {
		return fmt.Sprintf("generation %d (%s, %s)", g.Seq, g.Path, g.ID)
	}
	return fmt.Sprintf("generation %d (%s)", g.Seq, g.Path)
}

// Lookup returns the exported symbol name of g as a T. Funcs are looked
// up as their func type (func() string); vars as a pointer (*int).
func Lookup[T any](g *Generation, name string) (T, error) {
	var zero T
	if g == nil {
		return zero, fmt.Errorf("lookup %s: no generation loaded", name)
	}
	sym, err := g.syms.Lookup(name)
	if err != nil {
		return zero, fmt.Errorf("lookup %s in %s: symbol not found", name, g)
	}
	v, ok := sym.(T)
	if !ok {
		return zero, fmt.Errorf("lookup %s in %s: symbol is a %T, want %T", name, g, sym, zero)
	}
	return v, nil
}

// Options configure a Host.
type Options struct {
	// AllowUnmanaged loads plugins without a gohot manifest. Without a
	// manifest nothing says the version was checked: off by default.
	AllowUnmanaged bool
	// AllowUnchecked loads versions whose manifest says gohot check was
	// skipped (the first version of a service usually is). Versions whose
	// check found unsafe edits are refused regardless.
	AllowUnchecked bool
	// Logf receives one line per load step; nil logs nothing.
	Logf func(format string, args ...any)
	// Redirect loads every version in redirect mode (GOHOT_REDIRECT=on,
	// set for the process): after a load, calls that reach a function of
	// an earlier version through any path (interface calls, func values,
	// reflect, old goroutines, the host's own call sites) run the new
	// version's, when its signature and the types it uses are unchanged.
	// The report lists what was redirected and what was not. Off, the
	// process's GOHOT_REDIRECT applies (unset: off), and the report
	// follows it.
	Redirect bool
}

// A Host loads generations and holds the current one.
type Host struct {
	opts    Options
	current atomic.Pointer[Generation]

	mu     sync.Mutex        // serializes loads; guards the fields below
	seq    int               // generations loaded
	byHash map[string]int    // plugin file sha256 -> generation seq
	hashes map[string]string // package path -> hash of its latest loaded copy
	self   string            // this executable
	// required are the checks of the entry points registered with
	// NewEntry: a version that fails one never becomes current.
	required []func(*Generation) error
	// bound are the facts of the process as the loaded generations bind
	// it (compat.Bound); nil before the first generation with facts.
	bound *compat.Facts
	// exports are the symbols this program defines for plugins to bind
	// to, read at the first version built bound to its host.
	exports hostbind.Exports
}

// New returns a Host for this process. It fails if this program was built
// by a stock Go toolchain, whose plugin.Open refuses every changed package.
func New(opts Options) (*Host, error) {
	return newHost(opts, runtime.Version())
}

// newHost is New for a program built by the toolchain version, so that
// both answers are tested whichever toolchain runs the tests.
func newHost(opts Options, version string) (*Host, error) {
	if v := version; !manifest.GohotToolchain(v) {
		return nil, fmt.Errorf("reload: this program was built by stock %s, whose plugin.Open refuses every changed package: build it with the gohot toolchain", v)
	}
	h := &Host{opts: opts, byHash: map[string]int{}, hashes: map[string]string{}}
	if exe, err := os.Executable(); err == nil {
		h.self = exe
		// The program's own package hashes are the first loaded copies.
		if pkgs, err := pkghash.Read(exe); err == nil {
			for _, p := range pkgs {
				h.hashes[p.Path] = p.Hash
			}
		}
	}
	return h, nil
}

// Current returns the current generation, or nil before the first load.
// It takes no lock: hot paths may call it on every request.
func (h *Host) Current() *Generation { return h.current.Load() }

func (h *Host) logf(format string, args ...any) {
	if h.opts.Logf != nil {
		h.opts.Logf(format, args...)
	}
}

// Load checks, opens and hooks the plugin at path and makes it the current
// generation. On any error the previous generation stays current.
func (h *Host) Load(path string) (*Generation, *Report, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	// A symlink (current.so -> v7.so) names the version it points to; its
	// manifest lives beside the target.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	rep := &Report{Path: path}
	rep.RSSBefore = ReadRSS()

	m, sum, pkgs, err := h.vet(path)
	if err != nil {
		return nil, nil, err
	}
	rep.ID = m.idOrEmpty()
	facts, err := h.checkRunning(path, m.m)
	if err != nil {
		return nil, nil, err
	}
	rep.Changed, rep.Added = h.changes(pkgs)
	if m.m != nil {
		for _, f := range m.m.Check.Findings {
			if f.Severity == compat.Stale {
				rep.Stale = append(rep.Stale, f)
			}
		}
	}

	if h.opts.Redirect {
		// The runtime reads it at every plugin.Open.
		if err := os.Setenv("GOHOT_REDIRECT", "on"); err != nil {
			return nil, nil, fmt.Errorf("reload %s: set GOHOT_REDIRECT: %w", path, err)
		}
	}
	openStart := time.Now()
	p, err := plugin.Open(path)
	rep.OpenDuration = time.Since(openStart)
	if err != nil {
		return nil, nil, h.explainOpen(path, pkgs, err)
	}
	rep.Redirected, rep.NotRedirected = redirectReport(p)
	if rep.Redirect = redirectMode(rep.Redirected, rep.NotRedirected); rep.Redirect {
		var stale []compat.Finding
		for _, f := range compat.UnderRedirect(rep.Stale) {
			if f.Severity == compat.Stale {
				stale = append(stale, f)
			}
		}
		rep.Stale = stale
	}
	gen := &Generation{Seq: h.seq + 1, Path: path, ID: m.idOrEmpty(), Manifest: m.m, syms: p}
	err = h.checkEntries(gen)
	if err == nil {
		err = h.runHook(gen)
	}
	if err != nil {
		// The plugin stays mapped (plugins cannot be unloaded), but it
		// never becomes current; its file may be loaded again only
		// rebuilt, with a new identity.
		h.byHash[sum] = gen.Seq
		h.seq++
		return nil, nil, err
	}
	h.seq++
	h.byHash[sum] = gen.Seq
	for _, pkg := range pkgs {
		h.hashes[pkg.Path] = pkg.Hash
	}
	if facts != nil {
		h.bound = compat.Bound(h.bound, facts)
	}
	gen.LoadedAt = time.Now()
	prev := h.current.Swap(gen)
	rep.Generation = gen.Seq
	if prev != nil {
		rep.Previous = prev.Seq
	}
	rep.Duration = time.Since(start)
	rep.RSSAfter = ReadRSS()
	h.logf("reload: %s", rep.Summary())
	return gen, rep, nil
}

type vetted struct{ m *manifest.Manifest }

func (v vetted) idOrEmpty() string {
	if v.m == nil {
		return ""
	}
	return v.m.ID
}

// vet does every check that can be done without loading: the file is an
// ELF shared object for this machine, it is intact, it was built by this
// program's toolchain and checked, and it is not loaded already.
func (h *Host) vet(path string) (vetted, string, []pkghash.Package, error) {
	fail := func(format string, args ...any) (vetted, string, []pkghash.Package, error) {
		return vetted{}, "", nil, fmt.Errorf("reload %s: "+format, append([]any{path}, args...)...)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("%v", errors.Unwrap(err))
	}
	defer f.Close()
	sha := sha256.New()
	if _, err := io.Copy(sha, f); err != nil {
		return fail("read: %v", err)
	}
	sum := hex.EncodeToString(sha.Sum(nil))
	// First: a reload of what already runs (SIGHUP on the startup file)
	// is told so, not refused for something else.
	if seq, ok := h.byHash[sum]; ok {
		return fail("already loaded as generation %d: the runtime refuses a plugin twice; rebuild it with gohot build for a new identity", seq)
	}
	var v vetted
	m, err := manifest.ForPlugin(path)
	switch {
	case err == nil:
		v.m = m
	case errors.Is(err, os.ErrNotExist) && h.opts.AllowUnmanaged:
	case errors.Is(err, os.ErrNotExist):
		return fail("no manifest (%s): build it with gohot build, or set Options.AllowUnmanaged", manifest.PathFor(path))
	default:
		return fail("%v", err)
	}
	if m != nil {
		if m.PluginSHA256 != sum {
			return fail("the file does not match its manifest (sha256 %s, manifest says %s): truncated, corrupt or replaced; rebuild it", sum[:12], m.PluginSHA256[:min(12, len(m.PluginSHA256))])
		}
		if v := runtime.Version(); m.Toolchain != v {
			return fail("built by %s, this program by %s: build plugins with the program's toolchain (gohot build --host)", m.Toolchain, v)
		}
		switch m.Check.Status {
		case compat.StatusUnsafe:
			return fail("gohot check found unsafe edits against %s: loading it would corrupt shared state; fix the edits and rebuild", m.Check.Base)
		case compat.StatusSkipped:
			if !h.opts.AllowUnchecked && h.seq > 0 {
				return fail("built without gohot check (no --base): rebuild it with gohot build --base <running version's manifest>, or set Options.AllowUnchecked")
			}
		}
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fail("not a plugin (not an ELF file: %v)", err)
	}
	if want := elfMachine(); ef.Machine != want {
		return fail("built for %v, this program runs on %s/%s (%v): rebuild it for this machine", ef.Machine, runtime.GOOS, runtime.GOARCH, want)
	}
	if ef.Type != elf.ET_DYN {
		return fail("not a plugin (ELF type %v, want a shared object built with -buildmode=plugin)", ef.Type)
	}
	pkgs, err := pkghash.FromELF(ef)
	if err != nil {
		return fail("not a Go plugin, or truncated: %v", err)
	}
	if err := h.checkBinds(ef, m); err != nil {
		return fail("%v", err)
	}
	return v, sum, pkgs, nil
}

// checkBinds refuses a version built bound to its host (gohot build
// --host, the default) when this program does not define every symbol it
// leaves to the host: dlopen would refuse it naming one undefined symbol,
// and a version built against another build of the program, or for
// another program, is told apart from a broken file here.
func (h *Host) checkBinds(ef *elf.File, m *manifest.Manifest) error {
	bound, err := hostbind.Packages(ef)
	if err != nil || len(bound) == 0 {
		return err
	}
	if h.exports == nil {
		if h.self == "" {
			return fmt.Errorf("built bound to its host, and this program cannot read its own executable to check it: build it whole with gohot build --full")
		}
		if h.exports, err = hostbind.ReadExports(h.self); err != nil {
			return err
		}
	}
	missing, err := hostbind.Missing(ef, h.exports)
	if err != nil || len(missing) == 0 {
		return err
	}
	host := "another program"
	if m != nil && m.Host != "" {
		host = m.Host
	}
	return fmt.Errorf("built bound to %s, which leaves %d packages (%s) to the program that loads it, and this program does not define %d of the symbols it needs (%s): rebuild it with gohot build --host %s, or whole with --full",
		host, len(bound), hostbind.Describe(bound), len(missing), hostbind.Describe(missing), h.self)
}

// checkRunning compares the facts in a version's manifest with those of
// the running process (every generation loaded so far, as compat.Bound
// merges them) by the rules gohot check applies, and refuses the version
// if an edit is unsafe against it. A manifest is checked against the base
// its builder named, which need not be what runs: a version checked
// against v1 while v2 runs can retype a var v2 added. It returns the
// version's facts (nil if its manifest has none).
func (h *Host) checkRunning(path string, m *manifest.Manifest) (*compat.Facts, error) {
	if m == nil || len(m.Facts) == 0 {
		return nil, nil
	}
	var f compat.Facts
	if err := json.Unmarshal(m.Facts, &f); err != nil {
		return nil, fmt.Errorf("reload %s: the manifest's facts are unreadable (%v): rebuild it with gohot build", path, err)
	}
	if h.bound == nil {
		return &f, nil
	}
	res := compat.Compare(h.bound, &f)
	n := res.Count(compat.Unsafe)
	if n == 0 {
		return &f, nil
	}
	base := m.Check.Base
	if base == "" {
		base = "nothing (check skipped)"
	}
	running := "the running generation"
	if cur := h.current.Load(); cur != nil {
		running = fmt.Sprintf("the running generation %d", cur.Seq)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "reload %s: refused: %d unsafe edits against %s (its manifest was checked against %s); rebuild it with gohot build --base <the running version's manifest>", path, n, running, base)
	for _, f := range res.Findings {
		if f.Severity == compat.Unsafe {
			fmt.Fprintf(&b, "\n  %s: unsafe %s %s: %s", f.Pos, f.Rule, f.Object, f.Message)
		}
	}
	return nil, errors.New(b.String())
}

func elfMachine() elf.Machine {
	switch runtime.GOARCH {
	case "amd64":
		return elf.EM_X86_64
	case "arm64":
		return elf.EM_AARCH64
	case "386":
		return elf.EM_386
	case "arm":
		return elf.EM_ARM
	case "ppc64", "ppc64le":
		return elf.EM_PPC64
	case "s390x":
		return elf.EM_S390
	case "riscv64":
		return elf.EM_RISCV
	case "loong64":
		return elf.EM_LOONGARCH
	}
	return elf.EM_NONE
}

// changes lists the packages whose hash differs from the copy loaded last,
// and the packages this process has not loaded before. Standard packages
// never differ in a load the runtime accepts, so only user packages count.
func (h *Host) changes(pkgs []pkghash.Package) (changed, added []string) {
	for _, p := range pkgs {
		if strings.HasPrefix(p.Path, "plugin/unnamed-") {
			continue // every version's own main package
		}
		old, ok := h.hashes[p.Path]
		switch {
		case !ok && !p.Std:
			added = append(added, p.Path)
		case ok && old != p.Hash && !p.Std:
			changed = append(changed, p.Path)
		}
	}
	return changed, added
}

// explainOpen turns the runtime's refusal into which policy refused what.
func (h *Host) explainOpen(path string, pkgs []pkghash.Package, err error) error {
	msg := err.Error()
	const marker = "plugin was built with a different version of package "
	i := strings.Index(msg, marker)
	if i < 0 {
		return fmt.Errorf("reload %s: %w", path, err)
	}
	pkg := msg[i+len(marker):]
	std := false
	for _, p := range pkgs {
		if p.Path == pkg {
			std = p.Std
		}
	}
	policy := os.Getenv("GOHOT_PKGCHECK")
	if policy == "" {
		policy = "user"
	}
	if std {
		return fmt.Errorf("reload %s: refused by GOHOT_PKGCHECK=%s: its standard package %s differs from this program's, so it was built by another toolchain or with other flags; build it with gohot build --host %s: %w", path, policy, pkg, h.self, err)
	}
	return fmt.Errorf("reload %s: refused by GOHOT_PKGCHECK=%s, which refuses changed user packages (%s changed); unset it to allow reloads: %w", path, policy, pkg, err)
}

func (h *Host) checkEntries(gen *Generation) error {
	for _, check := range h.required {
		if err := check(gen); err != nil {
			return fmt.Errorf("reload %s: %w; the previous generation stays current", gen.Path, err)
		}
	}
	return nil
}

func (h *Host) runHook(gen *Generation) error {
	sym, err := gen.syms.Lookup(HookSymbol)
	if err != nil {
		return nil // the hook is optional
	}
	hook, ok := sym.(func(string) error)
	if !ok {
		return fmt.Errorf("reload %s: %s is a %T, want func(prevID string) error; the previous generation stays current", gen.Path, HookSymbol, sym)
	}
	prevID := ""
	if prev := h.current.Load(); prev != nil {
		prevID = prev.ID
	}
	if err := callHook(hook, prevID); err != nil {
		return fmt.Errorf("reload %s: %s failed, the previous generation stays current: %w", gen.Path, HookSymbol, err)
	}
	return nil
}

// callHook turns a panicking hook into an error: a bad version must not
// take the service down.
func callHook(hook func(string) error, prevID string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return hook(prevID)
}

// redirectMode tells whether the runtime loaded a plugin in redirect mode,
// from its report and the environment. A pass that redirected nothing
// leaves no report: then the mode is the one the runtime read at that
// Open, GOHOT_REDIRECT (Options.Redirect sets it, or the process did).
func redirectMode(redirected, not []string) bool {
	return os.Getenv("GOHOT_REDIRECT") == "on" || len(redirected)+len(not) > 0
}
