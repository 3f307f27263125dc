package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gohot-dev/gohot/internal/gotool"
)

// editLoop measures edit to live on examples/arena: the server runs the
// first version, gohot watch watches the rules, and each of edits saves a
// new rules.go (as an editor does: a temporary file renamed over it) and
// polls the server until an answer carries the new rules' name. It reports
// save-to-served and the build time gohot watch prints, median and range.
func editLoop(ctx context.Context, repo, arena string, edits int, full bool) error {
	toolchain, err := gotool.Toolchain(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "gohot-bench-watch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	app := filepath.Join(work, "arena")
	if err := copyTree(arena, app); err != nil {
		return fmt.Errorf("copy %s: %w", arena, err)
	}
	gohot := filepath.Join(work, "gohot")
	steps := [][]string{
		{repo, "go", "build", "-o", gohot, "./cmd/gohot"},
		{app, "go", "mod", "edit", "-replace=github.com/gohot-dev/gohot=" + repo},
		{app, "go", "build", "-o", "server.exe", "./server"},
		{app, gohot, "build", "-o", "game-v1.so", "--host", "server.exe", "./game"},
	}
	for _, s := range steps {
		cmd := exec.CommandContext(ctx, s[1], s[2:]...)
		cmd.Dir = s[0]
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(s[1:], " "), err, out)
		}
	}

	// Stop what runs, then wait for it: cancel kills the processes.
	ctx, cancel := context.WithCancel(ctx)
	var running []*exec.Cmd
	defer func() {
		cancel()
		for _, cmd := range running {
			cmd.Wait()
		}
	}()
	server := exec.CommandContext(ctx, "./server.exe", "-addr", "127.0.0.1:0", "-socket", "arena.sock", "-game", "game-v1.so")
	server.Dir = app
	addr, err := startAndFind(server, regexp.MustCompile(`arena on http://(\S+),`))
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	running = append(running, server)

	ready := filepath.Join(work, "watching")
	args := []string{"watch", "--socket", "arena.sock", "--host", "server.exe", "--ready", ready}
	if full {
		args = append(args, "--full")
	}
	watch := exec.CommandContext(ctx, gohot, append(args, "./game")...)
	watch.Dir = app
	builds := make(chan time.Duration, edits)
	if err := startWatch(watch, builds); err != nil {
		return fmt.Errorf("gohot watch: %w", err)
	}
	running = append(running, watch)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gohot watch did not start within a minute")
		}
	}

	var served, built []time.Duration
	for i := 1; i <= edits; i++ {
		name := fmt.Sprintf("edit-%d", i)
		src := fmt.Sprintf("// Package rules is the game logic: edit it, gohot build, gohot reload.\npackage rules\n\n// Version names the rules in every answer.\nconst Version = %q\n\n// Points scores a move.\nfunc Points(move string) int {\n\tswitch move {\n\tcase \"rock\", \"paper\", \"scissors\":\n\t\treturn %d\n\t}\n\treturn 0\n}\n", name, i)
		d, err := saveAndWait(ctx, filepath.Join(app, "rules", "rules.go"), src, "http://"+addr+"/play?player=bench&move=rock", "rules="+name+" ")
		if err != nil {
			return fmt.Errorf("edit %d: %w", i, err)
		}
		served = append(served, d)
		select {
		case b := <-builds:
			built = append(built, b)
		case <-time.After(5 * time.Second):
			return fmt.Errorf("edit %d: gohot watch printed no build time", i)
		}
		fmt.Fprintf(os.Stderr, "edit %d/%d: served after %s (gohot build %s)\n", i, edits, d.Round(time.Millisecond), built[len(built)-1])
	}
	kind := "versions bound to the server's standard library"
	if full {
		kind = "whole versions (--full)"
	}
	fmt.Printf("%s, examples/arena, %d one-line edits of rules/rules.go under gohot watch, %s\n\n", toolchain, edits, kind)
	fmt.Println("| figure | median | min | max |")
	fmt.Println("|---|---|---|---|")
	for _, f := range []struct {
		name string
		d    []time.Duration
	}{{"save to first answer from the new version", served}, {"gohot build (check and compile), as gohot watch reports it", built}} {
		lo, hi := minMax(f.d)
		fmt.Printf("| %s | %.0f ms | %.0f ms | %.0f ms |\n", f.name, ms(medianDur(f.d)), ms(lo), ms(hi))
	}
	return nil
}

// saveAndWait writes src to path as editors save (a temporary file renamed
// over it) and returns how long it took until url answered with want in
// its body.
func saveAndWait(ctx context.Context, path, src, url, want string) (time.Duration, error) {
	tmp := path + ".bench-tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := start.Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), want) {
			return time.Since(start), nil
		}
	}
	return 0, fmt.Errorf("the server did not answer %q within a minute", want)
}

// startAndFind starts cmd and returns the first submatch of re in its
// standard error, where the server logs its address.
func startAndFind(cmd *exec.Cmd, re *regexp.Regexp) (string, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case s := <-found:
		return s, nil
	case <-time.After(time.Minute):
		return "", fmt.Errorf("no line matching %s within a minute", re)
	}
}

// startWatch starts gohot watch and sends the build time of every
// "build: NAME (id ID) in DURATION" line it prints.
func startWatch(cmd *exec.Cmd, builds chan<- time.Duration) error {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	re := regexp.MustCompile(`^build: \S+ \(id \S+\) in (\S+)$`)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				if d, err := time.ParseDuration(m[1]); err == nil {
					builds <- d
				}
			}
		}
	}()
	return nil
}

// copyTree copies the example's sources (not what earlier runs built).
func copyTree(src, dst string) error {
	return gotool.WalkSources(src, "", func(path string, dir bool) error {
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if dir {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func minMax(d []time.Duration) (time.Duration, time.Duration) {
	lo, hi := d[0], d[0]
	for _, v := range d {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}
