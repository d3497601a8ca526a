package verify

import (
	"errors"
	"net/url"
	"path"
	"strings"
)

// Where Amazon keeps the certificate chains that sign Alexa requests.
const (
	certHost       = "s3.amazonaws.com"
	certPathPrefix = "/echo.api/"
	maxCertURL     = 2048
)

// CanonicalCertURL checks a SignatureCertChainUrl header and returns the one
// URL jokebox fetches for it: "https://s3.amazonaws.com" followed by the
// cleaned path. The chain is fetched from, and cached under, that canonical
// form, never the raw header, so what is checked is what is fetched.
//
// Amazon's rules, as written: scheme https (any case), host
// s3.amazonaws.com (any case), port 443 if one is given, and a path that
// starts with /echo.api/ (exact case) once "." and ".." segments are
// resolved. Beyond them, to leave no room for parser differences, the URL
// must:
//
//   - be at most 2048 bytes of printable ASCII with no spaces, '%' (no
//     percent-encoding at all: "%2e%2e", "%2F" and encoded host names are
//     refused, not decoded) or '\';
//   - have no user information, no query and no fragment (not even an
//     empty "?" or "#"), and not be opaque ("https:s3.amazonaws.com/…");
//   - name the port, if at all, as exactly "443" (not ":" alone or "0443");
//   - have a path made only of '/' and the unreserved characters
//     A–Z a–z 0–9 - . _ ~;
//   - still name a file below /echo.api/ after cleaning (/echo.api/ alone,
//     or /echo.api/.. are refused). Repeated slashes collapse as in
//     path.Clean, and ".." above the root stays at the root, as in RFC 3986.
func CanonicalCertURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty")
	}
	if len(raw) > maxCertURL {
		return "", errors.New("too long")
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '%' || c == '\\' || c == '?' || c == '#' {
			return "", errors.New("forbidden character")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("unparsable")
	}
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return "", errors.New("scheme is not https")
	case u.Opaque != "":
		return "", errors.New("opaque URL")
	case u.User != nil:
		return "", errors.New("user information")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", errors.New("query or fragment")
	case !strings.EqualFold(u.Hostname(), certHost):
		return "", errors.New("host is not " + certHost)
	case u.Port() != "" && u.Port() != "443":
		return "", errors.New("port is not 443")
	case strings.HasSuffix(u.Host, ":"):
		return "", errors.New("empty port")
	case u.RawPath != "" || !strings.HasPrefix(u.Path, "/"):
		return "", errors.New("bad path")
	}
	for i := 0; i < len(u.Path); i++ {
		if !pathChar(u.Path[i]) {
			return "", errors.New("forbidden character in path")
		}
	}
	p := path.Clean(u.Path)
	if !strings.HasPrefix(p, certPathPrefix) || len(p) == len(certPathPrefix) {
		return "", errors.New("path is not below " + certPathPrefix)
	}
	return "https://" + certHost + p, nil
}

// pathChar reports whether c may appear in a certificate URL's path: '/' or
// an RFC 3986 unreserved character.
func pathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("/-._~", c) >= 0
}
