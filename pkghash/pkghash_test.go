package pkghash

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiff(t *testing.T) {
	old := []Package{{Path: "a", Hash: "1"}, {Path: "b", Hash: "2"}, {Path: "runtime", Hash: "9", Std: true}}
	new := []Package{{Path: "a", Hash: "1"}, {Path: "b", Hash: "3"}, {Path: "c", Hash: "4"}, {Path: "runtime", Hash: "8", Std: true}}
	changed, added := Diff(old, new)
	require.Len(t, changed, 2)
	assert.Equal(t, "b", changed[0].Path)
	assert.False(t, changed[0].Std)
	assert.Equal(t, "runtime", changed[1].Path)
	assert.True(t, changed[1].Std)
	assert.Equal(t, []string{"c"}, added)
}

// The test binary imports testing, not plugin: it records no hashes.
func TestReadProgramWithoutPlugin(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	_, err = Read(exe)
	require.ErrorIs(t, err, ErrNoHashes)
}

func TestReadNotELF(t *testing.T) {
	_, err := Read("pkghash.go")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read package hashes of pkghash.go")
}
