// Package docs_test runs the walk-throughs of the project's READMEs and
// guides exactly as written.
package docs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// curlLine is a walk-through line that states its answer in a comment:
// curl ARGS    # ANSWER.
var curlLine = regexp.MustCompile(`^(curl .*?)\s+# (.+)$`)

// TestArenaWalkthrough runs examples/arena/README.md's walk-through.
func TestArenaWalkthrough(t *testing.T) {
	runWalkthrough(t, "../examples/arena/README.md", "## Walk-through\n", nil)
}

// TestPortingWalkthrough runs docs/porting.md's walk-through. It works in
// /tmp/kv-port, as the guide says, starting empty.
func TestPortingWalkthrough(t *testing.T) {
	runWalkthrough(t, "porting.md", "## Walk-through\n", func() {
		if err := os.RemoveAll("/tmp/kv-port"); err != nil {
			t.Fatal(err)
		}
	})
}

// runWalkthrough runs the sh blocks of the section of a Markdown file, in
// order, in one bash, from the root of a copy of the repository (so the
// edits it makes and the files it builds stay there), with the toolchains
// the repository has built. Every curl line that ends in a comment must
// print exactly what the comment says.
func runWalkthrough(t *testing.T, doc, section string, prepare func()) {
	if testing.Short() {
		t.Skip("builds a server and plugin versions")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(t, string(text), section)
	if prepare != nil {
		prepare()
	}

	copyDir := filepath.Join(t.TempDir(), "repo with space")
	copyRepo(t, root, copyDir)

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	fmt.Fprintf(&script, "cd %q\n", copyDir)
	for _, block := range blocks {
		for _, line := range strings.Split(block, "\n") {
			if m := curlLine.FindStringSubmatch(line); m != nil {
				// Run the command as written; compare what it printed.
				fmt.Fprintf(&script, "out=$(%s -sS)\n", m[1])
				fmt.Fprintf(&script, "[ \"$out\" = %s ] || { echo %s >&2; echo \"printed: $out\" >&2; exit 1; }\n",
					shellQuote(m[2]), shellQuote("line: "+line))
				continue
			}
			script.WriteString(line + "\n")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	// Its own process group: a server it starts in the background is
	// stopped with it whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("the walk-through of %s failed: %v\n%s", doc, err, out.String())
	}
	t.Logf("walk-through output:\n%s", out.String())
}

// shellQuote quotes s for bash, in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// walkthroughBlocks returns the bodies of the ```sh blocks between the
// heading and the next section.
func walkthroughBlocks(t *testing.T, text, heading string) []string {
	t.Helper()
	start := strings.Index(text, heading)
	if start < 0 {
		t.Fatalf("no %q section", strings.TrimSpace(heading))
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks []string
	for {
		i := strings.Index(section, "```sh\n")
		if i < 0 {
			break
		}
		section = section[i+len("```sh\n"):]
		j := strings.Index(section, "```\n")
		if j < 0 {
			t.Fatal("unterminated ```sh block in the walk-through")
		}
		blocks = append(blocks, strings.TrimSuffix(section[:j], "\n"))
		section = section[j+len("```\n"):]
	}
	if len(blocks) == 0 {
		t.Fatal("the walk-through has no sh block")
	}
	return blocks
}

// copyRepo copies the files git knows of (tracked, and untracked but not
// ignored) from root to dst, and links the toolchains root has built.
func copyRepo(t *testing.T, root, dst string) {
	t.Helper()
	ls := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list, err := ls.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", root, err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "toolchain"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		target := filepath.Join(dst, "toolchain", e.Name())
		if _, err := os.Lstat(target); err == nil {
			continue // tracked: copied above
		}
		if err := os.Symlink(filepath.Join(root, "toolchain", e.Name()), target); err != nil {
			t.Fatal(err)
		}
	}
}
