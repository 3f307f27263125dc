package pluginbuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gohot-dev/gohot/internal/gotool"
)

// A session reads the host once and keeps one check Loader across
// builds: the second Prepare reads nothing again and lists nothing again,
// whatever order the host's settings come in (they are a map); a rebuilt
// host is read again.
func TestSessionKeepsWhatEditsCannotChange(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o666))
	}
	write("go.mod", "module example.com/p\n\ngo 1.22\n")
	write("main.go", "package main\n\nfunc Run() int { return 1 }\n")
	host := filepath.Join(dir, "host.exe")
	write("host.exe", "a host")

	env := map[string]string{}
	for _, k := range []string{"CGO_ENABLED", "GOAMD64", "CGO_CFLAGS", "CGO_LDFLAGS", "GOEXPERIMENT", "GOFIPS140", "GOARCH", "GOOS"} {
		env[k] = ""
	}
	env["CGO_ENABLED"] = "1"
	s := &Session{toolchain: "go1.0-gohot.1"}
	s.host = &hostState{path: host, stamp: gotool.Stamp(host), settings: &HostSettings{Env: env, Recorded: map[string]string{}}}
	read := s.host

	ctx := context.Background()
	opts := Options{Dir: dir, Host: host}
	require.NoError(t, s.Prepare(ctx, opts))
	loader := s.loader
	require.NotNil(t, loader)
	for i := 0; i < 4; i++ {
		require.NoError(t, s.Prepare(ctx, opts))
	}
	assert.True(t, loader == s.loader, "the check's Loader was made anew")
	assert.Equal(t, 1, s.loader.Lists, "listings in five builds")
	assert.Same(t, read, s.host, "the host was read again")

	write("host.exe", "a rebuilt host")
	err := s.Prepare(ctx, opts)
	require.Error(t, err, "a rebuilt host that is no Go program")
	assert.Contains(t, err.Error(), "not a Go binary with build info")
}
