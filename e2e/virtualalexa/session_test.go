// Package virtualalexa_test drives `jokebox serve` with virtual-alexa, the
// Alexa simulator published on npm, through a scripted session in en-US and
// es-ES built from the skill's interaction models (session.js). Amazon's
// tools are the oracle here: anything virtual-alexa rejects or reports
// fails the test.
package virtualalexa_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox"
	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/internal/proc"
	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/index"
)

// appID is the skill ID virtual-alexa sends and serve requires.
const appID = "amzn1.ask.skill.virtual-alexa-0000-4000-8000-000000000001"

const bucket = "jokebox-virtual-alexa"

// locales are the ones the session runs in.
var locales = []string{"en-US", "es-ES"}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jokebox test moto"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "moto.pem"), filepath.Join(dir, "moto.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestVirtualAlexaSession starts the skill on the sample library (see
// startSkill) and runs session.js with node.
func TestVirtualAlexaSession(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server, jokebox serve and node; skipped with -short")
	}
	root := repoRoot(t)
	node := needNode(t, root)
	ctx := t.Context()
	sample, err := jokebox.Sample()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	folders := map[string]bool{}
	err = fs.WalkDir(sample, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sample, p)
		if err != nil {
			return err
		}
		folders[strings.SplitN(p, "/", 2)[0]] = true
		files[p] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := startSkill(t, files)

	var names []string
	for f := range folders {
		names = append(names, f)
	}
	sort.Strings(names)
	script := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "virtualalexa", "session.js"))
	script.Dir = root
	script.Env = append(os.Environ(),
		"JOKEBOX_SKILL_URL=http://"+addr+"/alexa",
		"JOKEBOX_APP_ID="+appID,
		"JOKEBOX_MODELS="+filepath.Join(root, "skill-package", "interactionModels", "custom"),
		"JOKEBOX_LOCALES="+strings.Join(locales, ","),
		"JOKEBOX_FOLDERS="+strings.Join(names, ","),
	)
	out, err := script.CombinedOutput()
	t.Logf("session.js:\n%s", out)
	if err != nil {
		t.Fatalf("virtual-alexa session failed: %v", err)
	}
}

// needNode checks that node and the pinned virtual-alexa are installed.
func needNode(t *testing.T, root string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, "node_modules", "virtual-alexa", "package.json")); err != nil {
		t.Fatalf("virtual-alexa is not installed: run `npm ci` in %s (%v)", root, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found: install Node.js (npm ci needs it too): %v", err)
	}
	return node
}

// startSkill starts moto_server over HTTPS (virtual-alexa refuses http://
// stream URLs, and the presigned URLs point at the S3 endpoint), uploads
// files (key → bytes) and indexes them as the indexer does in production,
// builds the jokebox binary and starts its `serve --insecure-skip-verify`
// on loopback with that endpoint. It returns serve's address; everything
// stops when the test ends.
func startSkill(t *testing.T, files map[string][]byte) (addr string) {
	t.Helper()
	root := repoRoot(t)
	ctx := t.Context()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var motoLog bytes.Buffer
	moto, err := motoserver.LaunchTLS(ctx, &motoLog, motoserver.TLS{CertFile: certFile, KeyFile: keyFile, Client: client})
	if err != nil {
		t.Fatalf("%v\n%s", err, motoLog.String())
	}
	t.Cleanup(moto.Close)

	awsCfg := motoserver.Config(moto.URL)
	awsCfg.HTTPClient = client
	cfg := config.Config{Bucket: bucket, PathStyle: true, Endpoint: moto.URL, Region: motoserver.Region, URLTTL: time.Hour, ManifestTTL: time.Minute}
	a := app.FromAWS(cfg, awsCfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if _, err := a.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	// The listeners table, as serverless.yml declares it: serve uses it as
	// the Lambda function does.
	table := motoserver.ListenersTable(t, motoserver.DynamoDB(awsCfg), "jokebox-virtual-alexa-listeners")
	for key, b := range files {
		if _, err := a.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := a.Indexer().Reconcile(ctx, index.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) == 0 {
		t.Fatalf("the uploaded library indexed to nothing (%d rejected)", len(m.Rejected))
	}

	// The real binary, as an owner runs it.
	bin := filepath.Join(dir, "jokebox")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jokebox")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	serveCtx, stop := context.WithCancel(ctx)
	serve := exec.CommandContext(serveCtx, bin, "serve", "--insecure-skip-verify", "--addr", addr)
	serve.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"JOKEBOX_BUCKET=" + bucket, "JOKEBOX_S3_PATH_STYLE=true", "JOKEBOX_SKILL_ID=" + appID,
		"JOKEBOX_CONTINUOUS=true", "AWS_CA_BUNDLE=" + certFile, "JOKEBOX_LISTENERS_TABLE=" + table,
	}
	for k, v := range motoserver.Env(moto.URL) {
		serve.Env = append(serve.Env, k+"="+v)
	}
	var serveLog bytes.Buffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	serve.WaitDelay = 5 * time.Second
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = serve.Wait(); close(exited) }()
	t.Cleanup(func() {
		stop()
		<-exited
		if t.Failed() {
			t.Logf("jokebox serve:\n%s", serveLog.String())
		}
	})
	if err := proc.WaitReady(ctx, "http://"+addr+"/healthz", 30*time.Second, exited); err != nil {
		t.Fatalf("jokebox serve: %v\n%s", err, serveLog.String())
	}
	return addr
}
