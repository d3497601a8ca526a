package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/shared/manifest"
)

// deployedFlow runs the pipeline against the stack deployed into moto, with
// names taken from the stack: upload → queue → `jokebox index` worker →
// manifest in S3 and SSM → `jokebox invoke skill` plays an uploaded file.
func deployedFlow(t *testing.T, res stackResources) {
	ctx := t.Context()
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "jokebox")
	build := exec.Command("go", "build", "-o", bin, "./cmd/jokebox")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	jokebox := func(fn string, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), res.Env(fn)...)
		cmd.Env = append(cmd.Env, "JOKEBOX_S3_PATH_STYLE=true")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("jokebox %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}

	s3c := res.S3()
	uploads := map[string][]byte{}
	for key, file := range map[string]string{
		"chistes/el semáforo.mp3": "media/chistes/el-semaforo.mp3",
		"jokes/skeletons.mp3":     "media/jokes/skeletons.mp3",
		"animales/gusano+1.MP3":   "media/animales/el-gusano.mp3",
		"chistes/not-really.mp3":  "testdata/audio/text.mp3",
	} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &res.Bucket, Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		uploads[key] = b
	}

	jokebox("indexer", "index", "--queue-url", res.QueueURL, "--once")

	// The manifest is in S3, and its pointer in SSM agrees with the one in S3.
	var view struct {
		Version   int64
		Entries   int
		Playlists []struct{ Name string }
		Rejected  []struct{ Key, Reason string }
	}
	if err := json.Unmarshal(jokebox("indexer", "manifest", "--json"), &view); err != nil {
		t.Fatal(err)
	}
	if view.Entries != 3 || len(view.Rejected) != 1 || view.Rejected[0].Key != "chistes/not-really.mp3" {
		t.Fatalf("manifest: %d entries, rejected %+v; want 3 entries and chistes/not-really.mp3 rejected", view.Entries, view.Rejected)
	}
	param, err := ssm.NewFromConfig(res.AWS).GetParameter(ctx, &ssm.GetParameterInput{Name: &res.Parameter})
	if err != nil {
		t.Fatal(err)
	}
	p, err := manifest.DecodePointer([]byte(aws.ToString(param.Parameter.Value)))
	if err != nil {
		t.Fatalf("SSM parameter %s: %v", res.Parameter, err)
	}
	if p.Version != view.Version || p.Entries != 3 {
		t.Errorf("SSM pointer %+v; want version %d with 3 entries", p, view.Version)
	}

	// The skill, run as the deployed function would run, plays an upload.
	skillID := res.FunctionEnv["skill"]["JOKEBOX_SKILL_ID"]
	launch := filepath.Join(t.TempDir(), "launch.json")
	req := `{"version":"1.0","session":{"new":true,"sessionId":"s","application":{"applicationId":"` + skillID + `"}},
	  "context":{"System":{"application":{"applicationId":"` + skillID + `"},"device":{"deviceId":"d","supportedInterfaces":{"AudioPlayer":{}}}}},
	  "request":{"type":"LaunchRequest","requestId":"r","timestamp":"2026-11-23T12:00:00Z","locale":"es-ES"}}`
	if err := os.WriteFile(launch, []byte(req), 0o644); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Response struct {
			Directives []struct {
				AudioItem struct{ Stream struct{ URL string } }
			}
		}
	}
	if err := json.Unmarshal(jokebox("skill", "invoke", "skill", launch), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Response.Directives) != 1 {
		t.Fatalf("launch answered %+v; want one Play directive", resp)
	}
	got, err := http.Get(resp.Response.Directives[0].AudioItem.Stream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	body, _ := io.ReadAll(got.Body)
	played := ""
	for key, b := range uploads {
		if bytes.Equal(b, body) && key != "chistes/not-really.mp3" {
			played = key
		}
	}
	if got.StatusCode != http.StatusOK || played == "" {
		t.Fatalf("GET %s: %s, %d bytes; want the bytes of an uploaded joke", resp.Response.Directives[0].AudioItem.Stream.URL, got.Status, len(body))
	}
	t.Logf("deployed skill played %s from manifest v%d", played, view.Version)
}
