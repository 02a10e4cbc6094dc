package storage

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// IDs are 64-bit and sort by creation time, as Mastodon clients expect: the
// milliseconds since the Unix epoch in the high 48 bits and a sequence in the
// low 16. The sequence starts at a random point each millisecond so that
// several processes sharing one PostgreSQL database rarely collide, and the
// primary key catches the rare case that they do.
var idGen struct {
	sync.Mutex
	ms  int64
	seq uint16
}

// NewID returns a new time-ordered ID.
func NewID() int64 { return IDAt(time.Now()) }

// IDAt returns a new ID for an object created at t (a remote post keeps its
// own publication time in its ID, so it sorts where it belongs).
func IDAt(t time.Time) int64 {
	ms := t.UnixMilli()
	idGen.Lock()
	defer idGen.Unlock()
	if ms != idGen.ms {
		var b [2]byte
		_, _ = rand.Read(b[:])
		idGen.ms = ms
		idGen.seq = binary.BigEndian.Uint16(b[:]) & 0x7fff
	} else {
		idGen.seq++
	}
	return ms<<16 | int64(idGen.seq)
}

// IDTime returns the moment encoded in id.
func IDTime(id int64) time.Time { return time.UnixMilli(id >> 16) }
