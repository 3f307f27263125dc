// Command server is the arena: an HTTP game server whose rules reload
// without a restart. State and connections stay in the server; the rules
// come from plugin versions built with gohot build and loaded through the
// control socket (gohot reload) or on SIGHUP.
//
//	server -addr 127.0.0.1:8080 -socket arena.sock -game game-v1.so
//	curl '127.0.0.1:8080/play?player=ann&move=rock'
//	curl 127.0.0.1:8080/scores
//	curl 127.0.0.1:8080/registered
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.com/arena/state"

	"github.com/gohot-dev/gohot/reload"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	socket := flag.String("socket", "arena.sock", "control `socket` for gohot reload")
	game := flag.String("game", "", "the first game plugin `version` (required); SIGHUP reloads this path")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if err := run(*addr, *socket, *game); err != nil {
		log.Fatal(err)
	}
}

func run(addr, socket, game string) error {
	if game == "" {
		return errors.New("-game is required: the first plugin version, built with gohot build")
	}
	h, err := reload.New(reload.Options{AllowUnchecked: false, Logf: log.Printf})
	if err != nil {
		return err
	}
	play := reload.NewEntry[func(*state.World, string, string) string](h, "Play")
	registered := reload.NewEntry[func() (func() string, fmt.Stringer)](h, "Registered")
	if _, _, err := h.Load(game); err != nil {
		return err
	}
	// Kept from the first version, as handlers and callbacks usually are:
	// they follow later versions only in redirect mode (GOHOT_REDIRECT=on).
	describe, board := registered.MustGet()()
	world := state.New()

	mux := http.NewServeMux()
	mux.HandleFunc("/play", func(w http.ResponseWriter, r *http.Request) {
		player, move := r.FormValue("player"), r.FormValue("move")
		if player == "" {
			http.Error(w, "want ?player=NAME&move=MOVE", http.StatusBadRequest)
			return
		}
		gen := h.Current()
		fmt.Fprintf(w, "%s gen=%d\n", play.MustGet()(world, player, move), gen.Seq)
	})
	mux.HandleFunc("/registered", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "func=%s iface=%s\n", describe(), board)
	})
	mux.HandleFunc("/scores", func(w http.ResponseWriter, r *http.Request) {
		scores, moves := world.Snapshot()
		json.NewEncoder(w).Encode(map[string]any{"scores": scores, "moves": moves, "generation": h.Current().Seq})
	})

	// Listen first: once the control socket answers, requests are served.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctl, err := reload.Listen(socket)
	if err != nil {
		return err
	}
	go func() {
		if err := h.Serve(ctx, ctl); err != nil {
			log.Print(err)
		}
	}()
	h.ReloadOnSignal(ctx, game)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("arena on http://%s, control socket %s", l.Addr(), socket)
	fmt.Printf("listening %s\n", l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
