package rules

// Describe names the rules. The server keeps it as a func value from the
// first version it loads, as a mux keeps a handler: by default that value
// runs the first version's code for as long as the server runs; in
// redirect mode (GOHOT_REDIRECT=on) it runs the newest version's.
//
//go:noinline
func Describe() string { return Version }

// Board is the rules as a value the server keeps behind an interface,
// from the first version, like Describe.
type Board struct{}

//go:noinline
func (Board) String() string { return Version }
