package main

import (
	"context"
	"errors"
)

func runReindex(ctx context.Context, c *cli, args []string) error {
	return errors.New("not implemented yet")
}

func runRotate(ctx context.Context, c *cli, args []string) error {
	return errors.New("not implemented yet")
}
