package social

import (
	"net"
	"strings"
)

// ClientAddress is the address a request came from, for rate limits and
// audit: from a peer on a loopback or private address (a TLS proxy in
// front of Rounds) it is the last X-Forwarded-For entry, the one the proxy
// added; from any other peer it is the peer itself, since a client could
// forge the header.
func ClientAddress(remoteAddr, forwardedFor string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && (ip.IsLoopback() || ip.IsPrivate()) && forwardedFor != "" {
		parts := strings.Split(forwardedFor, ",")
		if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
			return last
		}
	}
	return host
}
