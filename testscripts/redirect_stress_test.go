package testscripts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRedirectStress loads many versions of a package in redirect mode
// while eight goroutines call into it without pause (through an interface
// value, a func value, reflect's MethodByName, and a generic func, setting
// finalizers), with the collector running hard (GOGC=20, a forced
// collection after each load). After each load the host's interface value
// and func value must answer the new version; the process must not crash.
// Odd versions are bound to the host's standard library, even ones whole.
// GOHOT_REDIRECT_VERSIONS picks another number of versions.
func TestRedirectStress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin per version")
	}
	g, _ := load(t)
	versions := envInt(t, "GOHOT_REDIRECT_VERSIONS", 16)
	dir, gocmd := module(t, g, "example.com/stress")
	write(t, filepath.Join(dir, "host", "main.go"), redirectStressHost)
	write(t, filepath.Join(dir, "logic", "logic.go"), redirectStressLogic(0))
	gocmd("build", "-o", "host.exe", "./host")
	var sos []string
	for v := 1; v <= versions; v++ {
		write(t, filepath.Join(dir, "logic", "logic.go"), redirectStressLogic(v))
		// A main file of its own per version: a plugin path of its own.
		write(t, filepath.Join(dir, "plugin", "main.go"), redirectStressMain+fmt.Sprintf("\n// version %d\n", v))
		so := fmt.Sprintf("v%d.so", v)
		gocmd(pluginBuild(dir, so, v)...)
		sos = append(sos, so)
	}
	cmd := exec.Command(filepath.Join(dir, "host.exe"), sos...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOHOT_REDIRECT=on", "GOGC=20")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("host.exe: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("ok: %d versions", versions); got != want {
		t.Errorf("host.exe printed:\n%s\nwant:\n%s", got, want)
	}
}

func redirectStressLogic(v int) string {
	return strings.ReplaceAll(`package logic

type Shape interface{ Name() string }

type Box struct{ N int }

//go:noinline
func (b *Box) Name() string { return "name VERSION" }

//go:noinline
func Version() string { return "VERSION" }

type Num interface{ ~int | ~float64 }

//go:noinline
func Sum[T Num](xs []T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s + T(VERSION)
}
`, "VERSION", fmt.Sprint(v))
}

const redirectStressMain = `package main

import "example.com/stress/logic"

func Use() string { return logic.Version() + (&logic.Box{}).Name() + string(rune(logic.Sum([]int{1}))) }

func main() {}
`

const redirectStressHost = `package main

import (
	"fmt"
	"os"
	"plugin"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"example.com/stress/logic"
)

func main() {
	var stop atomic.Bool
	var wg sync.WaitGroup
	var shape logic.Shape = &logic.Box{N: 1}
	fn := logic.Version
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for !stop.Load() {
				switch w % 4 {
				case 0:
					_ = shape.Name()
				case 1:
					_ = fn()
				case 2:
					_ = reflect.ValueOf(shape).MethodByName("Name").Call(nil)
				case 3:
					_ = logic.Sum([]int{1, 2, 3})
					b := &logic.Box{N: w}
					runtime.SetFinalizer(b, func(*logic.Box) {})
				}
			}
		}(w)
	}
	for i, so := range os.Args[1:] {
		if _, err := plugin.Open(so); err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		want := strconv.Itoa(i + 1)
		if got := shape.Name(); got != "name "+want {
			fmt.Println("after", so, "the interface call ran", got)
			os.Exit(1)
		}
		if got := fn(); got != want {
			fmt.Println("after", so, "the func value ran", got)
			os.Exit(1)
		}
	}
	stop.Store(true)
	wg.Wait()
	fmt.Printf("ok: %d versions\n", len(os.Args)-1)
}
`
