package hostbind

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithHostImport(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		host  string
		want  []string
	}{
		{nil, "/srv/host", []string{"-ldflags=-compressdwarf=false -hostimport=/srv/host"}},
		{[]string{"-trimpath", "-ldflags=-s -w"}, "/srv/host", []string{"-trimpath", "-ldflags=-s -w -compressdwarf=false -hostimport=/srv/host"}},
		{[]string{"-ldflags="}, "/srv/my host", []string{"-ldflags=-compressdwarf=false '-hostimport=/srv/my host'"}},
		{[]string{"-ldflags=-s"}, "/srv/my host", []string{"-ldflags=-s -compressdwarf=false '-hostimport=/srv/my host'"}},
		{nil, "/srv/it's", []string{`-ldflags=-compressdwarf=false "-hostimport=/srv/it's"`}},
	} {
		got, err := withHostImport(tc.flags, tc.host)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("withHostImport(%q, %q) = %q, %v; want %q", tc.flags, tc.host, got, err, tc.want)
		}
	}
	if _, err := withHostImport(nil, `/srv/a'b"c`); err == nil {
		t.Error(`withHostImport of a path with both quotes: no error`)
	}
}

func TestBuildFlags(t *testing.T) {
	flags, env, err := BuildFlags([]string{"-trimpath"}, []string{"HOME=/root"}, "/srv/host")
	require.NoError(t, err)
	assert.Equal(t, []string{"-trimpath", "-ldflags=-compressdwarf=false -hostimport=/srv/host"}, flags)
	assert.Equal(t, []string{"HOME=/root", "GOGC=400"}, env)

	_, env, err = BuildFlags(nil, []string{"GOGC=50", "HOME=/root"}, "/srv/host")
	require.NoError(t, err)
	assert.Equal(t, []string{"GOGC=50", "HOME=/root"}, env, "a GOGC the environment sets is kept")
}
