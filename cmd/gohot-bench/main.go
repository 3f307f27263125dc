// Command gohot-bench measures what a long-lived service pays per reload:
// plugin.Open latency as reloads accumulate, resident memory per reload
// (anonymous and file-backed), and the time to build one plugin version.
//
// It generates -n versions of a small plugin whose user package changes in
// every version (by default the plugin imports net/http and encoding/json,
// like a typical service; -plugin minimal imports nothing but the changed
// package), builds them, then loads all of them in order in a fresh
// process, -runs times, and prints medians across runs. Each version is
// bound to this program's standard library (-ldflags=-hostimport, as gohot
// build --host builds it); -full builds every version whole. With -redirect it
// runs every host twice, with GOHOT_REDIRECT off and on, and adds what
// redirect mode costs: plugin.Open with the redirect pass against without,
// and a call from the first version's code, which goes through its
// redirected entry, against the same call from the newest version's code.
// With -watch N it measures edit to live instead: N one-line edits of
// examples/arena's rules, saved while gohot watch runs, each timed from the
// save to the first answer the server gives from the new version.
// Build it and run it with the gohot toolchain:
//
//	eval "$(scripts/env.sh)"
//	go run ./cmd/gohot-bench -n 500 -runs 3 -redirect
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"plugin"
	"reflect"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohot-dev/gohot/hostbind"
	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/reload"
)

// hostResult is what one host process reports.
type hostResult struct {
	Samples  []sample               `json:"samples"`
	Smaps    map[string]int64       `json:"smaps"` // KiB after the last load, by kind of mapping
	Sections map[string]sectionStat `json:"sections"`
	Calls    callCost               `json:"calls"`
}

// callCost times logic.Version called from the first loaded version's
// code (through its redirected entry in redirect mode) and from the
// newest version's (a direct call), after every version is loaded.
type callCost struct {
	Old, New   float64 // ns per call
	OldReaches int     // the version v1's call runs: n under redirect, 1 without
}

// sample is one load in the host process.
type sample struct {
	Open    time.Duration `json:"open_ns"`
	Anon    int64         `json:"anon"` // bytes resident after the load
	File    int64         `json:"file"`
	GC      time.Duration `json:"gc_ns,omitempty"`      // a forced GC after this load (median of forcedGCs), at report points
	GCCPU   time.Duration `json:"gc_cpu_ns,omitempty"`  // CPU time the collector spent per forced GC (mean of forcedGCs), at report points
	Globals uint64        `json:"globals,omitempty"`    // scannable globals (/gc/scan/globals:bytes), at report points
	Heap    uint64        `json:"heap,omitempty"`       // live heap after the forced GC (/gc/heap/live:bytes), at report points
	Pause   time.Duration `json:"pause_ns,omitempty"`   // stop-the-world pauses other than GC's during plugin.Open: the redirect pass
	Walk    time.Duration `json:"walk_ns,omitempty"`    // runtime.Callers from walkDepth+1 frames of this version's code (see timeWalk), at report points
	Reflect time.Duration `json:"reflect_ns,omitempty"` // reflect.ArrayOf of a type it has not built before (see timeNewType), at report points
}

