package testscripts

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestRandomEdits builds a sequence of versions of a package full of func
// literals (capturing nothing, of two signatures), closures that capture,
// and generic funcs, each version a random edit of the one before
// (literals added, removed, swapped, bodies changed, generic bodies that
// build other types), loads them all into one process on the gohot
// toolchain, and checks that after every load the new version's code
// returns exactly the answers its source says, and that the first
// version's code still returns its own. Before patch 0008 a literal or a
// dictionary of the same name was bound to the first loaded copy: wrong
// answers or a crash.
//
// Odd versions are bound to the host (pluginBuild), even ones whole.
// GOHOT_EDITS_SEED and GOHOT_EDITS_VERSIONS pick another sequence.
func TestRandomEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin per version")
	}
	g, _ := load(t)
	seed := envInt(t, "GOHOT_EDITS_SEED", 1)
	versions := envInt(t, "GOHOT_EDITS_VERSIONS", 8)
	t.Logf("seed %d, %d versions", seed, versions)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	dir, gocmd := module(t, g, "example.com/app")
	hostSource, err := os.ReadFile(filepath.Join("internal", "testhost", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "host", "main.go"), string(hostSource))
	gocmd("build", "-o", "host.exe", "./host")

	pkg := newEditPkg(rng)
	var args, want []string
	var first string
	for v := 1; v <= versions; v++ {
		if v > 1 {
			pkg.edit(rng)
		}
		write(t, filepath.Join(dir, "logic", "logic.go"), pkg.source())
		// A main package per version, built from a file list: each
		// version gets its own plugin path.
		main := fmt.Sprintf("package main\n\nimport \"example.com/app/logic\"\n\n// version %d\nfunc Check() string { return logic.Check() }\n\nfunc main() {}\n", v)
		write(t, filepath.Join(dir, "plugin", "main.go"), main)
		so := fmt.Sprintf("v%d.so", v)
		gocmd(pluginBuild(dir, so, v)...)
		name := fmt.Sprintf("v%d", v)
		args = append(args, "open", name, so, "call", name, "Check")
		want = append(want, "open "+name+": ok", name+".Check: "+pkg.answer())
		if v == 1 {
			first = pkg.answer()
		}
	}
	args = append(args, "call", "v1", "Check")
	want = append(want, "v1.Check: "+first)

	cmd := exec.Command(filepath.Join(dir, "host.exe"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range max(len(got), len(want)) {
		g, w := "(nothing)", "(nothing)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\ngot  %s\nwant %s", i+1, g, w)
		}
	}
	if err != nil {
		t.Errorf("host.exe: %v\n%s", err, out)
	}
	if t.Failed() {
		t.Logf("last version's source:\n%s", pkg.source())
	}
}

