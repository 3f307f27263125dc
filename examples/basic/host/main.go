// Command host loads svc v0, then v1, through the gohot host library, and
// prints what updates and what stays stale.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/gohot-dev/gohot/reload"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) != 3 {
		log.Fatal("usage: host svc_0.so svc_1.so")
	}
	h, err := reload.New(reload.Options{})
	if err != nil {
		log.Fatal(err)
	}
	call := reload.NewEntry[func() string](h, "Call")
	greeting := reload.NewEntry[func() string](h, "Greeting")
	remember := reload.NewEntry[func(map[string]func() string)](h, "Remember")
	stored := map[string]func() string{}

	for i, so := range os.Args[1:] {
		_, rep, err := h.Load(so)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("== loaded svc_%d: %s\n", i, rep.Summary())
		fmt.Println("direct call from the current version:", call.MustGet()())
		fmt.Println("var initializer:                    ", greeting.MustGet()())
		if i == 0 {
			remember.MustGet()(stored)
			continue
		}
		fmt.Println("closure stored by v0:               ", stored["closure"]())
		fmt.Println("func value stored by v0:            ", stored["func value"]())
	}
}
