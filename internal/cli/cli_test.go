package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: gohot <command>"},
		{[]string{"help"}, 0, "usage: gohot <command>"},
		{[]string{"deploy"}, 2, `gohot: unknown command "deploy": want build, check, reload or watch`},
		{[]string{"build", "-o", "v1.txt"}, 2, "gohot build: -o v1.txt: a plugin file name ends in .so"},
		{[]string{"build", "a", "b"}, 2, "gohot build: want one package directory, got 2 arguments"},
		{[]string{"build", "--nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"build", "-h"}, 0, "usage: gohot build"},
		{[]string{"check", "."}, 2, "gohot check: --base is required"},
		{[]string{"reload"}, 2, "gohot reload: want the plugin to load"},
		{[]string{"reload", "--socket", "/nonexistent/ctl.sock", "--status"}, 1, "gohot reload: control socket /nonexistent/ctl.sock"},
		{[]string{"reload", "missing.so"}, 1, "gohot reload: plugin missing.so: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tc.args, &stdout, &stderr)
			assert.Equal(t, tc.code, code, "stderr: %s", stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}
