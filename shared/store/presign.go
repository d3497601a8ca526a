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
	now      func() time.Time

	mu  sync.Mutex
	key signingKey
}

type signingKey struct {
	akid, secret, date string
	key                []byte
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
	p := &Presigner{creds: creds, region: opt.Region, bucket: opt.Bucket, ttl: opt.TTL, now: time.Now, scheme: "https"}
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
func (p *Presigner) Sign(ctx context.Context, key string) (string, error) {
	c, err := p.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("sign %s: credentials: %w", key, err)
	}
	now := p.now().UTC()
	stamp := now.Format("20060102T150405Z")
	date := stamp[:8]
	scope := date + "/" + p.region + "/s3/aws4_request"

	path := p.basePath + "/" + escapePath(key)
	q := make([]string, 0, 7) // already in canonical (sorted) order
	q = append(q,
		"X-Amz-Algorithm=AWS4-HMAC-SHA256",
		"X-Amz-Credential="+escape(c.AccessKeyID+"/"+scope),
		"X-Amz-Date="+stamp,
		"X-Amz-Expires="+strconv.FormatInt(int64(p.ttl/time.Second), 10),
	)
	if c.SessionToken != "" {
		q = append(q, "X-Amz-Security-Token="+escape(c.SessionToken))
	}
	q = append(q, "X-Amz-SignedHeaders=host", "x-id=GetObject")
	query := strings.Join(q, "&")

	var sb strings.Builder
	sb.Grow(len(path) + len(query) + len(p.host) + 128)
	sb.WriteString("GET\n")
	sb.WriteString(path)
	sb.WriteString("\n")
	sb.WriteString(query)
	sb.WriteString("\nhost:")
	sb.WriteString(p.signHost)
	sb.WriteString("\n\nhost\nUNSIGNED-PAYLOAD")
	creq := sha256.Sum256([]byte(sb.String()))

	sb.Reset()
	sb.WriteString("AWS4-HMAC-SHA256\n")
	sb.WriteString(stamp)
	sb.WriteString("\n")
	sb.WriteString(scope)
	sb.WriteString("\n")
	var hexbuf [64]byte
	hex.Encode(hexbuf[:], creq[:])
	sb.Write(hexbuf[:])
	mac := hmac.New(sha256.New, p.signingKey(c, date))
	mac.Write([]byte(sb.String()))
	var sig [32]byte
	hex.Encode(hexbuf[:], mac.Sum(sig[:0]))

	sb.Reset()
	sb.WriteString(p.scheme)
	sb.WriteString("://")
	sb.WriteString(p.host)
	sb.WriteString(path)
	sb.WriteString("?")
	sb.WriteString(query)
	sb.WriteString("&X-Amz-Signature=")
	sb.Write(hexbuf[:])
	return sb.String(), nil
}

// signingKey derives (and caches per day and key) the SigV4 signing key.
func (p *Presigner) signingKey(c aws.Credentials, date string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.key; k.date == date && k.akid == c.AccessKeyID && k.secret == c.SecretAccessKey {
		return k.key
	}
	h := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	k := h(h(h(h([]byte("AWS4"+c.SecretAccessKey), date), p.region), "s3"), "aws4_request")
	p.key = signingKey{akid: c.AccessKeyID, secret: c.SecretAccessKey, date: date, key: k}
	return k
}

// escape is SigV4's URI encoding: everything but unreserved characters.
func escape(s string) string { return uriEncode(s, false) }

// escapePath encodes an object key for the path, keeping its slashes.
func escapePath(s string) string { return uriEncode(s, true) }

func uriEncode(s string, keepSlash bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
