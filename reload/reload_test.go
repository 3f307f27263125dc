package reload

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"plugin"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/pkghash"
)

// fakeSyms stands in for a loaded plugin.
type fakeSyms map[string]plugin.Symbol

func (f fakeSyms) Lookup(name string) (plugin.Symbol, error) {
	s, ok := f[name]
	if !ok {
		return nil, errors.New("not found")
	}
	return s, nil
}

func newTestHost() *Host {
	return &Host{byHash: map[string]int{}, hashes: map[string]string{}}
}

func TestLookup(t *testing.T) {
	n := 7
	g := &Generation{Seq: 3, Path: "/v3.so", ID: "id3", syms: fakeSyms{
		"Run":   func() string { return "v3" },
		"Count": &n,
	}}
	tests := []struct {
		name    string
		lookup  func() (any, error)
		wantErr string
	}{
		{"func", func() (any, error) { return Lookup[func() string](g, "Run") }, ""},
		{"var", func() (any, error) { return Lookup[*int](g, "Count") }, ""},
		{"missing", func() (any, error) { return Lookup[func() string](g, "Gone") }, "lookup Gone in generation 3 (/v3.so, id3): symbol not found"},
		{"wrong type", func() (any, error) { return Lookup[func(int) string](g, "Run") },
			"lookup Run in generation 3 (/v3.so, id3): symbol is a func() string, want func(int) string"},
		{"var as value", func() (any, error) { return Lookup[int](g, "Count") }, "symbol is a *int, want int"},
		{"no generation", func() (any, error) { return Lookup[func() string](nil, "Run") }, "lookup Run: no generation loaded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.lookup()
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.NotNil(t, v)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestEntryFollowsCurrentGeneration(t *testing.T) {
	h := newTestHost()
	run := NewEntry[func() string](h, "Run")
	_, err := run.Get()
	require.Error(t, err, "no generation yet")

	g1 := &Generation{Seq: 1, syms: fakeSyms{"Run": func() string { return "v1" }}}
	h.current.Store(g1)
	assert.Equal(t, "v1", run.MustGet()())

	g2 := &Generation{Seq: 2, syms: fakeSyms{"Run": func() string { return "v2" }}}
	h.current.Store(g2)
	assert.Equal(t, "v2", run.MustGet()())

	// A registered entry is required of every later version.
	require.Len(t, h.required, 1)
	err = h.checkEntries(&Generation{Seq: 3, Path: "/v3.so", syms: fakeSyms{"Run": func() int { return 3 }}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symbol is a func() int, want func() string; the previous generation stays current")
}

func TestHook(t *testing.T) {
	h := newTestHost()
	h.current.Store(&Generation{Seq: 1, ID: "prev-id"})
	var saw string
	ok := &Generation{Seq: 2, Path: "/v2.so", syms: fakeSyms{HookSymbol: func(prev string) error { saw = prev; return nil }}}
	require.NoError(t, h.runHook(ok))
	assert.Equal(t, "prev-id", saw)

	for name, tc := range map[string]struct {
		sym  plugin.Symbol
		want string
	}{
		"error":      {func(string) error { return errors.New("boom") }, "GohotOnLoad failed, the previous generation stays current: boom"},
		"panic":      {func(string) error { panic("bad state") }, "GohotOnLoad failed, the previous generation stays current: panic: bad state"},
		"wrong type": {func() {}, "GohotOnLoad is a func(), want func(prevID string) error"},
	} {
		t.Run(name, func(t *testing.T) {
			err := h.runHook(&Generation{Seq: 2, Path: "/v2.so", syms: fakeSyms{HookSymbol: tc.sym}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.NoError(t, h.runHook(&Generation{syms: fakeSyms{}}), "the hook is optional")
}

// elfCopy copies an ELF file of this machine (the test binary itself) and
// lets the test damage it.
func elfCopy(t *testing.T, edit func([]byte) []byte) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	data, err := os.ReadFile(exe)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "x.so")
	require.NoError(t, os.WriteFile(path, edit(data), 0o644))
	return path
}

func TestVetRefusesBadFiles(t *testing.T) {
	h := newTestHost()
	h.opts.AllowUnmanaged = true
	otherArch := elf.EM_AARCH64
	if runtime.GOARCH == "arm64" {
		otherArch = elf.EM_X86_64
	}
	text := filepath.Join(t.TempDir(), "notes.so")
	require.NoError(t, os.WriteFile(text, []byte("not a plugin\n"), 0o644))
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "gone.so"), "no such file or directory"},
		{"not ELF", text, "not a plugin (not an ELF file"},
		{"wrong architecture", elfCopy(t, func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[18:], uint16(otherArch))
			return b
		}), "built for " + otherArch.String()},
		{"executable", elfCopy(t, func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_EXEC))
			return b
		}), "not a plugin (ELF type ET_EXEC"},
		{"truncated", elfCopy(t, func(b []byte) []byte { return b[:4096] }), "not a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := h.vet(tc.path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "\n")+1, "one line")
		})
	}
}