// module makes a temporary module with the given path and returns it with
// a function that runs tc's go command in it, offline, with the suite's
// shared build cache; a failing command fails the test.
func module(t *testing.T, tc toolchain, path string) (dir string, gocmd func(args ...string)) {
	t.Helper()
	dir = t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module "+path+"\n\ngo 1.22\n")
	env := append(os.Environ(), "GOROOT="+tc.goroot, "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod",
		"GOCACHE="+sharedGOCACHE(t), "CGO_ENABLED=1", "GOHOT_PKGCHECK=", "GOPROXY=off")
	return dir, func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(tc.goroot, "bin", "go"), args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// pluginBuild returns the go command that builds version v of a plugin
// into so, for a host.exe in dir: every other version bound to the host
// (-hostimport, as gohot build --host builds it), the others whole, so
// that both kinds load side by side. Binding is linux/amd64 only.
func pluginBuild(dir, so string, v int) []string {
	args := []string{"build", "-buildmode=plugin", "-o", so}
	arch := targetArch()
	if arch == "" {
		arch = runtime.GOARCH
	}
	if v%2 == 1 && arch == "amd64" {
		args = append(args, "-ldflags=-hostimport="+filepath.Join(dir, "host.exe"))
	}
	return append(args, "./plugin/main.go")
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// A literal is one func literal in a generated func: it returns a string
// made of its value; kind 0 takes nothing, kind 1 takes a string, kind 2
// captures a local variable (a closure, not a static func value).
type literal struct {
	kind  int
	value int
}

// The shapes a generic func's body builds from its argument, and what
// fmt.Sprint prints for the argument 5.
var genericShapes = []struct{ expr, printed string }{
	{"[]T{x}", "[5]"},
	{"map[int]T{1: x}", "map[1:5]"},
	{"[2]T{x, x}", "[5 5]"},
	{"struct{ A, B T }{x, x}", "{5 5}"},
	{"[]map[string]T{{\"k\": x}}", "[map[k:5]]"},
}

type editFunc struct {
	lits    []literal
	generic int // index into genericShapes
}

type editPkg struct {
	funcs []editFunc
	next  int // next literal value, so every edit makes a new answer
}

func newEditPkg(rng *rand.Rand) *editPkg {
	p := &editPkg{}
	for range 4 {
		f := editFunc{generic: rng.IntN(len(genericShapes))}
		for range 1 + rng.IntN(3) {
			f.lits = append(f.lits, p.newLit(rng))
		}
		p.funcs = append(p.funcs, f)
	}
	return p
}

func (p *editPkg) newLit(rng *rand.Rand) literal {
	p.next++
	return literal{kind: rng.IntN(3), value: p.next}
}

// edit applies one to three random edits.
func (p *editPkg) edit(rng *rand.Rand) {
	for range 1 + rng.IntN(3) {
		f := &p.funcs[rng.IntN(len(p.funcs))]
		switch op := rng.IntN(5); {
		case op == 0 || len(f.lits) == 0: // add a literal anywhere
			i := rng.IntN(len(f.lits) + 1)
			f.lits = append(f.lits[:i], append([]literal{p.newLit(rng)}, f.lits[i:]...)...)
		case op == 1 && len(f.lits) > 1: // remove one
			i := rng.IntN(len(f.lits))
			f.lits = append(f.lits[:i], f.lits[i+1:]...)
		case op == 2 && len(f.lits) > 1: // swap two
			i, j := rng.IntN(len(f.lits)), rng.IntN(len(f.lits))
			f.lits[i], f.lits[j] = f.lits[j], f.lits[i]
		case op == 3: // the generic body builds another type
			f.generic = (f.generic + 1 + rng.IntN(len(genericShapes)-1)) % len(genericShapes)
		default: // change a body
			p.next++
			f.lits[rng.IntN(len(f.lits))].value = p.next
		}
	}
}

func (p *editPkg) source() string {
	var b strings.Builder
	b.WriteString("package logic\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n")
	b.WriteString("//go:noinline\nfunc call0(f func() string) string { return f() }\n\n")
	b.WriteString("//go:noinline\nfunc call1(f func(string) string, s string) string { return f(s) }\n\n")
	var calls []string
	for i, f := range p.funcs {
		fmt.Fprintf(&b, "//go:noinline\nfunc G%d[T any](x T) any { return %s }\n\n", i, genericShapes[f.generic].expr)
		fmt.Fprintf(&b, "//go:noinline\nfunc F%d() string {\n\tvar out []string\n", i)
		for j, l := range f.lits {
			switch l.kind {
			case 0:
				fmt.Fprintf(&b, "\tout = append(out, call0(func() string { return \"a%d\" }))\n", l.value)
			case 1:
				fmt.Fprintf(&b, "\tout = append(out, call1(func(s string) string { return s + \"%d\" }, \"b\"))\n", l.value)
			case 2:
				fmt.Fprintf(&b, "\tn%d := %d\n\tout = append(out, call0(func() string { return fmt.Sprint(\"c\", n%d) }))\n", j, l.value, j)
			}
		}
		fmt.Fprintf(&b, "\tout = append(out, fmt.Sprint(G%d(5)))\n\treturn strings.Join(out, \",\")\n}\n\n", i)
		calls = append(calls, fmt.Sprintf("F%d()", i))
	}
	fmt.Fprintf(&b, "func Check() string { return strings.Join([]string{%s}, \"|\") }\n", strings.Join(calls, ", "))
	return b.String()
}

// answer is what Check returns for the current source.
func (p *editPkg) answer() string {
	var parts []string
	for _, f := range p.funcs {
		var out []string
		for _, l := range f.lits {
			out = append(out, fmt.Sprintf("%c%d", "abc"[l.kind], l.value))
		}
		out = append(out, genericShapes[f.generic].printed)
		parts = append(parts, strings.Join(out, ","))
	}
	return strings.Join(parts, "|")
}