func main() {
	log.SetFlags(0)
	n := flag.Int("n", 500, "plugin versions to build and load")
	runs := flag.Int("runs", 3, "host processes to run (medians are across runs)")
	dir := flag.String("dir", "", "work `directory` (default: a temporary one); versions already built there are reused")
	points := flag.String("at", "1,10,100,500", "reload `numbers` to report")
	workers := flag.Int("j", runtime.NumCPU(), "parallel plugin builds")
	hostMode := flag.String("host-mode", "", "internal: load the plugins listed in this `file` and print samples")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the loads of the first run to `file`")
	gcprofile := flag.String("gcprofile", "", "write a CPU profile of 500 forced collections after the first run's last load to `file`")
	kind := flag.String("plugin", "http", "the plugin to load: `http` (imports net/http and encoding/json) or minimal (only the changed package)")
	redirect := flag.Bool("redirect", false, "also run every host with GOHOT_REDIRECT=on and report what redirect mode costs")
	full := flag.Bool("full", false, "build every version whole; by default each is bound to this program's standard library (-ldflags=-hostimport), as gohot build --host builds it")
	watchEdits := flag.Int("watch", 0, "instead: measure edit to live, this `many` one-line edits of examples/arena's rules under gohot watch (run from the repository root)")
	flag.Parse()
	if *hostMode != "" {
		if err := host(*hostMode, *cpuprofile, *gcprofile, *points); err != nil {
			log.Fatal(err)
		}
		return
	}
	if !manifest.GohotToolchain(runtime.Version()) {
		log.Fatalf("gohot-bench: built by stock %s, which refuses changed plugins: run it with the gohot toolchain", runtime.Version())
	}
	if *watchEdits > 0 {
		repo, err := os.Getwd()
		if err == nil {
			_, err = os.Stat(filepath.Join(repo, "cmd", "gohot"))
		}
		if err != nil {
			log.Fatalf("gohot-bench -watch: run it from the gohot repository's root (%v)", err)
		}
		if err := editLoop(context.Background(), repo, filepath.Join(repo, "examples", "arena"), *watchEdits, *full); err != nil {
			log.Fatal("gohot-bench -watch: ", err)
		}
		return
	}
	main, ok := pluginMains[*kind]
	if !ok {
		log.Fatalf("gohot-bench: -plugin %q: want http or minimal", *kind)
	}
	if err := bench(*n, *runs, *dir, *points, *workers, profiles{*cpuprofile, *gcprofile}, *kind, main, *redirect, *full); err != nil {
		log.Fatal("gohot-bench: ", err)
	}
}

// profiles names the CPU profiles the first host run writes: of the loads,
// and of forced collections after the last load.
type profiles struct{ loads, gc string }

