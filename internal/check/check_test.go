package check

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/gohot-dev/gohot/compat"
)

// Each testdata/*.txtar holds an old and a new version of a small module
// (files under both/ go to each) and a want file: one "severity rule
// object" line per finding, the whole set: a finding the file does not
// list fails the test, as a missing one does (like x/tools' analysistest).
// Set GOHOT_RULES_UPDATE=1 to print the findings of every fixture.
func TestRules(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir, want := extract(t, file)
			require.NotNil(t, want, "%s has no want file", file)

			old, err := Load(filepath.Join(dir, "old", "plugin"), Options{})
			require.NoError(t, err)
			new, err := Load(filepath.Join(dir, "new", "plugin"), Options{})
			require.NoError(t, err)
			res := compat.Compare(old, new)

			got := []string{}
			for _, f := range res.Findings {
				got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Object)
				assert.NotEmpty(t, f.Message)
			}
			sort.Strings(got)
			sort.Strings(want)
			if os.Getenv("GOHOT_RULES_UPDATE") != "" {
				t.Logf("%s findings:\n%s", name, strings.Join(got, "\n"))
			}
			assert.Equal(t, want, got, "findings of %s:\n%s", name, describe(res.Findings))
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
			want = []string{}
			for _, line := range strings.Split(string(f.Data), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					want = append(want, line)
				}
			}
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

func describe(findings []compat.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("  " + string(f.Severity) + " " + f.Rule + " " + f.Object + " (" + f.Pos + "): " + f.Message + "\n")
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
	require.Equal(t, compat.StatusUnsafe, res.Status())
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
