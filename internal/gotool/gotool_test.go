package gotool

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The source walk is what the source hash covers and what the watch loop
// watches: both must see exactly these.
func TestWalkSources(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{
		"go.mod", "go.sum", "main.go", "server.exe", "notes.txt",
		"logic/logic.go", "logic/logic_test.go",
		"logic/testdata/x.go", "vendor/v/v.go", ".git/hooks/h.go",
		"out dir/game-1.so", "out dir/stray.go",
	} {
		path := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := WalkSources(root, filepath.Join(root, "out dir"), func(path string, dir bool) error {
		rel, err := filepath.Rel(root, path)
		if dir {
			rel += "/"
		}
		got = append(got, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"./", "go.mod", "go.sum", "logic/", "logic/logic.go", "logic/logic_test.go", "main.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WalkSources:\ngot  %q\nwant %q", got, want)
	}
}

// A directory's stamp changes when a Go file is added, removed or renamed
// or an ignored file is rewritten, and stays when a listed file's content,
// a test or a non-Go file changes.
func TestDirStamp(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", "package a\n")
	write("off.go", "//go:build ignore\n\npackage a\n")
	ignored := []string{"off.go"}
	stamp := DirStamp(dir, ignored)
	for _, step := range []struct {
		name, text string
		changes    bool
	}{
		{"a.go", "package a\n\nvar X = 1\n", false},
		{"a_test.go", "package a\n", false},
		{"notes.txt", "x", false},
		{"b.go", "package a\n", true},
		{"off.go", "package a\n", true},
	} {
		write(step.name, step.text)
		now := DirStamp(dir, ignored)
		if changed := now != stamp; changed != step.changes {
			t.Errorf("after writing %s: stamp changed = %v, want %v", step.name, changed, step.changes)
		}
		stamp = now
	}
}
