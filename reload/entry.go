package reload

import (
	"fmt"
	"sync/atomic"
)

// An Entry is a typed entry point that follows the current generation.
// Get costs two atomic loads and a compare while the generation stays the
// same; the symbol is looked up once per generation.
type Entry[T any] struct {
	h     *Host
	name  string
	cache atomic.Pointer[entryCache[T]]
}

type entryCache[T any] struct {
	gen *Generation
	v   T
	err error
}

// NewEntry registers the entry point name of type T. Every later Load
// refuses a version that lacks it or has it with another type, so the
// previous generation keeps serving instead of a broken one.
func NewEntry[T any](h *Host, name string) *Entry[T] {
	e := &Entry[T]{h: h, name: name}
	h.mu.Lock()
	h.required = append(h.required, func(g *Generation) error {
		_, err := Lookup[T](g, name)
		return err
	})
	h.mu.Unlock()
	return e
}

// Get returns the entry point of the current generation.
func (e *Entry[T]) Get() (T, error) {
	gen := e.h.current.Load()
	if c := e.cache.Load(); c != nil && c.gen == gen {
		return c.v, c.err
	}
	if gen == nil {
		var zero T
		return zero, fmt.Errorf("entry %s: no generation loaded yet", e.name)
	}
	v, err := Lookup[T](gen, e.name)
	e.cache.Store(&entryCache[T]{gen: gen, v: v, err: err})
	return v, err
}

// MustGet is Get for entry points that NewEntry guarantees exist once a
// generation is loaded; it panics before the first load.
func (e *Entry[T]) MustGet() T {
	v, err := e.Get()
	if err != nil {
		panic(err)
	}
	return v
}
