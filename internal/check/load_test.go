package check

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Loader lists the package graph once and loads again from the files
// alone while an edit leaves the graph as listed; any edit that may change
// the graph (an import, a file added, a build constraint, go.mod) lists it
// again. Each step states the listings so far and a fact that shows the
// load read the edited source.
func TestLoaderKeepsTheListing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) { writeFile(t, dir, name, text) }
	write("go.mod", "module example.com/app\n\ngo 1.22\n")
	write("main.go", "package main\n\nimport \"example.com/app/rules\"\n\nfunc Score() int { return rules.Points(\"a\") }\n")
	write("rules/rules.go", "package rules\n\nimport \"strings\"\n\nfunc Points(s string) int { return len(strings.ToUpper(s)) }\n")

	l := NewLoader(dir, Options{})
	ctx := context.Background()
	load := func() (lists int, body, sig string) {
		t.Helper()
		f, err := l.Load(ctx)
		require.NoError(t, err)
		fn := f.Packages["example.com/app/rules"].Funcs["Points"]
		require.NotNil(t, fn, "rules.Points not found")
		return l.Lists, fn.BodyHash, fn.Sig
	}

	lists, body1, sig := load()
	assert.Equal(t, 1, lists, "first load")
	assert.Equal(t, "func(s string) int", sig)

	write("rules/rules.go", "package rules\n\nimport \"strings\"\n\nfunc Points(s string) int { return 2 * len(strings.ToUpper(s)) }\n")
	lists, body2, _ := load()
	assert.Equal(t, 1, lists, "a body edit keeps the listing")
	assert.NotEqual(t, body1, body2, "the load read the edited body")

	write("rules/rules.go", "package rules\n\nimport (\n\t\"strconv\"\n\t\"strings\"\n)\n\nfunc Points(s string) int { n, _ := strconv.Atoi(strings.ToUpper(s)); return n }\n")
	lists, _, _ = load()
	assert.Equal(t, 2, lists, "an added import lists again")

	write("rules/extra.go", "package rules\n\nfunc Bonus() int { return 1 }\n")
	f, err := l.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, l.Lists, "an added file lists again")
	assert.Contains(t, f.Packages["example.com/app/rules"].Funcs, "Bonus")

	write("rules/extra.go", "//go:build ignore\n\npackage rules\n\nfunc Bonus() int { return 1 }\n")
	f, err = l.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, l.Lists, "a changed build constraint lists again")
	assert.NotContains(t, f.Packages["example.com/app/rules"].Funcs, "Bonus", "the ignored file is not loaded")

	write("rules/extra.go", "package rules\n\nfunc Bonus() int { return 2 }\n")
	f, err = l.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, l.Lists, "an ignored file's constraint removed lists again")
	assert.Contains(t, f.Packages["example.com/app/rules"].Funcs, "Bonus", "the file is loaded again")

	write("rules/rules_test.go", "package rules\n")
	lists, _, _ = load()
	assert.Equal(t, 5, lists, "a test file added keeps the listing")

	write("go.mod", "module example.com/app\n\ngo 1.23\n")
	lists, _, _ = load()
	assert.Equal(t, 6, lists, "an edited go.mod lists again")

	write("rules/rules.go", "package rules\n\nfunc Points(s string) int { return undefined }\n")
	_, err = l.Load(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undefined: undefined")
	write("rules/rules.go", "package rules\n\nfunc Points(s string) int { return len(s) }\n")
	lists, _, _ = load()
	assert.Equal(t, 7, lists, "after a dropped import, one listing")
}

// A package that uses cgo is type-checked as the compiler sees it (the Go
// files cgo writes), its facts placed at its own source lines, and listed
// again at every load: the generated files follow its sources.
func TestLoaderCgo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) { writeFile(t, dir, name, text) }
	write("go.mod", "module example.com/app\n\ngo 1.22\n")
	write("main.go", "package main\n\nimport \"example.com/app/native\"\n\nfunc Score() int { return native.Twice(2) }\n")
	write("native/native.go", "package native\n\n// static int twice(int x) { return 2 * x; }\nimport \"C\"\n\nfunc Twice(x int) int { return int(C.twice(C.int(x))) }\n")

	l := NewLoader(dir, Options{Env: append(os.Environ(), "CGO_ENABLED=1")})
	ctx := context.Background()
	var bodies []string
	for i, body := range []string{"2 * x", "3 * x"} {
		write("native/native.go", "package native\n\n// static int twice(int x) { return "+body+"; }\nimport \"C\"\n\nfunc Twice(x int) int { return int(C.twice(C.int(x))) + "+string(rune('0'+i))+" }\n")
		f, err := l.Load(ctx)
		require.NoError(t, err)
		fn := f.Packages["example.com/app/native"].Funcs["Twice"]
		require.NotNil(t, fn, "native.Twice not found")
		assert.Equal(t, "native/native.go:6", fn.Pos)
		assert.Equal(t, "func(x int) int", fn.Sig)
		bodies = append(bodies, fn.BodyHash)
	}
	assert.Equal(t, 2, l.Lists, "a cgo graph is listed at every load")
	assert.NotEqual(t, bodies[0], bodies[1], "the second load read the edited body")
}

// writeFile writes text to name under dir, making its directory.
func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o777))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o666))
}
