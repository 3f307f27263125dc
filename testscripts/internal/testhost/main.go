// Command testhost is the host program of the testscript suite: it opens
// plugins and calls their exported func() string symbols in the order its
// arguments say, printing one line per step, so a script can assert what
// every loaded version runs after every reload.
//
//	testhost open v1 v1.so call v1 Run open v2 v2.so call v2 Run call v1 Run
//
// prints
//
//	open v1: ok
//	v1.Run: ...
//	open v2: ok
//	v2.Run: ...
//	v1.Run: ...
package main

import (
	"fmt"
	"os"
	"plugin"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testhost:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	loaded := map[string]*plugin.Plugin{}
	for len(args) > 0 {
		if len(args) < 3 {
			return fmt.Errorf("incomplete step %q: want open NAME PATH or call NAME SYMBOL", args)
		}
		op, name, arg := args[0], args[1], args[2]
		args = args[3:]
		switch op {
		case "open":
			p, err := plugin.Open(arg)
			if err != nil {
				fmt.Printf("open %s: error: %v\n", name, err)
				continue
			}
			loaded[name] = p
			fmt.Printf("open %s: ok\n", name)
		case "call":
			p, ok := loaded[name]
			if !ok {
				// Scripts run on stock Go too, where a reload is refused.
				fmt.Printf("%s.%s: not loaded\n", name, arg)
				continue
			}
			sym, err := p.Lookup(arg)
			if err != nil {
				fmt.Printf("%s.%s: lookup error: %v\n", name, arg, err)
				continue
			}
			f, ok := sym.(func() string)
			if !ok {
				return fmt.Errorf("%s.%s is a %T, not a func() string", name, arg, sym)
			}
			fmt.Printf("%s.%s: %s\n", name, arg, f())
		default:
			return fmt.Errorf("unknown step %q: want open or call", op)
		}
	}
	return nil
}
