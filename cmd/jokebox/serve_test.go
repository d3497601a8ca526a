package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestServeRefusesBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "c.pem"}, "both --tls-cert and --tls-key"},
		{[]string{"--tls-key", "k.pem"}, "both --tls-cert and --tls-key"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--no-such-flag"}, "not defined"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
		err := runServe(context.Background(), c, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("runServe(%q) = %v; want an error containing %q", tt.args, err, tt.want)
		}
	}
}
