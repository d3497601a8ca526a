package main

import (
	"context"
	"errors"
)

func runInvoke(ctx context.Context, c *cli, args []string) error {
	return errors.New("not implemented yet")
}