func bench(n, runs int, dir, points string, workers int, prof profiles, kind, pluginMain string, redirect, full bool) error {
	var at []int
	for _, p := range strings.Split(points, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > n {
			return fmt.Errorf("-at %s: want reload numbers from 1 to -n (%d)", points, n)
		}
		at = append(at, v)
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gohot-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	// This program loads the versions: they bind to its standard library
	// unless built whole.
	var ldflags, env []string // env nil: the go command gets this process's
	build := "bound"
	if full {
		build = "full"
	} else {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		// As gohot build --host builds a bound version.
		if ldflags, env, err = hostbind.BuildFlags(nil, os.Environ(), exe); err != nil {
			return err
		}
	}
	sos, buildTimes, err := buildVersions(dir, n, workers, kind+"-"+build, pluginMain, ldflags, env)
	if err != nil {
		return err
	}
	var sizes []int64
	for _, so := range sos {
		fi, err := os.Stat(so)
		if err != nil {
			return err
		}
		sizes = append(sizes, fi.Size())
	}
	list := filepath.Join(dir, "plugins-"+kind+".txt")
	if err := os.WriteFile(list, []byte(strings.Join(sos, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	modes := []string{"off"}
	if redirect {
		modes = append(modes, "on")
	}
	results := map[string][]hostResult{}
	for r := 0; r < runs; r++ {
		for _, mode := range modes {
			fmt.Fprintf(os.Stderr, "run %d/%d: loading %d versions in a fresh process, GOHOT_REDIRECT=%s\n", r+1, runs, n, mode)
			var p profiles
			if r == 0 && mode == "off" {
				p = prof
			}
			res, err := runHost(list, points, mode, p)
			if err != nil {
				return fmt.Errorf("host run %d (GOHOT_REDIRECT=%s): %w", r+1, mode, err)
			}
			results[mode] = append(results[mode], res)
		}
	}
	for _, mode := range modes {
		var all [][]sample
		var smaps []map[string]int64
		var sections []map[string]sectionStat
		for _, res := range results[mode] {
			all = append(all, res.Samples)
			smaps = append(smaps, res.Smaps)
			sections = append(sections, res.Sections)
		}
		if redirect {
			fmt.Printf("## GOHOT_REDIRECT=%s\n\n", mode)
		}
		report(os.Stdout, all, at, buildTimes, n, runs, kind+", "+build)
		fmt.Printf("plugin file: %.2f MiB (median of %d versions)\n", mib(medianInt(sizes)), len(sizes))
		reportSmaps(os.Stdout, smaps, n)
		reportSections(os.Stdout, sections, n)
		fmt.Println()
	}
	if redirect {
		return reportRedirect(os.Stdout, results["off"], results["on"], at, n)
	}
	return nil
}

// runHost loads the listed plugins in a fresh process with GOHOT_REDIRECT
// set to mode.
func runHost(list, points, mode string, prof profiles) (hostResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return hostResult{}, err
	}
	args := []string{"-host-mode", list, "-at", points}
	for _, f := range []struct{ flag, file string }{{"-cpuprofile", prof.loads}, {"-gcprofile", prof.gc}} {
		if f.file == "" {
			continue
		}
		abs, err := filepath.Abs(f.file)
		if err != nil {
			return hostResult{}, err
		}
		args = append(args, f.flag, abs)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "GOHOT_REDIRECT="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return hostResult{}, err
	}
	var res hostResult
	if err := json.Unmarshal(out, &res); err != nil {
		return hostResult{}, err
	}
	return res, nil
}

// reportRedirect compares the two modes: plugin.Open with and without the
// redirect pass (the difference is the pass, measured from outside the
// runtime), and the cost of a call through a redirected entry. It fails
// when a mode did not do what it says: v1's call must reach v1 without
// redirect and the newest version with it.
func reportRedirect(w *os.File, off, on []hostResult, at []int, n int) error {
	fmt.Fprintln(w, "## What redirect mode costs")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| reload | plugin.Open, off | plugin.Open, on | on - off | world stopped by the pass |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	pauses := map[int]time.Duration{}
	for _, k := range at {
		o, r := around(off, k, openOf), around(on, k, openOf)
		pauses[k] = around(on, k, pauseOf)
		fmt.Fprintf(w, "| %d | %.3f ms | %.3f ms | %+.3f ms | %.1f µs |\n", k, ms(o), ms(r), ms(r-o), us(pauses[k]))
	}
	if p10, ok := pauses[10]; ok && p10 > 0 {
		last := at[len(at)-1]
		fmt.Fprintf(w, "\nthe pass's stop-the-world pause at reload %d / reload 10: %.2fx\n", last, float64(pauses[last])/float64(p10))
	}
	var oldOff, oldOn, newOn []float64
	for _, res := range off {
		if res.Calls.OldReaches != 1 {
			return fmt.Errorf("GOHOT_REDIRECT=off: v1's call of logic.Version ran v%d, want v1", res.Calls.OldReaches)
		}
		oldOff = append(oldOff, res.Calls.Old)
	}
	for _, res := range on {
		if res.Calls.OldReaches != n {
			return fmt.Errorf("GOHOT_REDIRECT=on: v1's call of logic.Version ran v%d, want v%d (the newest)", res.Calls.OldReaches, n)
		}
		oldOn = append(oldOn, res.Calls.Old)
		newOn = append(newOn, res.Calls.New)
	}
	fmt.Fprintf(w, "\ncall of logic.Version after %d loads (median across runs): from v1's code through its redirected entry %.2f ns, from v%d's code (direct) %.2f ns, extra %+.2f ns; from v1's code without redirect (direct, v1's body) %.2f ns\n",
		n, medianFloat(oldOn), n, medianFloat(newOn), medianFloat(oldOn)-medianFloat(newOn), medianFloat(oldOff))
	return nil
}

// around is the median of a figure of loads k-2..k+2 of every run.
func around(runs []hostResult, k int, figure func(sample) time.Duration) time.Duration {
	var o []time.Duration
	for _, res := range runs {
		for i := max(0, k-3); i < min(len(res.Samples), k+2); i++ {
			o = append(o, figure(res.Samples[i]))
		}
	}
	return medianDur(o)
}

func openOf(s sample) time.Duration  { return s.Open }
func pauseOf(s sample) time.Duration { return s.Pause }

func medianFloat(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// buildVersions writes and builds n versions; version k's logic package
// returns k and has k comment lines, so every version changes its export
// data the way a real edit does.
func buildVersions(dir string, n, workers int, kind, pluginMain string, ldflags, env []string) ([]string, []time.Duration, error) {
	sos := make([]string, n)
	var times []time.Duration
	var mu sync.Mutex
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		src := filepath.Join(dir, fmt.Sprintf("src-%s-%d", kind, w))
		if err := writeModule(src, pluginMain); err != nil {
			return nil, nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				so := filepath.Join(dir, fmt.Sprintf("%s-v%04d.so", kind, k))
				sos[k-1] = so
				if _, err := os.Stat(so); err == nil {
					continue
				}
				if err := os.WriteFile(filepath.Join(src, "logic", "logic.go"), []byte(logicSource(k)), 0o644); err != nil {
					errs <- err
					return
				}
				start := time.Now()
				args := append([]string{"build", "-buildmode=plugin", "-o", so + ".tmp"}, ldflags...)
				cmd := exec.Command("go", append(args, "./plugin/main.go")...)
				cmd.Dir = src
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("build v%d: %v\n%s", k, err, out)
					return
				}
				d := time.Since(start)
				if err := os.Rename(so+".tmp", so); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				times = append(times, d)
				if len(times)%50 == 0 {
					fmt.Fprintf(os.Stderr, "built %d/%d versions\n", len(times), n)
				}
				mu.Unlock()
			}
		}()
	}
	for k := 1; k <= n; k++ {
		select {
		case jobs <- k:
		case err := <-errs:
			close(jobs)
			wg.Wait()
			return nil, nil, err
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, nil, err
	default:
	}
	return sos, times, nil
}

// pluginMains are the plugins' main packages, by -plugin name.
var pluginMains = map[string]string{
	"http": `package main

import (
	"encoding/json"
	"net/http"

	"example.com/bench/logic"
)

func Handler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]int{"version": logic.Version()})
	}
}

` + loopSource + `

func main() {}
`,
	"minimal": `package main

import "example.com/bench/logic"

func Handler() int { return logic.Version() }

` + loopSource + `

func main() {}
`,
}

// loopSource is every plugin's Loop: n calls of logic.Version from this
// version's code, and the version the last one ran; and its Walk, which
// calls f from depth+1 frames of this version's code.
const loopSource = `//go:noinline
func Loop(n int) int {
	v := 0
	for i := 0; i < n; i++ {
		v = logic.Version()
	}
	return v
}

//go:noinline
func Walk(depth int, f func()) {
	if depth == 0 {
		f()
		return
	}
	Walk(depth-1, f)
}`

func writeModule(src, pluginMain string) error {
	files := map[string]string{
		"go.mod":         "module example.com/bench\n\ngo 1.22\n",
		"plugin/main.go": pluginMain,
	}
	for name, content := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(src, "logic"), 0o755)
}

func logicSource(k int) string {
	// Not inlined: old code's calls go through Version's entry.
	return fmt.Sprintf("package logic\n\n%s\n//go:noinline\nfunc Version() int { return %d }\n", strings.Repeat("//\n", k%50), k)
}

// host is the measured process: it loads every listed plugin in order.
func host(list, cpuprofile, gcprofile, points string) error {
	data, err := os.ReadFile(list)
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// Time a forced GC at each report point k, after load k+2: the
	// plugin.Open figures for k use loads k-2..k+2, which the GC would
	// disturb.
	all := strings.Fields(string(data))
	gcAfter := map[int]bool{}
	for _, p := range strings.Split(points, ",") {
		if k, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			gcAfter[min(k+2, len(all))] = true
		}
	}
	var out []sample
	for _, so := range all {
		before := otherPauses()
		start := time.Now()
		p, err := plugin.Open(so)
		d := time.Since(start)
		pause := otherPauses() - before
		if err != nil {
			return err
		}
		if _, err := p.Lookup("Handler"); err != nil {
			return err
		}
		r := reload.ReadRSS()
		smp := sample{Open: d, Anon: r.Anon, File: r.File, Pause: pause}
		if gcAfter[len(out)+1] {
			smp.GC, smp.GCCPU = forcedGC()
			smp.Globals, smp.Heap = gcMetrics()
			if smp.Walk, err = timeWalk(p); err != nil {
				return fmt.Errorf("%s: %w", so, err)
			}
			smp.Reflect = timeNewType()
		}
		out = append(out, smp)
	}
	if cpuprofile != "" {
		// The loads only, not the collections profiled next.
		pprof.StopCPUProfile()
	}
	if gcprofile != "" {
		if err := profileGC(gcprofile, 500); err != nil {
			return err
		}
	}
	runtime.GC()
	sos := strings.Fields(string(data))
	sections, err := sectionsResident(sos)
	if err != nil {
		return fmt.Errorf("memory by section: %w", err)
	}
	calls, err := timeCalls(sos[0], sos[len(sos)-1])
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(hostResult{Samples: out, Smaps: smapsByKind(filepath.Dir(sos[0])), Sections: sections, Calls: calls})
}

