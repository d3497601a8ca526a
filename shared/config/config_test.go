package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		need    Requirement
		wantErr []string // substrings, all of them in one error
		check   func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			env:  map[string]string{"JOKEBOX_BUCKET": "b"},
			need: NeedBucket,
			check: func(t *testing.T, c Config) {
				if c.URLTTL != time.Hour || c.ManifestTTL != time.Minute || c.Continuous || c.PathStyle || c.ManifestParam != "" {
					t.Errorf("defaults = %+v", c)
				}
			},
		},
		{
			name:    "every missing variable in one message",
			env:     map[string]string{},
			need:    NeedBucket | NeedSkillFunction,
			wantErr: []string{"missing JOKEBOX_BUCKET, JOKEBOX_SKILL_FUNCTION"},
		},
		{
			name: "malformed values named with the missing ones",
			env: map[string]string{
				"JOKEBOX_URL_TTL": "forever", "JOKEBOX_CONTINUOUS": "sí", "JOKEBOX_DEBUG": "on", "JOKEBOX_MANIFEST_TTL": "-1s", "JOKEBOX_S3_PATH_STYLE": "yes",
			},
			need:    NeedBucket,
			wantErr: []string{"missing JOKEBOX_BUCKET", `JOKEBOX_DEBUG="on"`, `JOKEBOX_URL_TTL="forever"`, `JOKEBOX_CONTINUOUS="sí"`, `JOKEBOX_MANIFEST_TTL="-1s"`, `JOKEBOX_S3_PATH_STYLE="yes"`},
		},
		{
			name:    "URL lifetime over seven days",
			env:     map[string]string{"JOKEBOX_BUCKET": "b", "JOKEBOX_URL_TTL": "169h"},
			need:    NeedBucket,
			wantErr: []string{"JOKEBOX_URL_TTL"},
		},
		{
			name: "everything set",
			env: map[string]string{
				"JOKEBOX_BUCKET": "b", "JOKEBOX_MANIFEST_PARAM": "/p", "JOKEBOX_SKILL_FUNCTION": "f", "JOKEBOX_SKILL_ID": "amzn1.ask.skill.x",
				"JOKEBOX_URL_TTL": "2h", "JOKEBOX_CONTINUOUS": "true", "JOKEBOX_MANIFEST_TTL": "0s", "JOKEBOX_S3_PATH_STYLE": "true",
				"JOKEBOX_WELCOME": "hola", "JOKEBOX_WELCOME_EN": "hi", "JOKEBOX_WELCOME_ES_MX": "qué onda",
				"JOKEBOX_QUEUE_URL": "http://q", "JOKEBOX_DEBUG": "1", "JOKEBOX_LISTENERS_TABLE": "jokebox-listeners",
			},
			need: NeedBucket | NeedSkillFunction,
			check: func(t *testing.T, c Config) {
				if c.URLTTL != 2*time.Hour || !c.Continuous || c.ManifestTTL != 0 || !c.PathStyle || c.SkillID != "amzn1.ask.skill.x" || c.ManifestParam != "/p" {
					t.Errorf("config = %+v", c)
				}
				if c.Welcome[""] != "hola" || c.Welcome["en"] != "hi" || c.Welcome["es-MX"] != "qué onda" {
					t.Errorf("welcome = %v", c.Welcome)
				}
				if c.QueueURL != "http://q" || !c.Debug {
					t.Errorf("queue URL %q, debug %v; want http://q, true", c.QueueURL, c.Debug)
				}
				if c.ListenersTable != "jokebox-listeners" {
					t.Errorf("listeners table %q; want jokebox-listeners", c.ListenersTable)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env), tt.need)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Load() = nil error; want one naming %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Load() error %q does not name %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			tt.check(t, c)
		})
	}
}

// TestLoadOver: a program's own defaults hold for unset variables and
// yield to set ones, without the program reading any variable itself.
func TestLoadOver(t *testing.T) {
	t.Parallel()
	base := Defaults()
	base.Continuous, base.ManifestTTL, base.Welcome = true, 0, map[string]string{"es": "hola"}
	c, err := LoadOver(base, env(map[string]string{"JOKEBOX_BUCKET": "b"}), NeedBucket)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Continuous || c.ManifestTTL != 0 || c.URLTTL != DefaultURLTTL || c.Welcome["es"] != "hola" {
		t.Errorf("unset variables: %+v; want the base's values", c)
	}
	c, err = LoadOver(base, env(map[string]string{"JOKEBOX_BUCKET": "b", "JOKEBOX_CONTINUOUS": "false", "JOKEBOX_MANIFEST_TTL": "5s", "JOKEBOX_WELCOME_ES": "buenas"}), NeedBucket)
	if err != nil {
		t.Fatal(err)
	}
	if c.Continuous || c.ManifestTTL != 5*time.Second || c.Welcome["es"] != "buenas" {
		t.Errorf("set variables: %+v; want them to replace the base's values", c)
	}
	if base.Welcome["es"] != "hola" {
		t.Error("LoadOver changed its base's Welcome map")
	}
}

