package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The ask CLI's variables, which jokebox reads under the same names: the
// Login with Amazon client and refresh token, the vendor, and the servers
// (for tests and emulators, as AWS_ENDPOINT_URL is for AWS). For the client
// secret the ask CLI reads EnvLWAClientConfirmation; EnvLWAClientSecret is
// jokebox's own name. Either works.
var (
	EnvLWAClientID           = Var{"ASK_LWA_CLIENT_ID", "Login with Amazon security profile's client ID (unset: the login file's)"}
	EnvLWAClientSecret       = Var{"ASK_LWA_CLIENT_SECRET", "its client secret (unset: the login file's)"}
	EnvLWAClientConfirmation = Var{"ASK_LWA_CLIENT_CONFIRMATION", "the ask CLI's name for ASK_LWA_CLIENT_SECRET"}
	EnvRefreshToken          = Var{"ASK_REFRESH_TOKEN", "LWA refresh token with the SMAPI scopes (unset: the login file's)"}
	EnvVendorID              = Var{"ASK_VENDOR_ID", "Alexa developer vendor ID (unset: the login file's)"}
	// EnvSMAPIURL is SMAPI's base URL; the request paths (/v1/...) are
	// appended to it.
	EnvSMAPIURL = Var{"ASK_SMAPI_SERVER_BASE_URL", "SMAPI base URL, for tests and emulators (default https://api.amazonalexa.com)"}
	// EnvLWATokenHost is Login with Amazon's token host; the path
	// LWATokenPath is appended, as the ask CLI does.
	EnvLWATokenHost = Var{"ASK_LWA_TOKEN_HOST", "LWA token host, for tests (default https://api.amazon.com)"}
	// EnvLWAAuthorizeHost is Login with Amazon's consent host; the path
	// LWAAuthorizePath is appended.
	EnvLWAAuthorizeHost = Var{"ASK_LWA_AUTHORIZE_HOST", "LWA consent page host, for tests (default https://www.amazon.com)"}
)

// ASKVars is every ASK_* variable, in the order above.
func ASKVars() []Var {
	return []Var{EnvLWAClientID, EnvLWAClientSecret, EnvLWAClientConfirmation, EnvRefreshToken, EnvVendorID,
		EnvSMAPIURL, EnvLWATokenHost, EnvLWAAuthorizeHost}
}

// The paths the ask CLI appends to the Login with Amazon hosts.
const (
	LWATokenPath     = "/auth/o2/token"
	LWAAuthorizePath = "/ap/oa"
)

// ASK is the part of the configuration that reaches SMAPI and Login with
// Amazon. Printing it never shows the secret or the refresh token.
type ASK struct {
	// ClientID, ClientSecret and RefreshToken are the LWA security
	// profile's client and a refresh token issued to it; any may be empty
	// (the login file may hold them: see MissingCredentials).
	ClientID     string
	ClientSecret string
	RefreshToken string
	// VendorID is ASK_VENDOR_ID, "" when unset.
	VendorID string
	// SMAPIURL is SMAPI's base URL, without a trailing slash; "" when
	// EnvSMAPIURL is unset: the SMAPI client's default, Amazon's.
	SMAPIURL string
	// TokenURL and AuthorizeURL are LWA's token and consent endpoints, ""
	// when their variables are unset: the clients' defaults, Amazon's.
	TokenURL     string
	AuthorizeURL string
}

// String shows what is not secret.
func (a ASK) String() string {
	hide := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	return fmt.Sprintf("{ClientID:%s ClientSecret:%s RefreshToken:%s VendorID:%s SMAPIURL:%s TokenURL:%s AuthorizeURL:%s}",
		a.ClientID, hide(a.ClientSecret), hide(a.RefreshToken), a.VendorID, a.SMAPIURL, a.TokenURL, a.AuthorizeURL)
}

// GoString is String, for %#v.
func (a ASK) GoString() string { return "config.ASK" + a.String() }

// LoadASK reads the ASK_* variables. Unset credentials are not an error
// here (see MissingCredentials); a client secret set to two different
// values, or a server that is not an HTTPS URL (plain HTTP only for a
// loopback host), is, with every problem named at once.
func LoadASK(getenv func(string) string) (ASK, error) {
	a := ASK{
		ClientID:     strings.TrimSpace(getenv(EnvLWAClientID.Name)),
		ClientSecret: getenv(EnvLWAClientSecret.Name),
		RefreshToken: getenv(EnvRefreshToken.Name),
		VendorID:     strings.TrimSpace(getenv(EnvVendorID.Name)),
	}
	var bad []string
	switch confirmation := getenv(EnvLWAClientConfirmation.Name); {
	case a.ClientSecret == "":
		a.ClientSecret = confirmation
	case confirmation != "" && confirmation != a.ClientSecret:
		bad = append(bad, fmt.Sprintf("%s and %s are both set, to different values: set one", EnvLWAClientSecret.Name, EnvLWAClientConfirmation.Name))
	}
	server := func(name string, hostOnly bool, path string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return ""
		}
		u, err := ServerURL(v, hostOnly)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s=%q: %v", name, v, err))
			return ""
		}
		return u + path
	}
	a.SMAPIURL = server(EnvSMAPIURL.Name, false, "")
	a.TokenURL = server(EnvLWATokenHost.Name, true, LWATokenPath)
	a.AuthorizeURL = server(EnvLWAAuthorizeHost.Name, true, LWAAuthorizePath)
	if len(bad) > 0 {
		return a, errors.New("configuration: " + strings.Join(bad, "; "))
	}
	return a, nil
}

// HasCredentials reports whether the environment set any credential: then
// it must set them all (see MissingCredentials), and a login file is not
// read.
func (a ASK) HasCredentials() bool {
	return a.ClientID != "" || a.ClientSecret != "" || a.RefreshToken != ""
}

// MissingCredentials names the credential variables that are unset.
func (a ASK) MissingCredentials() []string {
	var missing []string
	for _, v := range [][2]string{
		{EnvLWAClientID.Name, a.ClientID},
		{EnvLWAClientSecret.Name + " (or " + EnvLWAClientConfirmation.Name + ")", a.ClientSecret},
		{EnvRefreshToken.Name, a.RefreshToken},
	} {
		if v[1] == "" {
			missing = append(missing, v[0])
		}
	}
	return missing
}

// ServerURL checks a server's URL and returns it without a trailing slash.
// It must be https://host[:port][/path], or http:// for a loopback host
// (localhost, 127.0.0.0/8, ::1) only: tokens and the client secret are sent
// there. hostOnly refuses a path, since one would be replaced (the ask CLI
// resolves its paths against the host). User information, a query or a
// fragment are refused.
func ServerURL(v string, hostOnly bool) (string, error) {
	u, err := url.Parse(v)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.Host == "" || u.Opaque != "" {
		return "", errors.New("not an absolute URL (want https://host)")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return "", fmt.Errorf("plain http is accepted only for a loopback host (localhost, 127.0.0.1, ::1), not %q: use https", u.Hostname())
		}
	default:
		return "", fmt.Errorf("scheme %q: want https", u.Scheme)
	}
	if u.User != nil {
		return "", errors.New("user information in the URL is refused (credentials never go in URLs)")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", errors.New("a query or fragment is refused")
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if hostOnly && path != "" {
		return "", fmt.Errorf("want a host without a path (got path %q)", u.Path)
	}
	return u.Scheme + "://" + u.Host + path, nil
}

// IsLoopback reports whether host (a name or an address, without a port)
// is this machine: localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
