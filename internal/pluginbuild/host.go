package pluginbuild

import (
	"debug/buildinfo"
	"fmt"
	"sort"
	"strings"

	"github.com/gohot-dev/gohot/manifest"
	"github.com/gohot-dev/gohot/pkghash"
)

// HostSettings are the build settings a plugin must share with its host so
// that their standard library packages are the same build.
type HostSettings struct {
	GoVersion string
	Flags     []string          // go build flags: -trimpath, -tags, -gcflags, ...
	Env       map[string]string // CGO_ENABLED, GOAMD64, CGO_CFLAGS, ...
	Recorded  map[string]string // every setting the host records, for the manifest
}

// mirroredFlags are the go build flags debug/buildinfo records that change
// how packages are compiled or linked.
var mirroredFlags = []string{"-asmflags", "-gcflags", "-ldflags", "-tags", "-trimpath", "-race", "-msan", "-asan", "-cover"}

// ReadHost reads the build settings of the host binary at path and checks
// that toolchain (go env GOVERSION) can build plugins it will load.
func ReadHost(path, toolchain string) (*HostSettings, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("host %s: not a Go binary with build info: %w", path, err)
	}
	return hostSettings(path, info, toolchain)
}

// hostSettings derives the settings from a host's build info: what
// ReadHost does once the binary is read, separate so that every kind of
// host can be tested whatever toolchain runs the test.
func hostSettings(path string, info *buildinfo.BuildInfo, toolchain string) (*HostSettings, error) {
	if !manifest.GohotToolchain(info.GoVersion) {
		return nil, fmt.Errorf("host %s was built by stock %s, which refuses changed plugins: rebuild it with gohot (%s)", path, info.GoVersion, toolchain)
	}
	if info.GoVersion != toolchain {
		return nil, fmt.Errorf("host %s was built by %s, but the go command is %s: switch to the host's toolchain (scripts/env.sh --go) or rebuild the host", path, info.GoVersion, toolchain)
	}
	hs := &HostSettings{GoVersion: info.GoVersion, Env: map[string]string{}, Recorded: map[string]string{}}
	for _, s := range info.Settings {
		hs.Recorded[s.Key] = s.Value
	}
	if mode := hs.Recorded["-buildmode"]; mode != "" && mode != "exe" && mode != "pie" {
		return nil, fmt.Errorf("host %s was built with -buildmode=%s: a host must be a program (exe or pie)", path, mode)
	}
	if hs.Recorded["CGO_ENABLED"] != "1" {
		return nil, fmt.Errorf("host %s was built with CGO_ENABLED=%q: plugins need cgo; rebuild it with CGO_ENABLED=1", path, hs.Recorded["CGO_ENABLED"])
	}
	if c := hs.Recorded["-compiler"]; c != "" && c != "gc" {
		return nil, fmt.Errorf("host %s was built with -compiler=%s: gohot plugins need gc", path, c)
	}
	for _, flag := range mirroredFlags {
		v, ok := hs.Recorded[flag]
		if !ok {
			continue
		}
		if v == "true" || v == "false" {
			if v == "true" {
				hs.Flags = append(hs.Flags, flag)
			}
			continue
		}
		hs.Flags = append(hs.Flags, flag+"="+v)
	}
	for key, v := range hs.Recorded {
		switch {
		case key == "CGO_ENABLED", key == "GOOS", key == "GOARCH", key == "GOEXPERIMENT", key == "GOFIPS140",
			strings.HasPrefix(key, "CGO_") && strings.HasSuffix(key, "FLAGS"),
			key == "GOAMD64", key == "GOARM", key == "GOARM64", key == "GO386", key == "GOMIPS", key == "GOMIPS64",
			key == "GOPPC64", key == "GORISCV64", key == "GOWASM":
			hs.Env[key] = v
		}
	}
	return hs, nil
}

// HostPackages returns the user (not standard library) packages the host
// program at path links, sorted.
func HostPackages(path string) ([]string, error) {
	pkgs, err := readHostPackages(path)
	if err != nil {
		return nil, err
	}
	return userPackages(pkgs), nil
}

// readHostPackages reads the package hashes of the host program at path.
func readHostPackages(path string) ([]pkghash.Package, error) {
	pkgs, err := pkghash.Read(path)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w (does it import plugin?)", path, err)
	}
	return pkgs, nil
}

// userPackages returns the paths of pkgs that are not standard library
// packages or main, sorted.
func userPackages(pkgs []pkghash.Package) []string {
	var out []string
	for _, p := range pkgs {
		if !p.Std && p.Path != "main" {
			out = append(out, p.Path)
		}
	}
	sort.Strings(out)
	return out
}
