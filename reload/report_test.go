package reload

import "testing"

// The load is in redirect mode when the runtime says so in its report, or
// when GOHOT_REDIRECT=on was set for the Open, even with an empty report.
func TestRedirectMode(t *testing.T) {
	for _, tc := range []struct {
		env             string
		redirected, not []string
		want            bool
	}{
		{"", nil, nil, false},
		{"off", nil, nil, false},
		{"on", nil, nil, true},
		{"", []string{"a.F"}, nil, true},
		{"off", nil, []string{"kept a.g: why"}, true},
	} {
		t.Setenv("GOHOT_REDIRECT", tc.env)
		if got := redirectMode(tc.redirected, tc.not); got != tc.want {
			t.Errorf("GOHOT_REDIRECT=%q, report %q %q: redirect mode %v, want %v", tc.env, tc.redirected, tc.not, got, tc.want)
		}
	}
}
