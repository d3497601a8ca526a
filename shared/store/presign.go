package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Presigner signs GET URLs for objects of one bucket with AWS Signature
// Version 4 in the query string: the URLs s3.PresignClient's
// PresignGetObject gives for the same client, byte for byte.
//
// The skill signs one URL per request, and the SDK's presigner costs about
// 55 µs and 330 allocations a call, more than the warm path's whole budget
// (BenchmarkPresign). So the presigner has a fast path of its own, without
// the SDK's middleware stack, used only for a configuration it has proved
// identical to the SDK on: at construction it asks the SDK (with stand-in
// credentials and a fixed clock) for URLs of awkward keys, takes the scheme,
// host, path prefix and signing scope from them (so the endpoint, partition,
// addressing style, dual-stack and FIPS choices are the SDK's), and compares
// its own URLs with the SDK's byte for byte. Any difference, and anything
// it does not model (anonymous credentials, access point ARNs, directory
// buckets, an empty key), leaves signing to the SDK.
type Presigner struct {
	creds  aws.CredentialsProvider
	bucket string
	ttl    time.Duration
	now    func() time.Time
	sdk    *s3.PresignClient // signs whatever the fast path does not
	fast   bool              // the fast path is proved for this configuration

	// The fast path's template, taken from the SDK's URLs.
	scheme   string
	host     string // as in the URL, port included
	signHost string // host without its scheme's default port, as the SDK signs it
	basePath string // escaped path before "/key": "" or "/bucket" (path style), or an endpoint's path
	region   string // of the credential scope
	service  string // of the credential scope: "s3"
	checksum bool   // X-Amz-Checksum-Mode=ENABLED (ResponseChecksumValidation when_supported, as config.LoadDefaultConfig sets it)
	expires  string // X-Amz-Expires: ttl in seconds

	mu  sync.Mutex
	key signingKey
}

type signingKey struct {
	akid, secret, date string
	scope              string // date/region/service/aws4_request
	credential         string // X-Amz-Credential's value, escaped
	ipad, opad         [sha256.BlockSize]byte
}

// NewPresigner returns a signer of GET URLs for bucket's objects, valid for
// ttl (1 s to 7 days), with client's configuration: its credentials,
// region, endpoint (BaseEndpoint, AWS_ENDPOINT_URL_S3), addressing style,
// dual-stack and FIPS settings. It fails when the SDK cannot presign for
// that configuration.
func NewPresigner(client *s3.Client, bucket string, ttl time.Duration) (*Presigner, error) {
	if ttl < time.Second || ttl > 7*24*time.Hour {
		return nil, fmt.Errorf("URL lifetime %v: want at least 1s and at most 7 days", ttl)
	}
	opts := client.Options()
	p := &Presigner{creds: opts.Credentials, bucket: bucket, ttl: ttl, now: time.Now,
		expires: strconv.FormatInt(int64(ttl/time.Second), 10)}
	p.sdk = presignClient(client, ttl, func() time.Time { return p.now() })
	if err := p.prove(client); err != nil {
		return nil, err
	}
	return p, nil
}

// presignClient is the SDK's presigner for client, with the SDK's default
// signer reading the time from now.
func presignClient(client *s3.Client, ttl time.Duration, now func() time.Time) *s3.PresignClient {
	opts := client.Options()
	signer := v4.NewSigner(func(so *v4.SignerOptions) { // as s3.NewPresignClient's default
		so.Logger = opts.Logger
		so.LogSigning = opts.ClientLogMode.IsSigning()
		so.DisableURIPathEscaping = true
	})
	return s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.Expires = ttl
		o.Presigner = clockSigner{signer, now}
	})
}

// clockSigner is an SDK SigV4 presigner whose signing time comes from now.
type clockSigner struct {
	*v4.Signer
	now func() time.Time
}

// PresignHTTP signs r at c.now().
func (c clockSigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return c.Signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, c.now(), optFns...)
}

// proveKeys are the keys the fast path must sign exactly as the SDK does
// before it is used; FuzzPresign compares the two over any key.
var proveKeys = []string{
	"a.mp3", "folder/sub folder/otro+chiste.mp3", "ñandú/canción.MP3", "100%.mp3", "what?#&=;,.mp3",
	`quote"'~._-.mp3`, "emoji 😀 (1) [2] {3} @$!*.mp3", "tab\tnl\n.mp3", "/lead//double/", "./x/../y", "\xff\xfe",
}

