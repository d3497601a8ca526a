package config

import (
	"strings"
	"testing"
	"time"
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
				"JOKEBOX_URL_TTL": "forever", "JOKEBOX_CONTINUOUS": "sí", "JOKEBOX_MANIFEST_TTL": "-1s", "JOKEBOX_S3_PATH_STYLE": "yes",
			},
			need:    NeedBucket,
			wantErr: []string{"missing JOKEBOX_BUCKET", `JOKEBOX_URL_TTL="forever"`, `JOKEBOX_CONTINUOUS="sí"`, `JOKEBOX_MANIFEST_TTL="-1s"`, `JOKEBOX_S3_PATH_STYLE="yes"`},
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
			},
			need: NeedBucket | NeedSkillFunction,
			check: func(t *testing.T, c Config) {
				if c.URLTTL != 2*time.Hour || !c.Continuous || c.ManifestTTL != 0 || !c.PathStyle || c.SkillID != "amzn1.ask.skill.x" || c.ManifestParam != "/p" {
					t.Errorf("config = %+v", c)
				}
				if c.Welcome[""] != "hola" || c.Welcome["en"] != "hi" || c.Welcome["es-MX"] != "qué onda" {
					t.Errorf("welcome = %v", c.Welcome)
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
