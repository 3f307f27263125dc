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
