package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// URLError is a refused endpoint URL, with the message an administrator reads in each language.
type URLError struct{ JA, EN string }

func (e *URLError) Error() string { return e.JA + " / " + e.EN }

// URL errors.
var (
	ErrScheme  = &URLError{JA: "https でない URL です（http はループバックアドレスのみ）", EN: "the URL must be https (http only to a loopback address)"}
	ErrURL     = &URLError{JA: "URL の形式が正しくありません", EN: "the URL is malformed"}
	ErrPrivate = &URLError{JA: "社内・プライベートアドレスへの送信は許可されていません", EN: "private and internal addresses are refused unless allowed"}
)

// CheckURL checks an endpoint URL as registered: absolute, https (or http to a loopback address),
// no user info, and — when host is an IP literal or localhost — not an internal address (loopback
// included: services on the app's own host) unless allowPrivate.
// Host names are checked again on every connection (Dialer), on the addresses they resolve to.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || len(raw) > 2000 {
		return ErrURL
	}
	host := u.Hostname()
	ip, isIP := netip.ParseAddr(host)
	loopback := (isIP == nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost")
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback {
			return ErrScheme
		}
	default:
		return ErrScheme
	}
	if !allowPrivate && (loopback || (isIP == nil && internal(ip))) {
		return ErrPrivate
	}
	return nil
}

// internal reports whether ip is an address no outside service lives at: private (RFC 1918, ULA),
// link-local (cloud metadata), unspecified, multicast, CGNAT, benchmark and documentation ranges.
// and loopback (the app's own host).
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 internals
}

// dialControl refuses, at connect time, an address the endpoint may not reach: the address a host
// name resolved to is checked here, after resolution, so a name that re-resolves to an internal
// address (DNS rebinding) is refused too.
func dialControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: %w", address, ErrURL)
		}
		if !allowPrivate && internal(ap.Addr()) {
			return fmt.Errorf("webhook: dial %s: %w", address, ErrPrivate)
		}
		return nil
	}
}

// dialer returns the DialContext of an endpoint's HTTP transport.
func dialer(allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Control: dialControl(allowPrivate)}
	return d.DialContext
}
