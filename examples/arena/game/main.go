// Command game is the arena's reloadable logic, built as a plugin.
package main

import (
	"fmt"

	"example.com/arena/rules"
	"example.com/arena/state"
)

// Play scores one move of player in w. Its result line is what the server
// answers.
func Play(w *state.World, player, move string) string {
	points := rules.Points(move)
	total := w.Add(player, points)
	return fmt.Sprintf("rules=%s points=%d total=%d", rules.Version, points, total)
}

// Registered hands the server a func value and an interface value made by
// this version's code. The server asks the first version once and keeps
// them (GET /registered answers through them).
func Registered() (func() string, fmt.Stringer) { return rules.Describe, rules.Board{} }

func main() {}
