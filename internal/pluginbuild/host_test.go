package pluginbuild

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/pkghash"
)

func TestReadHost(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	self := runtime.Version()

	_, err = ReadHost("host_test.go", self)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "host host_test.go: not a Go binary with build info")

	if !manifest.GohotToolchain(self) {
		_, err = ReadHost(exe, self)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "was built by stock "+self+", which refuses changed plugins")
		return
	}
	_, err = ReadHost(exe, "go1.99.0-gohot.1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "was built by "+self+", but the go command is go1.99.0-gohot.1")

	hs, err := ReadHost(exe, self)
	if err != nil {
		// A test binary built with CGO_ENABLED=0 cannot host plugins.
		assert.Contains(t, err.Error(), "plugins need cgo")
		return
	}
	assert.Equal(t, "1", hs.Env["CGO_ENABLED"])
	assert.Equal(t, runtime.GOARCH, hs.Env["GOARCH"])
	assert.NotContains(t, hs.Flags, "-buildmode=exe", "the build mode is the plugin's own")
}

func TestStdMismatch(t *testing.T) {
	host := []pkghash.Package{{Path: "runtime", Hash: "aa", Std: true}, {Path: "example.com/app/logic", Hash: "01"}}
	// A changed user package is what a reload is for.
	assert.NoError(t, stdMismatch(host, []pkghash.Package{{Path: "runtime", Hash: "aa", Std: true}, {Path: "example.com/app/logic", Hash: "02"}}))
	// A changed standard package means other settings: refused.
	err := stdMismatch(host, []pkghash.Package{{Path: "runtime", Hash: "bb", Std: true}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "standard package runtime differs from the host's")
}

func TestUserPackages(t *testing.T) {
	got := userPackages([]pkghash.Package{
		{Path: "runtime", Std: true}, {Path: "main"}, {Path: "example.com/b"}, {Path: "example.com/a"},
	})
	assert.Equal(t, []string{"example.com/a", "example.com/b"}, got)
}
