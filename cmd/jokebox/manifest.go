package main

import (
	"context"
	"errors"
)

func runManifest(ctx context.Context, c *cli, args []string) error {
	return errors.New("not implemented yet")
}
