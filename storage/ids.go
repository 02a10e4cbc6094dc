package storage

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// IDs are 64-bit and sort by creation time, as Mastodon clients expect: the
// milliseconds since the Unix epoch in the high 48 bits and 16 low bits that
// tell apart IDs of the same millisecond.
var idGen struct {
	sync.Mutex
	ms  int64
	seq uint16
}

// NewID returns a new ID for something created now. IDs from one process
// never repeat and always grow; the sequence starts at a random point each
// millisecond so that several processes sharing one database rarely collide
// (and inserts that can collide check for it).
func NewID() int64 {
	ms := time.Now().UnixMilli()
	idGen.Lock()
	defer idGen.Unlock()
	switch {
	case ms > idGen.ms:
		idGen.ms = ms
		idGen.seq = randomUint16() & 0x7fff
	case idGen.seq == 0xffff:
		// This millisecond is used up: borrow the next one.
		idGen.ms++
		idGen.seq = 0
	default:
		idGen.seq++
	}
	return idGen.ms<<16 | int64(idGen.seq)
}

// IDAt returns an ID for something created at t elsewhere (a remote post
// keeps its publication time in its ID, so it sorts where it belongs). Many
// servers send times to the second, so a time without milliseconds gets
// random ones: posts of the same second then rarely share a millisecond, and
// the low bits are random too. Callers must still handle a clash.
func IDAt(t time.Time) int64 {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		ms += int64(randomUint16() % 1000)
	}
	return ms<<16 | int64(randomUint16())
}

func randomUint16() uint16 {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint16(b[:])
}

// IDTime returns the moment encoded in id.
func IDTime(id int64) time.Time { return time.UnixMilli(id >> 16) }