// TestAWSUsesConfig: the region and endpoint of the Config given win over
// the environment's, so a program can change them after Load.
func TestAWSUsesConfig(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := AWS(context.Background(), Config{Region: "ap-south-1", Endpoint: "http://127.0.0.1:2"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-south-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:2" {
		t.Errorf("AWS(Config{ap-south-1, :2}) = region %q, endpoint %q; want the Config's", cfg.Region, aws.ToString(cfg.BaseEndpoint))
	}
	t.Setenv("AWS_REGION", "")
	cfg, err = AWS(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("AWS(Config{}) without a region anywhere = %q; want us-east-1", cfg.Region)
	}
}

// FuzzLoad feeds arbitrary values to every variable: Load never panics, and
// what it accepts is within the documented bounds.
func FuzzLoad(f *testing.F) {
	f.Add("b", "1h", "60s", "true", "false")
	f.Add("", "forever", "-1s", "sí", "1")
	f.Add("bucket", "168h0m1s", "24h", "TRUE", "0")
	f.Fuzz(func(t *testing.T, bucket, urlTTL, manifestTTL, continuous, pathStyle string) {
		c, err := Load(env(map[string]string{
			"JOKEBOX_BUCKET": bucket, "JOKEBOX_URL_TTL": urlTTL, "JOKEBOX_MANIFEST_TTL": manifestTTL,
			"JOKEBOX_CONTINUOUS": continuous, "JOKEBOX_S3_PATH_STYLE": pathStyle,
		}), NeedBucket)
		if err != nil {
			return
		}
		if c.Bucket == "" || c.URLTTL < time.Minute || c.URLTTL > 7*24*time.Hour || c.ManifestTTL < 0 || c.ManifestTTL > 24*time.Hour {
			t.Errorf("Load accepted %+v", c)
		}
	})
}

// TestVarsNameEveryVariable: every variable Load and LoadASK read is in
// the tables (Vars, ASKVars)
// (the welcome line's per-language forms under JOKEBOX_WELCOME), and every
// entry of the table is read, so `jokebox CMD -h` cannot list a variable
// that does nothing nor miss one.
func TestVarsNameEveryVariable(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	if _, err := Load(func(k string) string { read[k] = true; return "" }, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadASK(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	table := map[string]bool{}
	for _, v := range append(Vars(), ASKVars()...) {
		if v.Name == "" || v.Meaning == "" {
			t.Errorf("table entry %+v lacks a name or a meaning", v)
		}
		table[v.Name] = true
		if !read[v.Name] {
			t.Errorf("%s is in the table but Load does not read it", v.Name)
		}
	}
	for k := range read {
		if !table[k] && !strings.HasPrefix(k, EnvWelcome.Name+"_") {
			t.Errorf("Load reads %s, which is not in the table", k)
		}
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	flags := map[Var]string{EnvSkillID: "--skill-id", EnvQueueURL: "--queue-url"}
	tests := []struct {
		name string
		env  map[string]string
		need Requirement
		want string // "" for no error
	}{
		{"nothing needed", nil, 0, ""},
		{"all there", map[string]string{"JOKEBOX_BUCKET": "b", "JOKEBOX_SKILL_ID": "s", "JOKEBOX_QUEUE_URL": "q", "JOKEBOX_SKILL_FUNCTION": "f"},
			NeedBucket | NeedSkillID | NeedQueueURL | NeedSkillFunction, ""},
		{"each missing one, with its flag", nil, NeedBucket | NeedSkillID | NeedQueueURL | NeedSkillFunction,
			"configuration: missing JOKEBOX_BUCKET, JOKEBOX_SKILL_FUNCTION, JOKEBOX_SKILL_ID (or --skill-id), JOKEBOX_QUEUE_URL (or --queue-url)"},
		{"malformed without a requirement", map[string]string{"JOKEBOX_DEBUG": "loud"}, 0,
			`configuration: JOKEBOX_DEBUG="loud" is not true or false`},
		{"missing and malformed", map[string]string{"JOKEBOX_DEBUG": "loud"}, NeedSkillID,
			`configuration: missing JOKEBOX_SKILL_ID (or --skill-id); JOKEBOX_DEBUG="loud" is not true or false`},
	}
	for _, tt := range tests {
		c, _ := Load(env(tt.env), 0)
		err := c.Require(tt.need, flags)
		if got := fmt.Sprint(err); (tt.want == "") != (err == nil) || err != nil && got != tt.want {
			t.Errorf("%s: Require = %v; want %q", tt.name, err, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	c, _ := Load(env(nil), 0)
	ask := &Error{Missing: []string{"ASK_REFRESH_TOKEN"}}
	if got, want := fmt.Sprint(Merge(c.Require(NeedBucket, nil), ask)), "configuration: missing JOKEBOX_BUCKET, ASK_REFRESH_TOKEN"; got != want {
		t.Errorf("Merge = %s; want %s", got, want)
	}
	if err := Merge(nil, ask); fmt.Sprint(err) != "configuration: missing ASK_REFRESH_TOKEN" {
		t.Errorf("Merge(nil, …) = %v", err)
	}
	if err := Merge(nil, &Error{}); err != nil {
		t.Errorf("Merge of nothing = %v; want nil", err)
	}
	other := errors.New("no home directory")
	if err := Merge(other, ask); err != other {
		t.Errorf("Merge(another error) = %v; want it unchanged", err)
	}
}
