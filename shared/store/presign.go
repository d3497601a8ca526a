package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Presigner signs GET URLs for objects of one bucket with AWS Signature
// Version 4 in the query string. It computes exactly what the SDK's
// s3.PresignClient computes (a test compares them), without the SDK's
// middleware stack: the skill signs one URL per request and its warm path
// has a budget of a few microseconds.
type Presigner struct {
	creds    aws.CredentialsProvider
	region   string
	bucket   string
	host     string // virtual-hosted: bucket.s3.region.amazonaws.com; path-style: endpoint host
	signHost string // host without its scheme's default port, as the SDK signs it
	scheme   string
	basePath string // "" or "/bucket" for path-style
	ttl      time.Duration
	expires  string // X-Amz-Expires: ttl in seconds
	now      func() time.Time

	mu  sync.Mutex
	key signingKey
}

type signingKey struct {
	akid, secret, date string
	scope              string // date/region/s3/aws4_request
	credential         string // X-Amz-Credential's value, escaped
	ipad, opad         [sha256.BlockSize]byte
}

// PresignOptions configure a Presigner.
type PresignOptions struct {
	Region   string
	Bucket   string
	Endpoint string // AWS_ENDPOINT_URL for emulators; "" for AWS
	// PathStyle puts the bucket in the path (emulators) instead of the host.
	PathStyle bool
	TTL       time.Duration
}

// NewPresigner returns a signer for opt.Bucket.
func NewPresigner(creds aws.CredentialsProvider, opt PresignOptions) (*Presigner, error) {
	if opt.TTL <= 0 || opt.TTL > 7*24*time.Hour {
		return nil, fmt.Errorf("URL lifetime %v: want more than 0 and at most 7 days", opt.TTL)
	}
	p := &Presigner{creds: creds, region: opt.Region, bucket: opt.Bucket, ttl: opt.TTL, now: time.Now, scheme: "https",
		expires: strconv.FormatInt(int64(opt.TTL/time.Second), 10)}
	host := "s3." + opt.Region + ".amazonaws.com"
	if opt.Endpoint != "" {
		u, err := url.Parse(opt.Endpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q is not a URL", opt.Endpoint)
		}
		p.scheme, host = u.Scheme, u.Host
	}
	if opt.PathStyle {
		p.host, p.basePath = host, "/"+opt.Bucket
	} else {
		p.host = opt.Bucket + "." + host
	}
	p.signHost = p.host
	if (p.scheme == "https" && strings.HasSuffix(p.host, ":443")) || (p.scheme == "http" && strings.HasSuffix(p.host, ":80")) {
		p.signHost = p.host[:strings.LastIndexByte(p.host, ':')]
	}
	return p, nil
}

// TTL is how long signed URLs last.
func (p *Presigner) TTL() time.Duration { return p.ttl }

// Sign returns a presigned GET URL for key.
//
// It is on the skill's warm path, so it builds the URL, the canonical
// request and the string to sign in buffers on the stack and computes the
// HMAC by hand from the cached signing key's padded blocks: one allocation,
// the URL itself.
func (p *Presigner) Sign(ctx context.Context, key string) (string, error) {
	c, err := p.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("sign %s: credentials: %w", key, err)
	}
	var stampBuf [16]byte
	stamp := p.now().UTC().AppendFormat(stampBuf[:0], "20060102T150405Z")
	k := p.signingKey(c, stamp[:8])

	// The URL: scheme://host/path?query, the query already in canonical
	// (sorted) order; the signature is appended last.
	var urlBuf [1024]byte
	u := append(urlBuf[:0], p.scheme...)
	u = append(u, "://"...)
	u = append(u, p.host...)
	pathStart := len(u)
	u = append(u, p.basePath...)
	u = append(u, '/')
	u = appendURIEncode(u, key, true)
	pathEnd := len(u)
	u = append(u, "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="...)
	u = append(u, k.credential...)
	u = append(u, "&X-Amz-Date="...)
	u = append(u, stamp...)
	u = append(u, "&X-Amz-Expires="...)
	u = append(u, p.expires...)
	if c.SessionToken != "" {
		u = append(u, "&X-Amz-Security-Token="...)
		u = appendURIEncode(u, c.SessionToken, false)
	}
	u = append(u, "&X-Amz-SignedHeaders=host&x-id=GetObject"...)
	query := u[pathEnd+1:]

	var creqBuf [1024]byte
	cr := append(creqBuf[:0], "GET\n"...)
	cr = append(cr, u[pathStart:pathEnd]...)
	cr = append(cr, '\n')
	cr = append(cr, query...)
	cr = append(cr, "\nhost:"...)
	cr = append(cr, p.signHost...)
	cr = append(cr, "\n\nhost\nUNSIGNED-PAYLOAD"...)
	creq := sha256.Sum256(cr)

	// HMAC-SHA256(key, stringToSign) = H(key^opad || H(key^ipad || stringToSign)).
	var stsBuf [256]byte
	sts := append(stsBuf[:0], k.ipad[:]...)
	sts = append(sts, "AWS4-HMAC-SHA256\n"...)
	sts = append(sts, stamp...)
	sts = append(sts, '\n')
	sts = append(sts, k.scope...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, creq[:])
	inner := sha256.Sum256(sts)
	var outerBuf [sha256.BlockSize + sha256.Size]byte
	copy(outerBuf[:], k.opad[:])
	copy(outerBuf[sha256.BlockSize:], inner[:])
	sig := sha256.Sum256(outerBuf[:])

	u = append(u, "&X-Amz-Signature="...)
	u = hex.AppendEncode(u, sig[:])
	return string(u), nil
}

// signingKey derives (and caches per day and key) the SigV4 signing key,
// as the HMAC's padded key blocks, with the scope and the credential query
// value of that day.
func (p *Presigner) signingKey(c aws.Credentials, date []byte) signingKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := &p.key; k.date == string(date) && k.akid == c.AccessKeyID && k.secret == c.SecretAccessKey {
		return *k
	}
	h := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	d := string(date)
	key := h(h(h(h([]byte("AWS4"+c.SecretAccessKey), d), p.region), "s3"), "aws4_request")
	k := signingKey{akid: c.AccessKeyID, secret: c.SecretAccessKey, date: d}
	k.scope = d + "/" + p.region + "/s3/aws4_request"
	k.credential = escape(c.AccessKeyID + "/" + k.scope)
	for i := range k.ipad {
		var b byte
		if i < len(key) {
			b = key[i]
		}
		k.ipad[i], k.opad[i] = b^0x36, b^0x5c
	}
	p.key = k
	return k
}

// escape is SigV4's URI encoding: everything but unreserved characters.
func escape(s string) string { return uriEncode(s, false) }

func uriEncode(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			return string(appendURIEncode(make([]byte, 0, len(s)*3), s, keepSlash))
		}
	}
	return s
}

// appendURIEncode appends s to b with SigV4's URI encoding.
func appendURIEncode(b []byte, s string, keepSlash bool) []byte {
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexdigits[c>>4], hexdigits[c&15])
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
