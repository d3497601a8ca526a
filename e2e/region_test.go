package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makePackage runs `make package` for the test stage in the repository
// with env, writing the zips and the package into a temporary folder, and
// returns the region osls packaged for ("" if make failed) and make's
// output.
func makePackage(t *testing.T, env []string, args ...string) (string, string) {
	t.Helper()
	serverlessBin(t)
	lookTool(t, "make", "apt-get install make")
	lookTool(t, "zip", "apt-get install zip")
	dir := t.TempDir()
	pkg := filepath.Join(dir, "pkg")
	goEnv := exec.Command("go", "env", "GOCACHE", "GOPATH", "GOMODCACHE")
	out, err := goEnv.Output()
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.Fields(string(out))
	// -o: never `npm ci` here (package-lock.json newer than node_modules
	// would), which would empty node_modules under the other tests.
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-o", "node_modules/.package-lock.json", "package", "STAGE=test",
		"LAMBDA_BUILD_DIR=" + dir, "SLS_FLAGS=--package " + pkg}, args...)...)
	cmd.Dir = repoRoot(t)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "JOKEBOX_") || k == "HOME" || k == "MAKEFLAGS" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "GOCACHE="+paths[0], "GOPATH="+paths[1], "GOMODCACHE="+paths[2],
		"JOKEBOX_BUILD_DIR="+dir, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "npm_config_update_notifier=false", "NODE_NO_WARNINGS=1")
	cmd.Env = append(cmd.Env, env...)
	slsMu.Lock() // see slsMu
	b, err := cmd.CombinedOutput()
	slsMu.Unlock()
	if err != nil {
		return "", string(b)
	}
	state, err := os.ReadFile(filepath.Join(pkg, "serverless-state.json"))
	if err != nil {
		t.Fatalf("make package wrote no serverless-state.json: %v\n%s", err, b)
	}
	var s struct {
		Service struct {
			Provider struct{ Region string }
		}
	}
	if err := json.Unmarshal(state, &s); err != nil {
		t.Fatal(err)
	}
	return s.Service.Provider.Region, string(b)
}

// TestDeployRegion: make package takes the region from REGION, else
// AWS_REGION, else the AWS config (jokebox region, the rule jokebox deploy
// uses), and refuses a region Alexa does not call, with the list.
func TestDeployRegion(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipping make package with -short")
	}
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte("[profile spain]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"AWS_REGION", []string{"AWS_REGION=eu-west-1"}, nil, "eu-west-1"},
		{"REGION over AWS_REGION", []string{"AWS_REGION=us-west-2"}, []string{"REGION=eu-west-1"}, "eu-west-1"},
		{"the AWS config's profile", []string{"AWS_CONFIG_FILE=" + cfg, "AWS_PROFILE=spain"}, nil, "eu-west-1"},
		{"nothing set", nil, nil, "us-east-1"},
	} {
		got, out := makePackage(t, c.env, c.args...)
		if got != c.want {
			t.Errorf("%s: make package packaged for %q; want %q\n%s", c.name, got, c.want, out)
		}
	}
	got, out := makePackage(t, []string{"AWS_REGION=ap-south-1"})
	if got != "" || !strings.Contains(out, "region ap-south-1 (from AWS_REGION) is not one Alexa calls") || !strings.Contains(out, "us-east-1, eu-west-1, us-west-2") {
		t.Errorf("AWS_REGION=ap-south-1 make package: packaged for %q; want a refusal listing the regions\n%s", got, out)
	}
}
