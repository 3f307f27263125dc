package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/manifest"
)

// Each testdata/*.txtar holds an old and a new version of a small module
// (files under both/ go to each) and a want file: one "severity rule object"
// line per finding that must be reported, "!severity" for a severity that
// must not appear at all, and "!severity rule object" for one finding that
// must not be reported.
func TestRules(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir, want := extract(t, file)
			require.NotEmpty(t, want, "%s has no want file", file)

			old, err := Load(filepath.Join(dir, "old", "plugin"), Options{})
			require.NoError(t, err)
			new, err := Load(filepath.Join(dir, "new", "plugin"), Options{})
			require.NoError(t, err)
			res := compat.Compare(old, new)

			got := map[string]bool{}
			severities := map[string]bool{}
			for _, f := range res.Findings {
				got[f.Severity+" "+f.Rule+" "+f.Object] = true
				severities[f.Severity] = true
				assert.NotEmpty(t, f.Message)
			}
			for _, w := range want {
				if neg, ok := strings.CutPrefix(w, "!"); ok {
					if strings.Contains(neg, " ") {
						assert.False(t, got[neg], "want no finding %q, got:\n%s", neg, describe(res.Findings))
					} else {
						assert.False(t, severities[neg], "want no %s finding, got:\n%s", neg, describe(res.Findings))
					}
					continue
				}
				assert.True(t, got[w], "want finding %q, got:\n%s", w, describe(res.Findings))
			}
		})
	}
}

// extract writes a rules fixture's old/ and new/ trees (both/ goes to each)
// under a temporary directory and returns it with the want lines.
func extract(t *testing.T, file string) (dir string, want []string) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	require.NoError(t, err)
	dir = t.TempDir()
	for _, f := range ar.Files {
		if f.Name == "want" {
			want = strings.Split(strings.TrimSpace(string(f.Data)), "\n")
			continue
		}
		targets := []string{f.Name}
		if rest, ok := strings.CutPrefix(f.Name, "both/"); ok {
			targets = []string{"old/" + rest, "new/" + rest}
		}
		for _, target := range targets {
			path := filepath.Join(dir, target)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o777))
			require.NoError(t, os.WriteFile(path, f.Data, 0o666))
		}
	}
	return dir, want
}

func describe(findings []manifest.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("  " + f.Severity + " " + f.Rule + " " + f.Object + " (" + f.Pos + "): " + f.Message + "\n")
	}
	if b.Len() == 0 {
		return "  (no findings)\n"
	}
	return b.String()
}

func TestFindingPositions(t *testing.T) {
	dir, _ := extract(t, "testdata/struct_layout.txtar")
	old, err := Load(filepath.Join(dir, "old", "plugin"), Options{})
	require.NoError(t, err)
	new, err := Load(filepath.Join(dir, "new", "plugin"), Options{})
	require.NoError(t, err)
	res := compat.Compare(old, new)
	require.Equal(t, manifest.CheckUnsafe, res.Status())
	// Positions are file:line relative to the module root of the new source.
	assert.Equal(t, "logic/logic.go:3", res.Findings[0].Pos)
}

func TestLoadRefusesNonMain(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/lib\n\ngo 1.22\n"), 0o666))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib.go"), []byte("package lib\n"), 0o666))
	_, err := Load(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a main package")
}
