package reload_test

import (
	"context"
	"log"
	"net/http"

	"github.com/gohot-dev/gohot/reload"
)

// A host that serves HTTP with the handler of the current generation and
// takes new versions from gohot reload on its control socket.
func Example() {
	h, err := reload.New(reload.Options{Logf: log.Printf})
	if err != nil {
		log.Fatal(err) // built by stock Go
	}
	// Every version must export func Handle(http.ResponseWriter, *http.Request).
	handle := reload.NewEntry[func(http.ResponseWriter, *http.Request)](h, "Handle")
	if _, _, err := h.Load("handlers-v1.so"); err != nil {
		log.Fatal(err)
	}
	ctl, err := reload.Listen("service.sock")
	if err != nil {
		log.Fatal(err)
	}
	go h.Serve(context.Background(), ctl)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		handle.MustGet()(w, r) // two atomic loads, then the current version's code
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}
