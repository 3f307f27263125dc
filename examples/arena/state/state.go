// Package state is the arena's state. The server imports it, so its one
// copy lives in the server: every game version reads and writes the same
// World, and a reload never touches it. Its layout must not change while
// the server runs (gohot build refuses such an edit).
package state

import "sync"

// World is every player's score.
type World struct {
	mu     sync.Mutex
	scores map[string]int
	moves  int
}

// New returns an empty world.
func New() *World { return &World{scores: map[string]int{}} }

// Add gives player points for one move and returns the player's total.
func (w *World) Add(player string, points int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scores[player] += points
	w.moves++
	return w.scores[player]
}

// Snapshot returns a copy of the scores and the number of moves.
func (w *World) Snapshot() (map[string]int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.scores))
	for p, s := range w.scores {
		out[p] = s
	}
	return out, w.moves
}
