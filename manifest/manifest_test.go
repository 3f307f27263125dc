package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gohot-dev/gohot/compat"
)

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	so := filepath.Join(dir, "v1.so")
	m := &Manifest{ID: "id1", Plugin: "v1.so", Toolchain: "go1.26.8-gohot.1", Check: Check{Status: compat.StatusOK}}
	require.NoError(t, Write(PathFor(so), m))
	got, err := ForPlugin(so)
	require.NoError(t, err)
	assert.Equal(t, Format, got.Format)
	assert.Equal(t, "id1", got.ID)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	tests := []struct{ name, content, want string }{
		{"garbage", "{", "unexpected end of JSON input"},
		{"format", `{"format": 9, "id": "x", "plugin": "a.so"}`, "format 9, this gohot reads format 1"},
		{"not gohot", `{"format": 1}`, "no id or plugin: not written by gohot build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(write(tc.name+".json", tc.content))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	so := filepath.Join(dir, "b.so")
	require.NoError(t, Write(PathFor(so), &Manifest{ID: "x", Plugin: "a.so"}))
	_, err := ForPlugin(so)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "describes a.so, not b.so")
}
