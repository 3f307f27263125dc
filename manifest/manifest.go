// Package manifest is the record gohot build writes beside every plugin
// version (<plugin>.gohot.json): what was built, from which source, with
// which toolchain and settings, the package hashes the runtime will
// compare, and what gohot check found. The host library reads it before
// loading a version.
package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gohot-dev/gohot/compat"
	"github.com/gohot-dev/gohot/pkghash"
)

// Format is the manifest format version this package writes.
const Format = 1

// Suffix is appended to a plugin's path to name its manifest.
const Suffix = ".gohot.json"

// A Manifest describes one plugin version.
type Manifest struct {
	Format       int               `json:"format"`
	ID           string            `json:"id"`     // unique per build, also the plugin's GohotBuild symbol
	Plugin       string            `json:"plugin"` // file name of the .so, beside the manifest
	PluginSHA256 string            `json:"plugin_sha256"`
	MainPackage  string            `json:"main_package"` // import path of the plugin's main package
	Source       Source            `json:"source"`
	Toolchain    string            `json:"toolchain"` // go env GOVERSION of the builder
	Settings     map[string]string `json:"settings"`  // build settings, as debug/buildinfo names them
	Host         string            `json:"host,omitempty"`
	// HostBound are the packages the plugin leaves to its host (gohot
	// build --host without --full): it loads only into a program that
	// defines every symbol of theirs it uses.
	HostBound []string          `json:"host_bound,omitempty"`
	Packages  []pkghash.Package `json:"packages"`
	Check     Check             `json:"check"`
	Built     time.Time         `json:"built"`
	// Facts are gohot check's view of the source (layouts, signatures,
	// body hashes), so a later version can be checked against this one
	// without its source.
	Facts json.RawMessage `json:"facts,omitempty"`
}

// Source says what the plugin was built from.
type Source struct {
	Dir      string `json:"dir"`
	Revision string `json:"revision,omitempty"` // VCS revision, when the source is a git work tree
	Modified bool   `json:"modified,omitempty"` // uncommitted changes at build time
	Hash     string `json:"hash"`               // sha256 over the Go files of the user packages built
}

// Check is gohot check's verdict on the version, against a base.
type Check struct {
	Status   compat.Status    `json:"status"`
	Base     string           `json:"base,omitempty"`
	Findings []compat.Finding `json:"findings,omitempty"`
}

// PathFor returns the manifest path of the plugin at so.
func PathFor(so string) string { return so + Suffix }

// Read reads and validates a manifest.
func Read(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("read manifest %s: format %d, this gohot reads format %d", path, m.Format, Format)
	}
	if m.ID == "" || m.Plugin == "" {
		return nil, fmt.Errorf("read manifest %s: no id or plugin: not written by gohot build", path)
	}
	return &m, nil
}

// ForPlugin reads the manifest beside the plugin at so, and checks that
// it names that file.
func ForPlugin(so string) (*Manifest, error) {
	m, err := Read(PathFor(so))
	if err != nil {
		return nil, err
	}
	if m.Plugin != filepath.Base(so) {
		return nil, fmt.Errorf("manifest %s describes %s, not %s", PathFor(so), m.Plugin, filepath.Base(so))
	}
	return m, nil
}

// Write writes m to path atomically: a reader sees the old file or the
// whole new one.
func Write(path string, m *Manifest) error {
	if m.Format == 0 {
		m.Format = Format
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".manifest-*")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	return nil
}

// GohotToolchain reports whether a Go version string (go env GOVERSION,
// runtime.Version, a binary's build info) names a gohot toolchain, whose
// version carries a -gohot.N suffix.
func GohotToolchain(version string) bool {
	return strings.Contains(version, "-gohot")
}