// prove decides whether the fast path is used: it takes the template from
// the SDK's URLs and compares, with stand-in credentials and a fixed clock.
func (p *Presigner) prove(client *s3.Client) error {
	c := p.creds
	if c == nil || aws.IsCredentialsProvider(c, aws.AnonymousCredentials{}) ||
		strings.HasPrefix(p.bucket, "arn:") || strings.HasSuffix(p.bucket, "--x-s3") || strings.HasSuffix(p.bucket, "--xa-s3") {
		return nil
	}
	at := time.Date(2026, 11, 23, 14, 49, 56, 0, time.UTC)
	standIns := []aws.Credentials{
		{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Source: "jokebox"},
		{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+abc/def==", Source: "jokebox"},
	}
	ctx := context.Background()
	for i, creds := range standIns {
		probe := presignClient(s3.New(client.Options(), func(o *s3.Options) {
			o.Credentials = credentials.StaticCredentialsProvider{Value: creds}
		}), p.ttl, func() time.Time { return at })
		for j, key := range proveKeys {
			r, err := probe.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &p.bucket, Key: &key})
			if err != nil {
				return fmt.Errorf("presign for bucket %s: %w", p.bucket, err)
			}
			if i == 0 && j == 0 && !p.template(r.URL, key) {
				return nil
			}
			if p.sign(creds, at, key) != r.URL {
				return nil
			}
		}
	}
	p.fast = true
	return nil
}

// template takes the fast path's parts from a URL the SDK presigned for
// key, and reports whether it has the shape the fast path builds.
func (p *Presigner) template(raw, key string) bool {
	scheme, rest, ok := strings.Cut(raw, "://")
	slash := strings.IndexByte(rest, '/')
	question := strings.IndexByte(rest, '?')
	if !ok || slash < 0 || question < slash {
		return false
	}
	path, tail := rest[slash:question], string(appendURIEncode([]byte{'/'}, key, true))
	query, err := url.ParseQuery(rest[question+1:])
	if err != nil || !strings.HasSuffix(path, tail) || query.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return false
	}
	scope := strings.Split(query.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return false
	}
	p.scheme, p.host, p.basePath = scheme, rest[:slash], strings.TrimSuffix(path, tail)
	p.region, p.service = scope[2], scope[3]
	p.checksum = query.Get("X-Amz-Checksum-Mode") == "ENABLED"
	p.signHost = p.host
	if (p.scheme == "https" && strings.HasSuffix(p.host, ":443")) || (p.scheme == "http" && strings.HasSuffix(p.host, ":80")) {
		p.signHost = p.host[:strings.LastIndexByte(p.host, ':')]
	}
	return true
}

// TTL is how long signed URLs last.
func (p *Presigner) TTL() time.Duration { return p.ttl }

// Sign returns a presigned GET URL for key.
func (p *Presigner) Sign(ctx context.Context, key string) (string, error) {
	if !p.fast || key == "" {
		r, err := p.sdk.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &p.bucket, Key: aws.String(key)}) // not &key: it would move key to the heap on the fast path too
		if err != nil {
			return "", fmt.Errorf("sign %s: %w", key, err)
		}
		return r.URL, nil
	}
	c, err := p.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("sign %s: credentials: %w", key, err)
	}
	return p.sign(c, p.now(), key), nil
}

// sign is the fast path. It is on the skill's warm path, so it builds the
// URL, the canonical request and the string to sign in buffers on the
// stack and computes the HMAC by hand from the cached signing key's padded
// blocks: one allocation, the URL itself.
func (p *Presigner) sign(c aws.Credentials, now time.Time, key string) string {
	var stampBuf [16]byte
	stamp := now.UTC().AppendFormat(stampBuf[:0], "20060102T150405Z")
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
	u = append(u, "?X-Amz-Algorithm=AWS4-HMAC-SHA256"...)
	if p.checksum {
		u = append(u, "&X-Amz-Checksum-Mode=ENABLED"...)
	}
	u = append(u, "&X-Amz-Credential="...)
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
	return string(u)
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
	key := h(h(h(h([]byte("AWS4"+c.SecretAccessKey), d), p.region), p.service), "aws4_request")
	k := signingKey{akid: c.AccessKeyID, secret: c.SecretAccessKey, date: d}
	k.scope = d + "/" + p.region + "/" + p.service + "/aws4_request"
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
