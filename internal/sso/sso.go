// Package sso is leakdesk's OpenID Connect relying party: the authorization code flow with PKCE,
// state and nonce, against one identity provider (Entra ID, Google Workspace, HENNGE, Okta…).
// It speaks HTTP to the provider (go-oidc, x/oauth2) but knows nothing of leakdesk's pages, users or
// database: it turns a callback into a verified Identity, and the web layer decides who that is.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is what an administrator sets (LEAKDESK_OIDC_*).
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string   // LEAKDESK_BASE_URL + CallbackPath
	Scopes       []string // besides openid; default email, profile
	GroupsClaim  string   // the ID token claim holding group ids or names; default "groups"
	HTTPClient   *http.Client
	Now          func() time.Time // the verifier's clock; time.Now when nil
}

// CallbackPath is the redirect URI's path, registered at the provider.
const CallbackPath = "/login/oidc/callback"

// The ways a login can fail. The web layer records which one in the login log and shows the user a
// single message for all of them.
var (
	ErrDiscovery = errors.New("sso: provider unreachable")     // discovery failed: the IdP is down or misconfigured
	ErrExchange  = errors.New("sso: code refused")             // the token endpoint refused the code (replayed, expired, wrong verifier)
	ErrToken     = errors.New("sso: id token invalid")         // signature, issuer, audience, expiry
	ErrExpired   = errors.New("sso: id token expired")         // a special case of ErrToken, told apart in the log
	ErrNonce     = errors.New("sso: nonce mismatch")           // the ID token was minted for another login
	ErrClaims    = errors.New("sso: id token lacks a subject") // a token without the claims a login needs
)

// Provider is one configured identity provider. Discovery runs on first use and is kept, so a
// provider that is down at start-up does not stop leakdesk (password logins keep working).
type Provider struct {
	cfg Config

	mu         sync.Mutex
	op         *oidc.Provider
	endSession string
}

// New returns a provider; nothing is fetched yet.
func New(cfg Config) *Provider {
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"email", "profile"}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Provider{cfg: cfg}
}

// Issuer is the configured issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

func (p *Provider) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.op != nil {
		return p.op, nil
	}
	op, err := oidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDiscovery, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&extra); err == nil {
		p.endSession = extra.EndSession
	}
	p.op = op
	return op, nil
}

func (p *Provider) oauth(op *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     op.Endpoint(),
		RedirectURL:  p.cfg.RedirectURL,
		Scopes:       append([]string{oidc.ScopeOpenID}, p.cfg.Scopes...),
	}
}

// Start is one login's secrets, kept in the browser's session until the callback.
type Start struct {
	State    string // echoed by the provider: binds the callback to this browser
	Nonce    string // carried inside the ID token: binds the token to this login
	Verifier string // PKCE: only this session can redeem the code
	URL      string // where to send the browser
}

// Begin makes a login's state, nonce and PKCE verifier and the authorization URL.
func (p *Provider) Begin(ctx context.Context) (Start, error) {
	op, err := p.discover(ctx)
	if err != nil {
		return Start{}, err
	}
	st := Start{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	st.URL = p.oauth(op).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

// Identity is what a verified ID token says about the person.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified *bool // nil when the provider sends no email_verified claim (Entra ID)
	Name          string
	Groups        []string
	AMR           []string // how the provider authenticated them (RFC 8176: pwd, mfa, otp, hwk…)
	ACR           string
	IDToken       string // the raw token, kept as the logout hint
}

// Finish redeems the code with the verifier and checks the ID token: signature, issuer, audience,
// expiry (go-oidc) and the nonce. Errors wrap one of the Err values above.
func (p *Provider) Finish(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	op, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := p.oauth(op).Exchange(p.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", ErrToken)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now}).Verify(p.ctx(ctx), raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return Identity{}, fmt.Errorf("%w: %v", ErrExpired, err)
		}
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if nonce == "" || idt.Nonce != nonce {
		return Identity{}, ErrNonce
	}
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, IDToken: raw}
	if id.Subject == "" {
		return Identity{}, ErrClaims
	}
	id.Email, _ = c["email"].(string)
	if id.Email == "" {
		// Entra ID carries the sign-in address in preferred_username when no email claim is set up.
		if pu, _ := c["preferred_username"].(string); strings.Contains(pu, "@") {
			id.Email = pu
		}
	}
	if v, ok := c["email_verified"].(bool); ok {
		id.EmailVerified = &v
	}
	id.Name, _ = c["name"].(string)
	id.Groups = strings1(c[p.cfg.GroupsClaim])
	id.AMR = strings1(c["amr"])
	id.ACR, _ = c["acr"].(string)
	return id, nil
}

// EndSessionURL is the provider's logout address (RP-initiated logout) returning to back, or ""
// when the provider has no end_session_endpoint (Google) or discovery has not run.
func (p *Provider) EndSessionURL(idToken, back string) string {
	p.mu.Lock()
	es := p.endSession
	p.mu.Unlock()
	if es == "" {
		return ""
	}
	u, err := url.Parse(es)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", p.cfg.ClientID)
	q.Set("post_logout_redirect_uri", back)
	u.RawQuery = q.Encode()
	return u.String()
}

// Origins are the provider's web origins the browser is sent to (authorization and end-session
// endpoints): a form that redirects there needs them in the page's CSP form-action.
func (p *Provider) Origins() []string {
	out := []string{origin(p.cfg.Issuer)}
	p.mu.Lock()
	if p.op != nil {
		out = append(out, origin(p.op.Endpoint().AuthURL))
	}
	out = append(out, origin(p.endSession))
	p.mu.Unlock()
	slices.Sort(out)
	return slices.DeleteFunc(slices.Compact(out), func(s string) bool { return s == "" })
}

func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// strings1 reads a claim that is a string or a list of strings.
func strings1(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux (Go 1.24+ crashes instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
