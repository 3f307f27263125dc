package hostbind

import "testing"

func TestGoName(t *testing.T) {
	for name, want := range map[string]bool{
		"encoding/json.Marshal":       true,
		"net/http.(*Client).Do":       true,
		"type:QGy0HkBT":               true,
		"type:*encoding/json.Number":  true,
		"runtime.systemstack.abi0":    true,
		"malloc":                      false,
		"__errno_location":            false,
		"pthread_create":              false,
		"_cgo_wait_runtime_init_done": false,
	} {
		if got := goName(name); got != want {
			t.Errorf("goName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a.F"}, "a.F"},
		{[]string{"a.F", "b.G", "c.H"}, "a.F, b.G, c.H"},
		{[]string{"a.F", "b.G", "c.H", "d.I", "e.J"}, "a.F, b.G, c.H and 2 more"},
	} {
		if got := Describe(tc.in); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Packages and Missing read plugins the linker wrote: the testscript
// host_bound covers them end to end.
func TestReadExportsMissingFile(t *testing.T) {
	if _, err := ReadExports("testdata-does-not-exist"); err == nil {
		t.Fatal("ReadExports of a missing file: no error")
	}
}
