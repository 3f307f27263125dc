package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTmpLoaderTiming(t *testing.T) {
	dir := os.Getenv("LDIR")
	if dir == "" {
		t.Skip()
	}
	l := NewLoader(dir, Options{Env: append(os.Environ(), "CGO_ENABLED=1", "GOTOOLCHAIN=local")})
	for i := 0; i < 6; i++ {
		f, _ := os.OpenFile(filepath.Join(dir, "../rules/rules.go"), os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, "// x %d\n", i)
		f.Close()
		start := time.Now()
		fa, err := l.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("load %d: %v (%d packages, lists %d)", i, time.Since(start), len(fa.Packages), l.Lists)
	}
}
