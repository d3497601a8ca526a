package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegion(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = us-west-2\n\n[profile spain]\nregion = eu-west-1\n\n[profile mumbai]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		flag    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "flag over everything", flag: "eu-west-1", env: map[string]string{"AWS_REGION": "us-west-2", "AWS_PROFILE": "mumbai"}, want: "eu-west-1"},
		{name: "AWS_REGION over the config", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_PROFILE": "mumbai"}, want: "eu-west-1"},
		{name: "the config's default profile", want: "us-west-2"},
		{name: "AWS_PROFILE's region", env: map[string]string{"AWS_PROFILE": "spain"}, want: "eu-west-1"},
		{name: "nothing anywhere", env: map[string]string{"AWS_CONFIG_FILE": filepath.Join(dir, "none")}, want: "us-east-1"},
		{name: "unsupported flag", flag: "ap-south-1", wantErr: "region ap-south-1 (from --region) is not one Alexa calls"},
		{name: "unsupported AWS_REGION", env: map[string]string{"AWS_REGION": "eu-central-1"}, wantErr: "(from AWS_REGION)"},
		{name: "unsupported profile region", env: map[string]string{"AWS_PROFILE": "mumbai"}, wantErr: "(from the AWS config)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("AWS_CONFIG_FILE", cfgFile)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "nocredentials"))
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
			t.Setenv("AWS_PROFILE", "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			got, err := Region(t.Context(), c.flag, os.Getenv)
			if c.wantErr != "" {
				var re *RegionError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "us-east-1, eu-west-1, us-west-2") {
					t.Errorf("Region = %q, %v; want a RegionError with %q and the list", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("Region = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
