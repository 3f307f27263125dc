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
// result on gohot, result on stock Go, and the script whose assertions
// prove the row.
func semanticsTable(dir string) (string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| Behaviour | gohot | stock Go | Proved by |\n|---|---|---|---|\n")
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
			if len(cells) != 3 {
				return "", fmt.Errorf("%s: table line %q: want behaviour | gohot | stock", name, row)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | [%s](testscripts/testdata/%s) |\n",
				cells[0], cells[1], cells[2], strings.TrimSuffix(filepath.Base(name), ".txtar"), filepath.Base(name))
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
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	i := bytes.Index(readme, []byte(tableBegin))
	j := bytes.Index(readme, []byte(tableEnd))
	require.True(t, i >= 0 && j > i, "README.md lacks the %q ... %q markers", tableBegin, tableEnd)
	start := i + len(tableBegin) + 1
	got := string(readme[start:j])
	if *update {
		out := append(append(append([]byte{}, readme[:start]...), want...), readme[j:]...)
		require.NoError(t, os.WriteFile(filepath.Join("..", "README.md"), out, 0o666))
		return
	}
	assert.Equal(t, want, got, "README.md's semantics table is stale: run go test ./testscripts -run TestREADMETable -update")
}
