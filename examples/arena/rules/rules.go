// Package rules is the game logic: edit it, gohot build, gohot reload.
package rules

// Version names the rules in every answer.
const Version = "classic"

// Points scores a move.
func Points(move string) int {
	switch move {
	case "rock", "paper", "scissors":
		return 1
	}
	return 0
}
