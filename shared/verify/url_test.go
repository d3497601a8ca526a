package verify

import (
	"path"
	"strings"
	"testing"
)

func TestCanonicalCertURL(t *testing.T) {
	t.Parallel()
	const want = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
	tests := []struct {
		raw  string
		want string // "" means refused
	}{
		// Amazon's documented valid forms.
		{"https://s3.amazonaws.com/echo.api/echo-api-cert.pem", want},
		{"HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem", want},
		{"https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", want},
		{"https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", want},
		{"https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem", want},
		// Dot segments and repeated slashes resolve.
		{"https://s3.amazonaws.com/echo.api/./echo-api-cert.pem", want},
		{"https://s3.amazonaws.com//echo.api//echo-api-cert.pem", want},
		{"https://s3.amazonaws.com/../echo.api/echo-api-cert.pem", want},
		{"https://s3.amazonaws.com/x/../echo.api/sub/../echo-api-cert.pem", want},
		{"https://s3.amazonaws.com/echo.api/sub/cert_1~v2.pem", "https://s3.amazonaws.com/echo.api/sub/cert_1~v2.pem"},
		// Amazon's documented invalid forms.
		{"http://s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://notamazon.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", ""},
		// Scheme, host and port tricks.
		{"", ""},
		{"ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"//s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"/echo.api/echo-api-cert.pem", ""},
		{"https:s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https:/s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", ""},
		{"https://evil.example/s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com./echo.api/echo-api-cert.pem", ""},
		{"https://s3-external-1.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com:/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com:0443/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com:443:443/echo.api/echo-api-cert.pem", ""},
		{"https://[::1]:443/echo.api/echo-api-cert.pem", ""},
		{"https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem", ""},
		{"https://evil.example\\@s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://s3%2eamazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"https://ѕ3.amazonaws.com/echo.api/echo-api-cert.pem", ""}, // Cyrillic s
		// Path tricks.
		{"https://s3.amazonaws.com/echo.api/../echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/../other/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/", ""},
		{"https://s3.amazonaws.com/echo.api/.", ""},
		{"https://s3.amazonaws.com/echo.api/..", ""},
		{"https://s3.amazonaws.com/echo.api", ""},
		{"https://s3.amazonaws.com/echo.apix/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/%2e%2e/x/cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/%2E%2E/x/cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api%2Fcert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/a%2F..%2F..%2Fx.pem", ""},
		{"https://s3.amazonaws.com/%65cho.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/..%2f..%2fx.pem", ""},
		{"https://s3.amazonaws.com/echo.api\\..\\x.pem", ""},
		{"https://s3.amazonaws.com/echo.api/;x/../cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/cert.pem ", ""},
		{"https://s3.amazonaws.com/echo.api/cert\x00.pem", ""},
		{"https://s3.amazonaws.com/echo.api/cert\n.pem", ""},
		// Query and fragment.
		{"https://s3.amazonaws.com/echo.api/echo-api-cert.pem?", ""},
		{"https://s3.amazonaws.com/echo.api/echo-api-cert.pem?versionId=1", ""},
		{"https://s3.amazonaws.com/echo.api/echo-api-cert.pem#", ""},
		{"https://s3.amazonaws.com/echo.api/echo-api-cert.pem#x", ""},
		{"https://s3.amazonaws.com/other?/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/other#/echo.api/echo-api-cert.pem", ""},
		{"https://s3.amazonaws.com/echo.api/" + strings.Repeat("a", 2100), ""},
	}
	for _, tt := range tests {
		got, err := CanonicalCertURL(tt.raw)
		if tt.want == "" {
			if err == nil {
				t.Errorf("CanonicalCertURL(%q) = %q; want an error", tt.raw, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CanonicalCertURL(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}

func FuzzCanonicalCertURL(f *testing.F) {
	for _, s := range []string{
		"https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
		"HTTPS://S3.AMAZONAWS.COM:443/echo.api/../echo.api/echo-api-cert.pem",
		"https://s3.amazonaws.com/echo.api/%2e%2e/x.pem",
		"https://u@s3.amazonaws.com/echo.api/x.pem",
		"https://s3.amazonaws.com/echo.api/x.pem?a#b",
		"https://s3.amazonaws.com//echo.api/./a/../b.pem",
		"https:s3.amazonaws.com/echo.api/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CanonicalCertURL(raw)
		if err != nil {
			if got != "" {
				t.Fatalf("CanonicalCertURL(%q) = %q with error %v", raw, got, err)
			}
			return
		}
		const prefix = "https://s3.amazonaws.com/echo.api/"
		if !strings.HasPrefix(got, prefix) || len(got) == len(prefix) {
			t.Fatalf("CanonicalCertURL(%q) = %q; not a file below %s", raw, got, prefix)
		}
		p := strings.TrimPrefix(got, "https://s3.amazonaws.com")
		if path.Clean(p) != p || strings.Contains(p, "/../") || strings.Contains(p, "%") {
			t.Fatalf("CanonicalCertURL(%q) = %q; path not clean", raw, got)
		}
		again, err := CanonicalCertURL(got)
		if err != nil || again != got {
			t.Fatalf("CanonicalCertURL(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
