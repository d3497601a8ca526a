package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestDevConfig: dev plays continuously and caches nothing unless the
// variables say otherwise, read once by the config package.
func TestDevConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		continuous bool
		ttl        time.Duration
		debug      bool
	}{
		{"defaults", nil, true, 0, false},
		{"overridden", map[string]string{"JOKEBOX_CONTINUOUS": "false", "JOKEBOX_MANIFEST_TTL": "30s", "JOKEBOX_DEBUG": "true"}, false, 30 * time.Second, true},
	}
	for _, tt := range tests {
		c, _ := testCLI(tt.env)
		c.load(devDefaults)
		cfg := c.config()
		if err := cfg.Require(0, nil); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.Continuous != tt.continuous || cfg.ManifestTTL != tt.ttl || cfg.Debug != tt.debug {
			t.Errorf("%s: continuous %v, manifest TTL %v, debug %v; want %v, %v, %v", tt.name, cfg.Continuous, cfg.ManifestTTL, cfg.Debug, tt.continuous, tt.ttl, tt.debug)
		}
	}
	c, _ := testCLI(map[string]string{"JOKEBOX_DEBUG": "loud"})
	c.load(devDefaults)
	if err := c.config().Require(0, nil); err == nil {
		t.Error("dev's configuration accepted JOKEBOX_DEBUG=loud")
	}
}

// TestConfigReadOnce: a run reads each variable once, however many parts
// of the command need the configuration (flag defaults, the logger, the
// app, the requirement check).
func TestConfigReadOnce(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"release", "--dry-run", "promote"},
		{"release", "--dry-run"},
		{"skill", "deploy-model"},
		{"skill", "validate", "--dir", "../../skill-package"},
		{"index", "--once"},
		{"serve"},
	} {
		reads := map[string]int{}
		var mu sync.Mutex
		env := map[string]string{"JOKEBOX_SKILL_FUNCTION": "fn", "JOKEBOX_SKILL_ID": "amzn1.ask.skill.x"}
		c, _ := testCLI(nil)
		c.getenv = func(k string) string {
			mu.Lock()
			defer mu.Unlock()
			reads[k]++
			return env[k]
		}
		_ = run(context.Background(), c, args)
		if len(reads) == 0 {
			t.Errorf("jokebox %q read no variable", args)
		}
		for k, n := range reads {
			if n > 1 {
				t.Errorf("jokebox %q read %s %d times; want once", args, k, n)
			}
		}
	}
}
