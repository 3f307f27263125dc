package reload

import (
	"bufio"
	"fmt"
	"os"
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
	Changed      []string         `json:"changed,omitempty"`
	Added        []string         `json:"added,omitempty"` // user packages new to the process (their init ran)
	Stale        []compat.Finding `json:"stale,omitempty"` // what gohot check said stays old
	OpenDuration time.Duration    `json:"open_ns"`         // plugin.Open alone
	Duration     time.Duration    `json:"duration_ns"`     // checks, open and hook
	RSSBefore    RSS              `json:"rss_before"`
	RSSAfter     RSS              `json:"rss_after"`
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
