package main

import (
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
		cfg, err := devConfig(func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.Continuous != tt.continuous || cfg.ManifestTTL != tt.ttl || cfg.Debug != tt.debug {
			t.Errorf("%s: continuous %v, manifest TTL %v, debug %v; want %v, %v, %v", tt.name, cfg.Continuous, cfg.ManifestTTL, cfg.Debug, tt.continuous, tt.ttl, tt.debug)
		}
	}
	if _, err := devConfig(func(k string) string { return map[string]string{"JOKEBOX_DEBUG": "loud"}[k] }); err == nil {
		t.Error("devConfig accepted JOKEBOX_DEBUG=loud")
	}
}