// timeCalls times Loop of the first and of the newest loaded version: the
// best of five runs of 10^7 calls each.
func timeCalls(first, newest string) (callCost, error) {
	loop := func(so string) (func(int) int, error) {
		p, err := plugin.Open(so) // already loaded: returns the same plugin
		if err != nil {
			return nil, err
		}
		s, err := p.Lookup("Loop")
		if err != nil {
			return nil, err
		}
		f, ok := s.(func(int) int)
		if !ok {
			return nil, fmt.Errorf("%s: Loop is %T", so, s)
		}
		return f, nil
	}
	old, err := loop(first)
	if err != nil {
		return callCost{}, err
	}
	cur, err := loop(newest)
	if err != nil {
		return callCost{}, err
	}
	const calls = 10_000_000
	best := func(f func(int) int) float64 {
		b := time.Duration(1<<63 - 1)
		for i := 0; i < 5; i++ {
			start := time.Now()
			f(calls)
			b = min(b, time.Since(start))
		}
		return float64(b) / calls
	}
	return callCost{Old: best(old), New: best(cur), OldReaches: old(1)}, nil
}

// smapsByKind sums /proc/self/smaps by kind of mapping: the plugins' own
// segments (by permission) and everything else, resident and anonymous.
func smapsByKind(pluginDir string) map[string]int64 {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil
	}
	sums := map[string]int64{}
	kind := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			kind = "other"
			if len(f) >= 6 && strings.HasPrefix(f[5], pluginDir+"/") {
				kind = "plugin " + f[1]
			}
			continue
		}
		if len(f) >= 2 && (f[0] == "Rss:" || f[0] == "Anonymous:") {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			sums[kind+" "+strings.TrimSuffix(strings.ToLower(f[0]), ":")] += v
		}
	}
	return sums
}

