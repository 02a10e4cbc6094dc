package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// With --rounds BINARY, rounds-bench sets up the Rounds it measures by
// itself: a new SQLite database in a temporary directory (or the empty
// database --rounds-database names), the send delay off, the server started
// on a free loopback port allowed to reach the simulated servers, and
// accounts made with the binary's admin command. So one command measures a
// Rounds build, and nothing is left behind.

// roundsPassword is the password of the accounts made with --rounds.
const roundsPassword = "long-password-1"

// setUpRounds prepares the database and fills in the flags that describe
// the server; the returned function removes what it made.
func (c *common) setUpRounds(ctx context.Context) (func(), error) {
	bin, err := filepath.Abs(c.rounds)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return nil, fmt.Errorf("--rounds %s: not a program (build one with: go build -o rounds ./cmd/rounds)", c.rounds)
	}
	dir, err := os.MkdirTemp("", "rounds-bench-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	db := c.roundsDatabase
	if db == "" {
		db = "sqlite:" + filepath.Join(dir, "rounds.db")
	}
	where := []string{"--database", db, "--domain", addr, "--protocol", "http", "--log-level", "warn"}
	for _, args := range [][]string{
		append([]string{"migrate"}, where...),
		append([]string{"admin", "settings", "set", "send-delay", "0s"}, where...),
	} {
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("%s %s: %v\n%s", c.rounds, strings.Join(args[:min(len(args), 2)], " "), err, out)
		}
	}
	q := shellQuote
	whereFlags := fmt.Sprintf("--database %s --domain %s --protocol http", q(db), addr)
	c.serverCmd = fmt.Sprintf("%s serve --listen %s %s --data-dir %s --allow-private-addresses 127.0.0.0/8 --log-level warn",
		q(bin), addr, whereFlags, q(dir))
	c.target, c.domain = "http://"+addr, addr
	c.readyURL = c.target + "/healthz"
	c.createAccount = fmt.Sprintf("%s admin account create --username {username} --password {password} %s --log-level warn", q(bin), whereFlags)
	if c.password == "" {
		c.password = roundsPassword
	}
	c.logf("Rounds from %s on %s, database %s", c.rounds, c.target, db)
	return cleanup, nil
}
