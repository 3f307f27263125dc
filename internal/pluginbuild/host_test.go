package pluginbuild

import (
	"os"
	"runtime"
	"runtime/debug"
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

// Every kind of host, from build info, whichever toolchain runs the test.
func TestHostSettings(t *testing.T) {
	const gohot = "go1.26.8-gohot.8"
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: version}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	refusals := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"stock", info("go1.26.8", "CGO_ENABLED", "1"),
			"host h was built by stock go1.26.8, which refuses changed plugins: rebuild it with gohot (go1.26.8-gohot.8)"},
		{"other gohot", info("go1.26.8-gohot.7", "CGO_ENABLED", "1"),
			"host h was built by go1.26.8-gohot.7, but the go command is go1.26.8-gohot.8: switch to the host's toolchain (scripts/env.sh --go) or rebuild the host"},
		{"library", info(gohot, "-buildmode", "c-shared", "CGO_ENABLED", "1"),
			"host h was built with -buildmode=c-shared: a host must be a program (exe or pie)"},
		{"no cgo", info(gohot, "CGO_ENABLED", "0"),
			`host h was built with CGO_ENABLED="0": plugins need cgo; rebuild it with CGO_ENABLED=1`},
		{"gccgo", info(gohot, "-compiler", "gccgo", "CGO_ENABLED", "1"),
			"host h was built with -compiler=gccgo: gohot plugins need gc"},
	}
	for _, r := range refusals {
		_, err := hostSettings("h", r.info, gohot)
		if assert.Error(t, err, r.name) {
			assert.Equal(t, r.want, err.Error(), r.name)
		}
	}
	hs, err := hostSettings("h", info(gohot, "-buildmode", "exe", "-compiler", "gc", "CGO_ENABLED", "1",
		"-trimpath", "true", "-race", "false", "-tags", "prod", "-gcflags", "all=-N",
		"GOARCH", "amd64", "GOAMD64", "v3", "CGO_CFLAGS", "-O2", "vcs.revision", "abc"), gohot)
	require.NoError(t, err)
	assert.Equal(t, []string{"-gcflags=all=-N", "-tags=prod", "-trimpath"}, hs.Flags)
	assert.Equal(t, map[string]string{"CGO_ENABLED": "1", "GOARCH": "amd64", "GOAMD64": "v3", "CGO_CFLAGS": "-O2"}, hs.Env)
	assert.Equal(t, "abc", hs.Recorded["vcs.revision"])
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

func TestHostImportSupported(t *testing.T) {
	for v, want := range map[string]bool{
		"go1.26.8-gohot.12":          true,
		"go1.27.4-gohot.13":          true,
		"go1.26.8-gohot.12 X:jsonv2": true,
		"go1.26.8-gohot.11":          false,
		"go1.26.8-gohot.9":           false,
		"go1.26.8":                   false,
	} {
		if got := hostImportSupported(v); got != want {
			t.Errorf("hostImportSupported(%q) = %v, want %v", v, got, want)
		}
	}
}