func reportSmaps(w *os.File, runs []map[string]int64, n int) {
	if len(runs) == 0 || runs[0] == nil {
		return
	}
	fmt.Fprintf(w, "\nmemory by mapping after %d loads, per plugin (median across runs):\n\n", n)
	fmt.Fprintln(w, "| mapping | resident | anonymous |")
	fmt.Fprintln(w, "|---|---|---|")
	kinds := map[string]bool{}
	for k := range runs[0] {
		kinds[strings.TrimSuffix(strings.TrimSuffix(k, " rss"), " anonymous")] = true
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var rss, anon []int64
		for _, r := range runs {
			rss = append(rss, r[k+" rss"])
			anon = append(anon, r[k+" anonymous"])
		}
		fmt.Fprintf(w, "| %s | %.0f KiB | %.0f KiB |\n", k, float64(medianInt(rss))/float64(n), float64(medianInt(anon))/float64(n))
	}
}

// otherPauses sums the stop-the-world pauses the runtime made for reasons
// other than the collector (the redirect pass is one), from the bucket
// midpoints of /sched/pauses/total/other:seconds.
func otherPauses() time.Duration {
	s := []metrics.Sample{{Name: "/sched/pauses/total/other:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := s[0].Value.Float64Histogram()
	var sum float64
	for i, n := range h.Counts {
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		if math.IsInf(hi, 1) {
			hi = lo
		}
		if math.IsInf(lo, -1) {
			lo = hi
		}
		sum += float64(n) * (lo + hi) / 2
	}
	return time.Duration(sum * float64(time.Second))
}

// gcMetrics returns the data and bss the collector scans as roots, in
// bytes (it grows with every plugin by whatever of the plugin's variables
// the runtime keeps as roots), and the heap the last collection found
// live: the two things a forced collection's time should follow.
func gcMetrics() (globals, heap uint64) {
	s := []metrics.Sample{{Name: "/gc/scan/globals:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// profileGC writes a CPU profile of n forced collections to file: where a
// collection's time goes with every version loaded.
func profileGC(file string, n int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("gc profile: %w", err)
	}
	for i := 0; i < n; i++ {
		runtime.GC()
	}
	pprof.StopCPUProfile()
	return f.Close()
}

// forcedGCs is how many collections forcedGC times. A forced collection
// is a millisecond or so, mostly waking and parking the mark workers, so
// one is noisy; the median of many is not.
const forcedGCs = 15

// walkDepth is how deep in a version's code timeWalk walks the stack from.
const walkDepth = 8

// timeWalk times a stack walk through the frames of p's code, as a
// request handled by the newest version has its frames there: the median
// of 9 runs of 2,000 calls of runtime.Callers from walkDepth+1 frames of
// p's Walk. Finding each frame's function means finding the module that
// holds its code among every loaded version.
func timeWalk(p *plugin.Plugin) (time.Duration, error) {
	s, err := p.Lookup("Walk")
	if err != nil {
		return 0, err
	}
	walk, ok := s.(func(int, func()))
	if !ok {
		return 0, fmt.Errorf("Walk is a %T, want func(int, func())", s)
	}
	var pcs [64]uintptr
	frames := 0
	callers := func() { frames = runtime.Callers(1, pcs[:]) }
	const calls = 2000
	var d []time.Duration
	for range 9 {
		start := time.Now()
		for range calls {
			walk(walkDepth, callers)
		}
		d = append(d, time.Since(start)/calls)
	}
	if frames < walkDepth+1 {
		return 0, fmt.Errorf("runtime.Callers saw %d frames from %d deep in Walk", frames, walkDepth+1)
	}
	return medianDur(d), nil
}

// arrayElem is the element type of the arrays timeNewType builds.
type arrayElem struct{ A, B int }

// newTypeLen is the length of the next array type timeNewType builds.
var newTypeLen = 1

// timeNewType times reflect building a type it has not built before, as
// a JSON or template package does for each new type it meets: the median
// of 9 runs of 200 reflect.ArrayOf calls, each of a length not asked for
// before. Each looks the type up by its string among the types of every
// loaded module (reflect's typesByString) before making it.
func timeNewType() time.Duration {
	elem := reflect.TypeOf(arrayElem{})
	const calls = 200
	var d []time.Duration
	for range 9 {
		start := time.Now()
		for range calls {
			reflect.ArrayOf(newTypeLen, elem)
			newTypeLen++
		}
		d = append(d, time.Since(start)/calls)
	}
	return medianDur(d)
}

// forcedGC returns the median wall time of forcedGCs forced collections,
// and the collector's CPU time per collection (mark workers, assists and
// pauses, from runtime/metrics), which the machine's other load disturbs
// less. Every loaded version's globals that hold pointers are roots, and
// its object in package plugin is marked, so both grow with the versions
// loaded.
func forcedGC() (wall, cpu time.Duration) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	before := s[0].Value.Float64()
	var d []time.Duration
	for i := 0; i < forcedGCs; i++ {
		start := time.Now()
		runtime.GC()
		d = append(d, time.Since(start))
	}
	metrics.Read(s)
	cpu = time.Duration((s[0].Value.Float64() - before) / forcedGCs * float64(time.Second))
	return medianDur(d), cpu
}

func medianDur(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianInt(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func report(w *os.File, all [][]sample, at []int, buildTimes []time.Duration, n, runs int, kind string) {
	fmt.Fprintf(w, "%s, %s/%s, plugin %s, %d versions, %d runs; plugin.Open is the median of loads k-2..k+2 of every run, RSS the median across runs, forced GC the median of %d runtime.GC() after load k+2 (GC CPU: the collector's CPU time per collection, mean), stack walk the median time of runtime.Callers from %d frames deep in version k+2's code, after that load, new reflect type the median time of reflect.ArrayOf of a type not built before\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, kind, n, runs, forcedGCs, walkDepth+1)
	fmt.Fprintln(w, "| reload | plugin.Open | RSS anon | RSS file | forced GC | GC CPU | GC globals | live heap | stack walk | new reflect type |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	var opens, gcs, walks, newTypes []time.Duration
	for _, k := range at {
		var o []time.Duration
		var a, f []int64
		var gc, gcCPU, walk, newType []time.Duration
		var globals, heap []int64
		for _, run := range all {
			walk = append(walk, run[min(k+2, len(run))-1].Walk)
			newType = append(newType, run[min(k+2, len(run))-1].Reflect)
			gc = append(gc, run[min(k+2, len(run))-1].GC)
			gcCPU = append(gcCPU, run[min(k+2, len(run))-1].GCCPU)
			globals = append(globals, int64(run[min(k+2, len(run))-1].Globals))
			heap = append(heap, int64(run[min(k+2, len(run))-1].Heap))
			// One load is noisy: take the loads around k (k-2..k+2).
			for i := max(0, k-3); i < min(len(run), k+2); i++ {
				o = append(o, run[i].Open)
			}
			a = append(a, run[k-1].Anon)
			f = append(f, run[k-1].File)
		}
		opens = append(opens, medianDur(o))
		gcs = append(gcs, medianDur(gc))
		walks = append(walks, medianDur(walk))
		newTypes = append(newTypes, medianDur(newType))
		fmt.Fprintf(w, "| %d | %.2f ms | %.1f MiB | %.1f MiB | %.2f ms | %.2f ms | %.1f MiB | %.2f MiB | %.2f µs | %.2f µs |\n", k, ms(medianDur(o)), mib(medianInt(a)), mib(medianInt(f)), ms(medianDur(gc)), ms(medianDur(gcCPU)), mib(medianInt(globals)), mib(medianInt(heap)), us(medianDur(walk)), us(medianDur(newType)))
	}
	for i, k := range at {
		if k == 10 && i < len(at)-1 {
			last := at[len(at)-1]
			fmt.Fprintf(w, "\nreload %d / reload 10: forced GC %.2fx; stack walk %.2fx; new reflect type %.2fx\n", last, float64(gcs[len(gcs)-1])/float64(gcs[i]), float64(walks[len(walks)-1])/float64(walks[i]), float64(newTypes[len(newTypes)-1])/float64(newTypes[i]))
		}
	}
	if len(opens) >= 2 {
		fmt.Fprintf(w, "\nplugin.Open at reload %d / reload %d: %.2fx", at[len(at)-1], at[0], float64(opens[len(opens)-1])/float64(opens[0]))
		for i, k := range at {
			if k == 10 {
				fmt.Fprintf(w, "; reload %d / reload 10: %.2fx", at[len(at)-1], float64(opens[len(opens)-1])/float64(opens[i]))
			}
		}
		fmt.Fprintln(w)
	}
	var anon, file []int64
	for _, run := range all {
		last := run[len(run)-1]
		anon = append(anon, (last.Anon-run[0].Anon)/int64(len(run)-1))
		file = append(file, (last.File-run[0].File)/int64(len(run)-1))
	}
	fmt.Fprintf(w, "RSS growth per reload (reload 1 to %d): anon %.2f MiB, file %.2f MiB\n", n, mib(medianInt(anon)), mib(medianInt(file)))
	if len(buildTimes) > 0 {
		fmt.Fprintf(w, "building one plugin version (warm cache, %d builds): median %.0f ms\n", len(buildTimes), ms(medianDur(buildTimes)))
	} else {
		fmt.Fprintln(w, "building one plugin version: all versions were reused from -dir")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
