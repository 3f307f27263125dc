package pluginbuild

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadHost(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	self := runtime.Version()

	_, err = ReadHost("host_test.go", self)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "host host_test.go: not a Go binary with build info")

	if !strings.Contains(self, "-gohot") {
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
