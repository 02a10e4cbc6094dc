package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// parallel runs do(i) for every i below count on workers goroutines. It
// stops handing out work at the first error and returns that error.
func parallel(ctx context.Context, count, workers int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for w := 0; w < min(max(workers, 1), max(count, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				if err := do(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

// simActor names one actor of the simulated network.
type simActor struct {
	s    *simServer
	name string
}

func (n *simNet) allActors() []simActor {
	var out []simActor
	for _, s := range n.servers {
		for _, name := range s.actors {
			out = append(out, simActor{s, name})
		}
	}
	return out
}

// followTarget makes every simulated actor follow target, a signed Follow
// each, and waits until the server has accepted them all.
func (c *common) followTarget(ctx context.Context, n *simNet, target *remoteActor, concurrency int, limit time.Duration) error {
	actors := n.allActors()
	ids := make([]string, len(actors))
	c.logf("%d simulated actors on %d servers follow @%s", len(actors), len(n.servers), target.PreferredUsername)
	bar := c.progress("follows", len(actors))
	err := parallel(ctx, len(actors), concurrency, func(ctx context.Context, i int) error {
		id, err := actors[i].s.follow(ctx, actors[i].name, target)
		if err != nil {
			return fmt.Errorf("follow from %s: %w", actors[i].s.actorURL(actors[i].name), err)
		}
		ids[i] = id
		bar.Add(1)
		return nil
	})
	bar.Finish()
	if err != nil {
		return err
	}
	accepted := func() int {
		k := 0
		for i, a := range actors {
			if a.s.isAccepted(ids[i]) {
				k++
			}
		}
		return k
	}
	if !n.waitFor(ctx, limit, func() bool { return accepted() == len(actors) }) {
		return fmt.Errorf("the server accepted %d of %d follows within %v (is @%s locked?)", accepted(), len(actors), limit, target.PreferredUsername)
	}
	return nil
}
