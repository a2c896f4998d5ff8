package web

import (
	"fmt"
	"net"
	"net/http"

	"github.com/realclientip/realclientip-go"
)

// The real client address behind the TLS proxy (issue 18): login limits count failures per
// client address, and behind a proxy RemoteAddr is the proxy's — one address for the whole company.
// X-Forwarded-For (then Forwarded) is believed only when the peer itself is a configured trusted
// proxy (LEAKDESK_TRUSTED_PROXIES), and then read from the right: the rightmost address that is not
// a trusted proxy is the client (anything to its left may be forged by the client).

// clientIPs picks the client address of a request.
type clientIPs struct {
	trusted []net.IPNet
	headers realclientip.Strategy // nil without trusted proxies
}

func newClientIPs(proxies []string) (*clientIPs, error) {
	c := &clientIPs{}
	if len(proxies) == 0 {
		return c, nil
	}
	nets, err := realclientip.AddressesAndRangesToIPNets(proxies...)
	if err != nil {
		return nil, fmt.Errorf("LEAKDESK_TRUSTED_PROXIES: %w", err)
	}
	xff, err := realclientip.NewRightmostTrustedRangeStrategy("X-Forwarded-For", nets)
	if err != nil {
		return nil, err
	}
	fwd, err := realclientip.NewRightmostTrustedRangeStrategy("Forwarded", nets)
	if err != nil {
		return nil, err
	}
	c.trusted, c.headers = nets, realclientip.NewChainStrategy(xff, fwd)
	return c, nil
}

// of returns the client address of r.
func (c *clientIPs) of(r *http.Request) string {
	peer := realclientip.RemoteAddrStrategy{}.ClientIP(nil, r.RemoteAddr)
	if peer == "" {
		peer = r.RemoteAddr
	}
	if c == nil || c.headers == nil {
		return peer
	}
	ip := net.ParseIP(peer)
	trustedPeer := false
	for _, n := range c.trusted {
		if ip != nil && n.Contains(ip) {
			trustedPeer = true
			break
		}
	}
	if !trustedPeer {
		return peer
	}
	if client := c.headers.ClientIP(r.Header, r.RemoteAddr); client != "" {
		return client
	}
	return peer
}
