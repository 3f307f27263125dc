package reload

import (
	"bufio"
	"fmt"
	"os"
	"plugin"
	"strconv"
	"strings"
	"time"

	"github.com/gohot-dev/gohot/compat"
)

// A Report says what one reload did.
type Report struct {
	Generation int    `json:"generation"`
	Previous   int    `json:"previous,omitempty"`
	Path       string `json:"path"`
	ID         string `json:"id,omitempty"`
	// Changed are the user packages whose export data (API, declaration
	// positions, inlinable bodies) differs from the copy loaded last: the
	// package hashes the runtime compares. A body-only edit of a
	// non-inlinable func does not show here; Stale and the manifest's
	// check findings do.
	Changed []string         `json:"changed,omitempty"`
	Added   []string         `json:"added,omitempty"` // user packages new to the process (their init ran)
	Stale   []compat.Finding `json:"stale,omitempty"` // what gohot check said stays old
	// Redirect: the version was loaded in redirect mode. Redirected are
	// the functions whose earlier copies now jump to this version's;
	// NotRedirected the ones that keep their code, each with the reason
	// ("NAME: why").
	Redirect      bool          `json:"redirect,omitempty"`
	Redirected    []string      `json:"redirected,omitempty"`
	NotRedirected []string      `json:"not_redirected,omitempty"`
	OpenDuration  time.Duration `json:"open_ns"`     // plugin.Open alone
	Duration      time.Duration `json:"duration_ns"` // checks, open and hook
	RSSBefore     RSS           `json:"rss_before"`
	RSSAfter      RSS           `json:"rss_after"`
}

// RSS is the resident memory of the process, from /proc/self/status.
type RSS struct {
	Total, Anon, File int64 // bytes
}

func (r RSS) String() string {
	return fmt.Sprintf("%.1f MiB (anon %.1f, file %.1f)", mib(r.Total), mib(r.Anon), mib(r.File))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// Summary is the report in one line.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "generation %d", r.Generation)
	if r.Previous > 0 {
		fmt.Fprintf(&b, " (was %d)", r.Previous)
	}
	fmt.Fprintf(&b, " %s", r.Path)
	if r.ID != "" {
		fmt.Fprintf(&b, " id %s", r.ID)
	}
	fmt.Fprintf(&b, ": export changed [%s]", strings.Join(r.Changed, " "))
	if len(r.Added) > 0 {
		fmt.Fprintf(&b, " added [%s]", strings.Join(r.Added, " "))
	}
	if r.Redirect {
		fmt.Fprintf(&b, ", redirected %d (%d not)", len(r.Redirected), len(r.NotRedirected))
	}
	fmt.Fprintf(&b, ", %d stale, open %s, total %s, rss %+.1f MiB (anon %+.1f, file %+.1f)",
		len(r.Stale), r.OpenDuration.Round(time.Microsecond), r.Duration.Round(time.Microsecond),
		mib(r.RSSAfter.Total-r.RSSBefore.Total), mib(r.RSSAfter.Anon-r.RSSBefore.Anon), mib(r.RSSAfter.File-r.RSSBefore.File))
	return b.String()
}

// String is the report in full, one line per item.
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	for _, f := range r.Stale {
		fmt.Fprintf(&b, "  stale %s %s (%s): %s\n", f.Rule, f.Object, f.Pos, f.Message)
	}
	for _, n := range r.NotRedirected {
		fmt.Fprintf(&b, "  not redirected %s\n", n)
	}
	fmt.Fprintf(&b, "  rss before %s, after %s\n", r.RSSBefore, r.RSSAfter)
	return b.String()
}

// ReadRSS reads this process's VmRSS, RssAnon and RssFile from
// /proc/self/status; zeros where /proc is missing.
func ReadRSS() RSS {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return RSS{}
	}
	defer f.Close()
	var r RSS
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			r.Total = kb << 10
		case "RssAnon":
			r.Anon = kb << 10
		case "RssFile":
			r.File = kb << 10
		}
	}
	return r
}

// redirectSymbol is where a gohot runtime leaves the report of the
// redirect pass of a plugin loaded with GOHOT_REDIRECT=on: one line per
// function, "redirected NAME", "kept NAME: why" or "busy NAME: why". It
// is not a Go identifier, so no plugin symbol has it; stock Go has none.
const redirectSymbol = "gohot:redirect"

// redirectReport reads the redirect pass's report from p.
func redirectReport(p interface {
	Lookup(string) (plugin.Symbol, error)
}) (redirected, not []string) {
	sym, err := p.Lookup(redirectSymbol)
	if err != nil {
		return nil, nil
	}
	text, _ := sym.(string)
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "redirected "):
			redirected = append(redirected, strings.TrimPrefix(line, "redirected "))
		case strings.HasPrefix(line, "kept "), strings.HasPrefix(line, "busy "), strings.HasPrefix(line, "failed: "):
			not = append(not, line)
		}
	}
	return redirected, not
}
