package testscripts

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the semantics table in README.md from the scripts")

const (
	tableBegin = "<!-- BEGIN semantics: generated from testscripts/testdata by go test ./testscripts -run TestREADMETable -update -->"
	tableEnd   = "<!-- END semantics -->"
)

// semanticsTable renders the "# table:" lines of every script: behaviour,
// result on gohot in the default mode and in redirect mode, result on stock
// Go, and the script whose assertions prove the row.
func semanticsTable(dir string) (string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| Behaviour | gohot | gohot, GOHOT_REDIRECT=on | stock Go | Proved by |\n|---|---|---|---|---|\n")
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		rows := 0
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "-- ") {
				break // the archive's files begin: the script is over
			}
			row, ok := strings.CutPrefix(line, "# table: ")
			if !ok {
				continue
			}
			cells := strings.Split(row, " | ")
			switch len(cells) {
			case 3:
				// The script's assertions hold in both modes (TestGohotRedirect
				// runs it with GOHOT_REDIRECT=on): the redirect column is the
				// default's.
				cells = []string{cells[0], cells[1], "same", cells[2]}
			case 4:
			default:
				return "", fmt.Errorf("%s: table line %q: want behaviour | gohot | stock, or behaviour | gohot | redirect | stock", name, row)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | [%s](testscripts/testdata/%s) |\n",
				cells[0], cells[1], cells[2], cells[3], strings.TrimSuffix(filepath.Base(name), ".txtar"), filepath.Base(name))
			rows++
		}
		if rows == 0 {
			return "", fmt.Errorf("%s has no '# table:' line: every script states what it proves", name)
		}
	}
	return b.String(), nil
}

// TestREADMETable fails when README.md's semantics table and the scripts
// disagree.
func TestREADMETable(t *testing.T) {
	want, err := semanticsTable("testdata")
	require.NoError(t, err)
	checkGenerated(t, tableBegin, tableEnd, want, "TestREADMETable")
}

const (
	supportedBegin = "<!-- BEGIN supported: generated from toolchain/matrix.tsv by go test ./testscripts -run TestSupportedTable -update -->"
	supportedEnd   = "<!-- END supported -->"
)

// supportedTable renders toolchain/matrix.tsv, the results scripts/matrix.sh
// records: one row per Go release.
func supportedTable(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return "", fmt.Errorf("%s records no release: run scripts/matrix.sh", path)
	}
	var b strings.Builder
	b.WriteString("| Go | gohot | Result | Date | Machine | Time |\n|---|---|---|---|---|---|\n")
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return "", fmt.Errorf("%s: want 7 tab-separated fields, got %q", path, line)
		}
		release, series, suffix, result, secs, date, machine := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
		what := "built, quick verify and every test of the project (`scripts/test.sh`) passed"
		if result != "passed" {
			what = "**failed** (`scripts/test.sh`)"
		}
		if _, arch, ok := strings.Cut(release, " linux/"); ok {
			// A row of scripts/matrix.sh --arch: cross-built here, run
			// under qemu-user.
			what = "cross-built; under qemu-user: quick verify (smoke test, testplugin), the host packages' tests and the testscript suite (default mode) passed (`scripts/test-arch.sh --arch " + arch + "`)"
			if result != "passed" {
				what = "**failed** (`scripts/test-arch.sh --arch " + arch + "`)"
			}
		}
		fmt.Fprintf(&b, "| %s | %s (series %s) | %s | %s | %s | %s s |\n", release, suffix, series, what, date, machine, secs)
	}
	return b.String(), nil
}

// TestSupportedTable fails when README.md's table of supported releases
// and toolchain/matrix.tsv disagree.
func TestSupportedTable(t *testing.T) {
	want, err := supportedTable(filepath.Join("..", "toolchain", "matrix.tsv"))
	require.NoError(t, err)
	checkGenerated(t, supportedBegin, supportedEnd, want, "TestSupportedTable")
}

// checkGenerated compares the text between README.md's begin and end
// markers with want, or with -update writes want there.
func checkGenerated(t *testing.T, begin, end, want, test string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	i := bytes.Index(readme, []byte(begin))
	j := bytes.Index(readme, []byte(end))
	require.True(t, i >= 0 && j > i, "README.md lacks the %q ... %q markers", begin, end)
	start := i + len(begin) + 1
	got := string(readme[start:j])
	if *update {
		out := append(append(append([]byte{}, readme[:start]...), want...), readme[j:]...)
		require.NoError(t, os.WriteFile(filepath.Join("..", "README.md"), out, 0o666))
		return
	}
	assert.Equal(t, want, got, "README.md's generated table is stale: run go test ./testscripts -run %s -update", test)
}

// TestSemanticsTableRows states the whole table two scripts give: a row
// with three cells holds in both modes, one with four names each mode's.
func TestSemanticsTableRows(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o666))
	}
	write("a.txtar", "# table: Direct call | new | refused\nexec x\n-- f --\n# table: not a row\n")
	write("b.txtar", "# table: Interface call | old | new | refused\n")
	got, err := semanticsTable(dir)
	require.NoError(t, err)
	assert.Equal(t, `| Behaviour | gohot | gohot, GOHOT_REDIRECT=on | stock Go | Proved by |
|---|---|---|---|---|
| Direct call | new | same | refused | [a](testscripts/testdata/a.txtar) |
| Interface call | old | new | refused | [b](testscripts/testdata/b.txtar) |
`, got)

	write("c.txtar", "# table: only | two\n")
	_, err = semanticsTable(dir)
	assert.EqualError(t, err, filepath.Join(dir, "c.txtar")+`: table line "only | two": want behaviour | gohot | stock, or behaviour | gohot | redirect | stock`)
}

// TestSupportedTableRows states the whole table a results file gives: a
// native release, a failed one and a cross-built architecture.
func TestSupportedTableRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "matrix.tsv")
	require.NoError(t, os.WriteFile(path, []byte("release\tseries\tsuffix\tresult\tseconds\tdate\tmachine\n"+
		"1.27.4\tabc\tgohot.1\tpassed\t10\t2026-12-01\tlinux/x86_64, 2 cores\n"+
		"1.26.8\tabc\tgohot.1\tfailed\t20\t2026-12-01\tlinux/x86_64, 2 cores\n"+
		"1.26.8 linux/arm64\tabc\tgohot.1\tpassed\t30\t2026-12-02\tlinux/x86_64, 2 cores\n"), 0o666))
	got, err := supportedTable(path)
	require.NoError(t, err)
	assert.Equal(t, "| Go | gohot | Result | Date | Machine | Time |\n|---|---|---|---|---|---|\n"+
		"| 1.27.4 | gohot.1 (series abc) | built, quick verify and every test of the project (`scripts/test.sh`) passed | 2026-12-01 | linux/x86_64, 2 cores | 10 s |\n"+
		"| 1.26.8 | gohot.1 (series abc) | **failed** (`scripts/test.sh`) | 2026-12-01 | linux/x86_64, 2 cores | 20 s |\n"+
		"| 1.26.8 linux/arm64 | gohot.1 (series abc) | cross-built; under qemu-user: quick verify (smoke test, testplugin), the host packages' tests and the testscript suite (default mode) passed (`scripts/test-arch.sh --arch arm64`) | 2026-12-02 | linux/x86_64, 2 cores | 30 s |\n",
		got)
}
