// Command testhost is the host program of the testscript suite: it opens
// plugins and calls their exported func() string symbols (or prints their
// string symbols, such as the redirect report "gohot:redirect") in the
// order its arguments say, printing one line per step, so a script can
// assert what every loaded version runs after every reload.
//
// Two more steps force what a healthy process never shows: "deny-wx NAME
// SYMBOL" makes the kernel refuse to make code writable from the entry
// SYMBOL names (a func() string returning "0xA 0xC": from C's page on;
// A's page stays allowed), and "maps rwx -" prints how many mappings are
// writable and executable at once.
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
	"runtime"
	"sort"
	"strings"
	"syscall"
	"unsafe"
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
			switch v := sym.(type) {
			case func() string:
				fmt.Printf("%s.%s: %s\n", name, arg, v())
			case string:
				lines := strings.Split(strings.TrimSpace(v), "\n")
				sort.Strings(lines)
				for _, line := range lines {
					fmt.Printf("%s.%s: %s\n", name, arg, line)
				}
			default:
				return fmt.Errorf("%s.%s is a %T, not a func() string or a string", name, arg, sym)
			}
		case "deny-wx":
			p, ok := loaded[name]
			if !ok {
				fmt.Printf("deny-wx: %s not loaded\n", name)
				continue
			}
			sym, err := p.Lookup(arg)
			if err != nil {
				return err
			}
			f, ok := sym.(func() string)
			if !ok {
				return fmt.Errorf("%s.%s is a %T, not a func() string", name, arg, sym)
			}
			var a, c uintptr
			if _, err := fmt.Sscanf(f(), "%v %v", &a, &c); err != nil {
				return fmt.Errorf("%s.%s: want \"0xA 0xC\": %v", name, arg, err)
			}
			page := uintptr(os.Getpagesize())
			if err := denyWX(c &^ (page - 1)); err != nil {
				return fmt.Errorf("deny-wx: %w", err)
			}
			fmt.Printf("deny-wx: ok, the two entries are on different pages: %v\n", a/page != c/page)
		case "maps":
			n, err := mappings(name)
			if err != nil {
				return err
			}
			fmt.Printf("maps %s: %d\n", name, n)
		default:
			return fmt.Errorf("unknown step %q: want open, call, deny-wx or maps", op)
		}
	}
	return nil
}

// denyWX installs a seccomp filter on every thread of the process that
// fails mprotect(addr, len, PROT_READ|PROT_WRITE|PROT_EXEC) with EACCES
// for addr >= from, and allows every other system call.
func denyWX(from uintptr) error {
	const (
		ldAbsW  = 0x20 // BPF_LD | BPF_W | BPF_ABS
		jeqK    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
		jgtK    = 0x25 // BPF_JMP | BPF_JGT | BPF_K
		jgeK    = 0x35 // BPF_JMP | BPF_JGE | BPF_K
		retK    = 0x06 // BPF_RET | BPF_K
		allow   = 0x7fff0000
		eacces  = 0x00050000 | uint32(syscall.EACCES) // SECCOMP_RET_ERRNO
		offNr   = 0
		offArg0 = 16 // struct seccomp_data: nr, arch, ip, args[6]
		offArg2 = 32
		rwx     = syscall.PROT_READ | syscall.PROT_WRITE | syscall.PROT_EXEC
	)
	type insn struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}
	// Jump offsets count instructions after the jump; 9 is allow, 10 deny.
	prog := []insn{
		{ldAbsW, 0, 0, offNr},                           // 0
		{jeqK, 0, 7, uint32(syscall.SYS_MPROTECT)},      // 1: -> 9
		{ldAbsW, 0, 0, offArg2},                         // 2
		{jeqK, 0, 5, rwx},                               // 3: -> 9
		{ldAbsW, 0, 0, offArg0 + 4},                     // 4: address, high word
		{jgtK, 4, 0, uint32(uint64(from) >> 32)},        // 5: -> 10
		{jeqK, 0, 2, uint32(uint64(from) >> 32)},        // 6: -> 9
		{ldAbsW, 0, 0, offArg0},                         // 7: address, low word
		{jgeK, 1, 0, uint32(uint64(from) & 0xffffffff)}, // 8: -> 10
		{retK, 0, 0, allow},                             // 9
		{retK, 0, 0, eacces},                            // 10
	}
	fprog := struct {
		n    uint16
		insn *insn
	}{uint16(len(prog)), &prog[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const prSetNoNewPrivs, seccompSetModeFilter, filterFlagTsync = 38, 1, 1
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %v", e)
	}
	// The syscall package has no SYS_SECCOMP on every architecture.
	sysSeccomp := map[string]uintptr{"amd64": 317, "arm64": 277}[runtime.GOARCH]
	if sysSeccomp == 0 {
		return fmt.Errorf("no seccomp system call number for %s", runtime.GOARCH)
	}
	if r, _, e := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, filterFlagTsync, uintptr(unsafe.Pointer(&fprog))); e != 0 || r != 0 {
		return fmt.Errorf("seccomp(SET_MODE_FILTER, TSYNC): %v (thread %d)", e, r)
	}
	runtime.KeepAlive(prog)
	return nil
}

// mappings counts the mappings of /proc/self/maps whose permissions start
// with perm (e.g. "rwx").
func mappings(perm string) (int, error) {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], perm) {
			n++
		}
	}
	return n, nil
}
