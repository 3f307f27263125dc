package reload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Request is what gohot reload sends on the control socket: one JSON line.
type Request struct {
	Op   string `json:"op"`             // "reload" or "status"
	Path string `json:"path,omitempty"` // the plugin to load, for "reload"
}

// Response is the control socket's answer: one JSON line.
type Response struct {
	OK         bool    `json:"ok"`
	Error      string  `json:"error,omitempty"`
	Report     *Report `json:"report,omitempty"`
	Generation int     `json:"generation"` // current after the request
	Path       string  `json:"path,omitempty"`
	ID         string  `json:"id,omitempty"`
	// Program is the host's executable: what gohot watch builds versions
	// against when it is given no --host.
	Program string `json:"program,omitempty"`
}

// Listen opens the control socket at path, readable and writable by this
// user only. A stale socket left by a dead process is replaced; a live one,
// or any other file, is an error.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket %s: the path exists and is not a socket: choose another path", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s is in use by another process: stop it or choose another path", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket %s: remove stale socket: %w", path, err)
		}
	}
	// Bind under a temporary name, restrict it, then rename it into place,
	// so the socket is never reachable with wider permissions.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	l, err := net.Listen("unix", tmp)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("control socket %s: %w: choose a path in a directory this user can write", path, errors.Unwrap(err))
	}
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, errors.Unwrap(err))
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &unlinkListener{UnixListener: ul, path: path}, nil
}

type unlinkListener struct {
	*net.UnixListener
	path string
	once sync.Once
	err  error
}

// Close closes the listener and removes the socket file, once.
func (l *unlinkListener) Close() error {
	l.once.Do(func() {
		l.err = l.UnixListener.Close()
		os.Remove(l.path)
	})
	return l.err
}

// Serve answers control requests on l until ctx is done. Loads go through
// h.Load one at a time, so a request waits for the one before it.
func (h *Host) Serve(ctx context.Context, l net.Listener) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				l.Close() // wait for the socket file to be gone
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		go h.handle(c)
	}
}

func (h *Host) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	var req Request
	resp := Response{}
	if err := json.Unmarshal(line, &req); err != nil {
		resp.Error = fmt.Sprintf("bad request: %v", err)
	} else {
		switch req.Op {
		case "reload":
			path := req.Path
			if !filepath.IsAbs(path) {
				resp.Error = fmt.Sprintf("reload %q: the path must be absolute (gohot reload sends one)", path)
				break
			}
			_, rep, err := h.Load(path)
			if err != nil {
				resp.Error = err.Error()
			} else {
				resp.OK, resp.Report = true, rep
			}
		case "status":
			resp.OK = true
		default:
			resp.Error = fmt.Sprintf("unknown op %q: want reload or status", req.Op)
		}
	}
	if g := h.Current(); g != nil {
		resp.Generation, resp.Path, resp.ID = g.Seq, g.Path, g.ID
	}
	resp.Program = h.self
	data, _ := json.Marshal(resp)
	c.Write(append(data, '\n'))
}

// Call sends one request to the control socket at path and returns the
// answer.
func Call(ctx context.Context, path string, req Request) (*Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w (is the host running with a control socket there?)", path, errors.Unwrap(err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	data, _ := json.Marshal(req)
	if _, err := c.Write(append(data, '\n')); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("control socket %s: no answer: %w", path, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("control socket %s: bad answer: %w", path, err)
	}
	return &resp, nil
}

// ReloadOnSignal loads the plugin at path whenever the process gets sig
// (SIGHUP if none), until ctx is done. Point path at a symlink that your
// deployment moves to each new version. Results go to h's Logf.
func (h *Host) ReloadOnSignal(ctx context.Context, path string, sig ...os.Signal) {
	if len(sig) == 0 {
		sig = []os.Signal{syscall.SIGHUP}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				if _, _, err := h.Load(path); err != nil {
					h.logf("reload on %v: %v", s, err)
				}
			}
		}
	}()
}