func TestVetRequiresManifest(t *testing.T) {
	h := newTestHost()
	path := elfCopy(t, func(b []byte) []byte { return b })
	_, _, _, err := h.vet(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no manifest ("+path+".gohot.json): build it with gohot build")
}

func TestNewChecksToolchain(t *testing.T) {
	_, err := newHost(Options{}, "go1.26.8")
	if assert.Error(t, err) {
		assert.Equal(t, "reload: this program was built by stock go1.26.8, whose plugin.Open refuses every changed package: build it with the gohot toolchain", err.Error())
	}
	h, err := newHost(Options{}, "go1.26.8-gohot.8")
	require.NoError(t, err)
	assert.Nil(t, h.Current())
	assert.NotEmpty(t, h.hashes, "the program's own package hashes are known")
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctl.sock")
	l, err := Listen(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "owner only")

	_, err = Listen(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is in use by another process")

	h := newTestHost()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, l) }()
	resp, err := Call(ctx, path, Request{Op: "status"})
	require.NoError(t, err)
	assert.True(t, resp.OK)
	assert.Equal(t, 0, resp.Generation)
	resp, err = Call(ctx, path, Request{Op: "reload", Path: "relative.so"})
	require.NoError(t, err)
	assert.False(t, resp.OK)
	assert.Contains(t, resp.Error, "the path must be absolute")
	resp, err = Call(ctx, path, Request{Op: "fly"})
	require.NoError(t, err)
	assert.Contains(t, resp.Error, `unknown op "fly"`)
	cancel()
	require.NoError(t, <-done)
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "the socket file is removed on shutdown")
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	// A socket file whose process is gone: bound, then the listener
	// dropped without unlinking.
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	l2, err := Listen(path)
	require.NoError(t, err)
	l2.Close()
}

func TestListenRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	_, err := Listen(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exists and is not a socket")
}

func TestListenPermission(t *testing.T) {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// Root writes anywhere; /sys refuses even root (EPERM).
		dir = "/sys"
	} else {
		require.NoError(t, os.Chmod(dir, 0o500))
	}
	_, err := Listen(filepath.Join(dir, "ctl.sock"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "choose a path in a directory this user can write")
}

func TestCallWithoutHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := Call(ctx, filepath.Join(t.TempDir(), "none.sock"), Request{Op: "status"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is the host running with a control socket there?")
}

func TestReadRSS(t *testing.T) {
	r := ReadRSS()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	assert.Positive(t, r.Total)
	assert.Positive(t, r.Anon)
}

// The hot path: calling an entry point through the library versus calling
// a func value directly. Results are recorded in README.md.
// benchFunc is a func value the compiler cannot inline at the call site,
// like an entry point held by a host that manages reloads by hand.
var benchFunc = func() int { return 1 }

func BenchmarkDirectCall(b *testing.B) {
	sink := 0
	for i := 0; i < b.N; i++ {
		sink += benchFunc()
	}
	_ = sink
}

func BenchmarkEntryCall(b *testing.B) {
	h := newTestHost()
	h.current.Store(&Generation{Seq: 1, syms: fakeSyms{"Run": func() int { return 1 }}})
	run := NewEntry[func() int](h, "Run")
	sink := 0
	for i := 0; i < b.N; i++ {
		f, _ := run.Get()
		sink += f()
	}
	_ = sink
}

func BenchmarkEntryCallParallel(b *testing.B) {
	h := newTestHost()
	h.current.Store(&Generation{Seq: 1, syms: fakeSyms{"Run": func() int { return 1 }}})
	run := NewEntry[func() int](h, "Run")
	b.RunParallel(func(pb *testing.PB) {
		sink := 0
		for pb.Next() {
			f, _ := run.Get()
			sink += f()
		}
		_ = sink
	})
}

func TestExplainOpen(t *testing.T) {
	h := newTestHost()
	h.self = "/srv/host"
	pkgs := []pkghash.Package{{Path: "internal/abi", Std: true}, {Path: "example.com/app/logic"}}
	const prefix = `plugin.Open("v2"): plugin was built with a different version of package `

	t.Setenv("GOHOT_PKGCHECK", "")
	err := h.explainOpen("/v2.so", pkgs, errors.New(prefix+"internal/abi"))
	assert.Contains(t, err.Error(), "refused by GOHOT_PKGCHECK=user: its standard package internal/abi differs from this program's, so it was built by another toolchain or with other flags; build it with gohot build --host /srv/host")

	t.Setenv("GOHOT_PKGCHECK", "stock")
	err = h.explainOpen("/v2.so", pkgs, errors.New(prefix+"example.com/app/logic"))
	assert.Contains(t, err.Error(), "refused by GOHOT_PKGCHECK=stock, which refuses changed user packages (example.com/app/logic changed); unset it to allow reloads")

	other := errors.New(`plugin.Open("v2"): realpath failed`)
	assert.ErrorIs(t, h.explainOpen("/v2.so", pkgs, other), other)
}

func TestReloadOnSignal(t *testing.T) {
	h := newTestHost()
	logged := make(chan string, 1)
	h.opts.Logf = func(format string, args ...any) {
		select {
		case logged <- fmt.Sprintf(format, args...):
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	missing := filepath.Join(t.TempDir(), "current.so")
	h.ReloadOnSignal(ctx, missing, syscall.SIGUSR1)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	select {
	case msg := <-logged:
		assert.Contains(t, msg, "reload on user defined signal 1: reload "+missing)
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not trigger a load")
	}
}

// TestVetManifestRefusals covers what the manifest beside a plugin can
// refuse before plugin.Open: another toolchain, an unsafe check, and an
// unchecked version loaded over a running one.
func TestVetManifestRefusals(t *testing.T) {
	path, base := fileWithManifest(t)
	tests := []struct {
		name string
		edit func(*manifest.Manifest)
		seq  int
		want string
	}{
		{"other toolchain", func(m *manifest.Manifest) { m.Toolchain = "go1.0-other" }, 0,
			"built by go1.0-other, this program by " + runtime.Version()},
		{"unsafe check", func(m *manifest.Manifest) { m.Check = manifest.Check{Status: compat.StatusUnsafe, Base: "v1.so"} }, 0,
			"gohot check found unsafe edits against v1.so"},
		{"unchecked over a running version", func(m *manifest.Manifest) { m.Check.Status = compat.StatusSkipped }, 1,
			"built without gohot check (no --base)"},
		{"corrupt", func(m *manifest.Manifest) { m.PluginSHA256 = strings.Repeat("0", 64) }, 0,
			"the file does not match its manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			tc.edit(&m)
			require.NoError(t, manifest.Write(manifest.PathFor(path), &m))
			h := newTestHost()
			h.seq = tc.seq
			_, _, _, err := h.vet(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// The first version may be unchecked: nothing runs yet to compare with.
	m := base
	m.Check.Status = compat.StatusSkipped
	require.NoError(t, manifest.Write(manifest.PathFor(path), &m))
	_, _, _, err := newTestHost().vet(path)
	require.Error(t, err, "the test binary is no plugin")
	assert.Contains(t, err.Error(), "not a plugin (ELF type", "it passed every manifest check")
}

// A version is checked against what the process has loaded: v3, checked
// against v1, retypes a var v2 added. checkRunning refuses it with gohot
// check's rule and message; against v1 alone it passes.
func TestCheckRunning(t *testing.T) {
	pkg := func(vars map[string]string) json.RawMessage {
		f := compat.Facts{Main: "example.com/app/plugin", Packages: map[string]*compat.PkgFacts{
			"example.com/app/logic": {Path: "example.com/app/logic", Vars: map[string]*compat.VarFacts{}},
		}}
		for name, typ := range vars {
			f.Packages["example.com/app/logic"].Vars[name] = &compat.VarFacts{Pos: "logic/logic.go:5", Type: typ}
		}
		data, err := json.Marshal(f)
		require.NoError(t, err)
		return data
	}
	v1 := &manifest.Manifest{Facts: pkg(nil)}
	v2 := &manifest.Manifest{Facts: pkg(map[string]string{"Table": "map[string]int"}), Check: manifest.Check{Base: "v1.so"}}
	v3 := &manifest.Manifest{Facts: pkg(map[string]string{"Table": "map[string]string"}), Check: manifest.Check{Base: "v1.so"}}

	h := newTestHost()
	for i, m := range []*manifest.Manifest{v1, v2} {
		f, err := h.checkRunning(fmt.Sprintf("v%d.so", i+1), m)
		require.NoError(t, err)
		h.bound = compat.Bound(h.bound, f)
		h.current.Store(&Generation{Seq: i + 1})
	}
	_, err := h.checkRunning("v3.so", v3)
	require.Error(t, err)
	assert.Equal(t, "reload v3.so: refused: 1 unsafe edits against the running generation 2 (its manifest was checked against v1.so); rebuild it with gohot build --base <the running version's manifest>\n"+
		"  logic/logic.go:5: unsafe var-type example.com/app/logic.Table: type changed from map[string]int to map[string]string: the var binds to the loaded copy, which holds a map[string]int",
		err.Error())

	// Against v1 alone, v3 is fine: the refusal comes from v2's var.
	h = newTestHost()
	f, err := h.checkRunning("v1.so", v1)
	require.NoError(t, err)
	h.bound = compat.Bound(nil, f)
	_, err = h.checkRunning("v3.so", v3)
	assert.NoError(t, err)

	// A manifest without facts is not compared; unreadable facts refuse.
	_, err = h.checkRunning("old.so", &manifest.Manifest{})
	assert.NoError(t, err)
	_, err = h.checkRunning("bad.so", &manifest.Manifest{Facts: json.RawMessage(`{"packages": 3}`)})
	assert.ErrorContains(t, err, "reload bad.so: the manifest's facts are unreadable")
}

// A file that is already loaded is told so first, whatever else its
// manifest says: SIGHUP on the startup file of a host whose first
// version was built without a check.
func TestVetAlreadyLoadedFirst(t *testing.T) {
	path, m := fileWithManifest(t)
	m.Check.Status = compat.StatusSkipped
	require.NoError(t, manifest.Write(manifest.PathFor(path), &m))
	h := newTestHost()
	h.seq = 1
	h.byHash[m.PluginSHA256] = 1
	_, _, _, err := h.vet(path)
	require.Error(t, err)
	assert.Equal(t, "reload "+path+": already loaded as generation 1: the runtime refuses a plugin twice; rebuild it with gohot build for a new identity", err.Error())
}

// fileWithManifest returns a copy of an ELF file and a manifest that
// matches it (checked, this program's toolchain), not yet written.
func fileWithManifest(t *testing.T) (string, manifest.Manifest) {
	t.Helper()
	path := elfCopy(t, func(b []byte) []byte { return b })
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return path, manifest.Manifest{ID: "id1", Plugin: filepath.Base(path), PluginSHA256: hex.EncodeToString(sum[:]),
		Toolchain: runtime.Version(), Check: manifest.Check{Status: compat.StatusOK}}
}
