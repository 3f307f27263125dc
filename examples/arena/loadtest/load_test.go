// Package loadtest reloads the arena's rules many times while clients play,
// and checks that nothing is lost: every request answered, every point
// counted, every version seen.
package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gohot-dev/gohot/reload"
)

const (
	versions    = 100 // reloads after the first version
	clients     = 8
	maxRequests = 200000 // bound on the whole run
	timeLimit   = 10 * time.Minute
)

var answer = regexp.MustCompile(`^rules=v(\d+) points=(\d+) total=(\d+) gen=(\d+)$`)

func goEnv(t *testing.T, key string) string {
	out, err := exec.Command("go", "env", key).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// rulesSource is version k of package rules: k points per move.
func rulesSource(k int) string {
	return fmt.Sprintf(`package rules

const Version = "v%d"

//go:noinline
func Points(move string) int {
	if move == "" {
		return 0
	}
	return %d
}
`, k, k)
}

func TestReloadUnderLoad(t *testing.T) {
	if v := goEnv(t, "GOVERSION"); !strings.Contains(v, "-gohot") {
		t.Fatalf("the go command is %s: run this test with the gohot toolchain (./scripts/test.sh does)", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeLimit)
	defer cancel()

	// A copy of the arena module to edit, and the gohot command.
	work := t.TempDir()
	arena := filepath.Join(work, "arena")
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	run(t, ".", "cp", "-a", "..", arena)
	run(t, arena, "go", "mod", "edit", "-replace", "github.com/gohot-dev/gohot="+root)
	gohot := filepath.Join(work, "gohot")
	run(t, root, "go", "build", "-o", gohot, "./cmd/gohot")
	server := filepath.Join(work, "server")
	run(t, arena, "go", "build", "-o", server, "./server")

	// Version 1 first, then every other version checked against it.
	rulesFile := filepath.Join(arena, "rules", "rules.go")
	so := func(k int) string { return filepath.Join(work, fmt.Sprintf("game-v%d.so", k)) }
	require.NoError(t, os.WriteFile(rulesFile, []byte(rulesSource(1)), 0o644))
	run(t, arena, gohot, "build", "-o", so(1), "--host", server, "./game")
	buildStart := time.Now()
	for k := 2; k <= versions+1; k++ {
		require.NoError(t, os.WriteFile(rulesFile, []byte(rulesSource(k)), 0o644))
		run(t, arena, gohot, "build", "-o", so(k), "--host", server, "--base", so(1), "./game")
	}
	t.Logf("built %d plugin versions in %s", versions, time.Since(buildStart).Round(time.Second))

	// The same versions, served twice: by default, and in redirect mode.
	for _, redirect := range []bool{false, true} {
		name := map[bool]string{false: "default", true: "redirect"}[redirect]
		t.Run(name, func(t *testing.T) {
			playUnderReloads(t, ctx, server, filepath.Join(work, name+".sock"), so, redirect)
		})
	}
}

// playUnderReloads starts the server on version 1 (with GOHOT_REDIRECT=on
// when redirect), has the clients play while it reloads every other
// version, and checks the books and what each path serves after each
// reload: the entry point always the new version; the func value and the
// interface value the server kept from version 1 (GET /registered) version
// 1 by default, the new version in redirect mode.
func playUnderReloads(t *testing.T, ctx context.Context, server, socket string, so func(int) string, redirect bool) {
	// The server, on a loopback port the kernel picks.
	srv := exec.CommandContext(ctx, server, "-addr", "127.0.0.1:0", "-socket", socket, "-game", so(1))
	srv.Env = append(os.Environ(), "GOHOT_REDIRECT=off")
	if redirect {
		srv.Env = append(os.Environ(), "GOHOT_REDIRECT=on")
	}
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	srv.Stderr = io.Discard
	require.NoError(t, srv.Start())
	defer srv.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the server did not start")
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	base := "http://" + addr

	// Clients play until the reloads are done, each over one keep-alive
	// connection; they count every point the server says it gave.
	var (
		stopPlaying atomic.Bool
		requests    atomic.Int64 // attempts, bounded by maxRequests
		answered    atomic.Int64
		failures    atomic.Int64
		firstErr    atomic.Value
		wg          sync.WaitGroup
	)
	points := make([]int64, clients)
	seen := make([]map[int]bool, clients)
	for c := 0; c < clients; c++ {
		seen[c] = map[int]bool{}
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
			player := fmt.Sprintf("p%d", c)
			for !stopPlaying.Load() && requests.Add(1) <= maxRequests {
				resp, err := client.Get(base + "/play?player=" + player + "&move=rock")
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				m := answer.FindStringSubmatch(strings.TrimSpace(string(body)))
				if err != nil || resp.StatusCode != http.StatusOK || m == nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d, body %q, err %v", resp.StatusCode, body, err))
					continue
				}
				v, _ := strconv.Atoi(m[1])
				p, _ := strconv.Atoi(m[2])
				points[c] += int64(p)
				seen[c][v] = true
				answered.Add(1)
			}
		}(c)
	}

	// Reload every version while they play; after each, a request must
	// show the new rules.
	observer := &http.Client{Timeout: 30 * time.Second}
	reloadStart := time.Now()
	var openTimes []time.Duration
	for k := 2; k <= versions+1; k++ {
		resp, err := reload.Call(ctx, socket, reload.Request{Op: "reload", Path: so(k)})
		require.NoError(t, err)
		require.True(t, resp.OK, "reload v%d: %s", k, resp.Error)
		openTimes = append(openTimes, resp.Report.OpenDuration)
		r, err := observer.Get(base + "/play?player=observer&move=rock")
		require.NoError(t, err)
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		m := answer.FindStringSubmatch(strings.TrimSpace(string(body)))
		require.NotNil(t, m, "answer %q", body)
		assert.Equal(t, strconv.Itoa(k), m[1], "after reloading v%d the server answered %q", k, body)
		assert.Equal(t, strconv.Itoa(k), m[4], "generation")
		r, err = observer.Get(base + "/registered")
		require.NoError(t, err)
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		kept := "v1"
		if redirect {
			kept = "v" + strconv.Itoa(k)
		}
		assert.Equal(t, "func="+kept+" iface="+kept, strings.TrimSpace(string(body)), "after reloading v%d", k)
	}
	reloadTime := time.Since(reloadStart)
	stopPlaying.Store(true)
	wg.Wait()

	// The books must balance exactly.
	r, err := observer.Get(base + "/scores")
	require.NoError(t, err)
	var scores struct {
		Scores     map[string]int64 `json:"scores"`
		Moves      int64            `json:"moves"`
		Generation int              `json:"generation"`
	}
	require.NoError(t, json.NewDecoder(r.Body).Decode(&scores))
	r.Body.Close()

	require.Zero(t, failures.Load(), "failed requests (first: %v)", firstErr.Load())
	played := answered.Load()
	var total int64
	for c := 0; c < clients; c++ {
		assert.Equal(t, points[c], scores.Scores[fmt.Sprintf("p%d", c)], "player p%d: server total vs points answered", c)
		total += points[c]
	}
	assert.Equal(t, played+int64(versions), scores.Moves, "every move counted once (clients' plus the observer's)")
	assert.Equal(t, versions+1, scores.Generation)
	versionsSeen := map[int]bool{}
	for c := range seen {
		for v := range seen[c] {
			versionsSeen[v] = true
		}
	}
	assert.Positive(t, total)
	t.Logf("%d requests from %d clients, %d reloads in %s, %d distinct versions seen by clients, plugin.Open median %s, last %s",
		played, clients, versions, reloadTime.Round(time.Millisecond), len(versionsSeen), median(openTimes), openTimes[len(openTimes)-1])

	require.NoError(t, srv.Process.Signal(syscall.SIGINT))
	require.NoError(t, srv.Wait(), "clean shutdown")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2].Round(time.Microsecond)
}
