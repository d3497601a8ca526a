package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestLoadASK(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		env     map[string]string
		want    ASK
		missing int
		wantErr []string // substrings of the error
	}{
		{name: "nothing set", env: nil, missing: 3},
		{name: "jokebox's secret name",
			env:  map[string]string{EnvLWAClientID.Name: "id", EnvLWAClientSecret.Name: "s", EnvRefreshToken.Name: "r", EnvVendorID.Name: "V"},
			want: ASK{ClientID: "id", ClientSecret: "s", RefreshToken: "r", VendorID: "V"}},
		{name: "the ask CLI's secret name",
			env:  map[string]string{EnvLWAClientID.Name: "id", EnvLWAClientConfirmation.Name: "s", EnvRefreshToken.Name: "r"},
			want: ASK{ClientID: "id", ClientSecret: "s", RefreshToken: "r"}},
		{name: "both secret names, same value",
			env:  map[string]string{EnvLWAClientID.Name: "id", EnvLWAClientSecret.Name: "s", EnvLWAClientConfirmation.Name: "s", EnvRefreshToken.Name: "r"},
			want: ASK{ClientID: "id", ClientSecret: "s", RefreshToken: "r"}},
		{name: "both secret names, different values",
			env:     map[string]string{EnvLWAClientSecret.Name: "s1", EnvLWAClientConfirmation.Name: "s2"},
			wantErr: []string{EnvLWAClientSecret.Name, EnvLWAClientConfirmation.Name, "different values"}},
		{name: "servers on loopback over http",
			env:  map[string]string{EnvSMAPIURL.Name: "http://127.0.0.1:8080/", EnvLWATokenHost.Name: "http://localhost:9", EnvLWAAuthorizeHost.Name: "http://[::1]:7"},
			want: ASK{SMAPIURL: "http://127.0.0.1:8080", TokenURL: "http://localhost:9/auth/o2/token", AuthorizeURL: "http://[::1]:7/ap/oa"}, missing: 3},
		{name: "servers over https, SMAPI with a path prefix",
			env:  map[string]string{EnvSMAPIURL.Name: "https://smapi.example.test/prefix/", EnvLWATokenHost.Name: "https://lwa.example.test", EnvLWAAuthorizeHost.Name: "https://www.example.test/"},
			want: ASK{SMAPIURL: "https://smapi.example.test/prefix", TokenURL: "https://lwa.example.test/auth/o2/token", AuthorizeURL: "https://www.example.test/ap/oa"}, missing: 3},
		{name: "plain http to another host",
			env:     map[string]string{EnvSMAPIURL.Name: "http://smapi.example.test", EnvLWATokenHost.Name: "http://10.0.0.1:80"},
			wantErr: []string{EnvSMAPIURL.Name, EnvLWATokenHost.Name, "only for a loopback host", "use https"}},
		{name: "a look-alike of localhost",
			env:     map[string]string{EnvLWATokenHost.Name: "http://localhost.example.test"},
			wantErr: []string{EnvLWATokenHost.Name, "loopback"}},
		{name: "token host with a path",
			env:     map[string]string{EnvLWATokenHost.Name: "https://lwa.example.test/auth/o2/token"},
			wantErr: []string{EnvLWATokenHost.Name, "without a path"}},
		{name: "not absolute, other scheme, user info, query",
			env: map[string]string{EnvSMAPIURL.Name: "smapi.example.test", EnvLWATokenHost.Name: "ftp://lwa.example.test",
				EnvLWAAuthorizeHost.Name: "https://u:p@www.example.test"},
			wantErr: []string{"not an absolute URL", `scheme "ftp"`, "user information"}},
		{name: "a query",
			env:     map[string]string{EnvSMAPIURL.Name: "https://smapi.example.test/?a=b"},
			wantErr: []string{EnvSMAPIURL.Name, "query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadASK(env(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadASK = %v, nil; want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("LoadASK error %q; want it to name %q", err, w)
					}
				}
				for _, v := range tt.env {
					if strings.HasPrefix(v, "s") && len(v) == 2 && strings.Contains(err.Error(), v) {
						t.Errorf("LoadASK error %q shows a secret's value", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadASK: %v", err)
			}
			if got != tt.want {
				t.Errorf("LoadASK = %#v; want %#v", got, tt.want)
			}
			if m := got.MissingCredentials(); len(m) != tt.missing {
				t.Errorf("MissingCredentials = %v; want %d names", m, tt.missing)
			}
			if got.HasCredentials() != (tt.missing < 3) {
				t.Errorf("HasCredentials = %v with %d missing", got.HasCredentials(), tt.missing)
			}
		})
	}
}

func TestASKStringHidesSecrets(t *testing.T) {
	a := ASK{ClientID: "amzn1.application-oa2-client.x", ClientSecret: "TOP-SECRET", RefreshToken: "Atzr|REFRESH"}
	for _, s := range []string{a.String(), fmt.Sprintf("%v %+v %#v %s", a, a, a, a)} {
		if strings.Contains(s, "TOP-SECRET") || strings.Contains(s, "REFRESH") {
			t.Errorf("formatted ASK %q shows a secret", s)
		}
		if !strings.Contains(s, a.ClientID) {
			t.Errorf("formatted ASK %q lacks the client ID", s)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"localhost.example.test": false, "10.0.0.1": false, "0.0.0.0": false, "example.test": false, "": false, "::": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v; want %v", host, got, want)
		}
	}
}
