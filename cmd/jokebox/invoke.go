package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jokebox/jokebox/shared/config"
)

// invokeCommand is `jokebox invoke`.
func invokeCommand() *command {
	return &command{name: "invoke", args: "skill|indexer|rotator FILE|-", minArgs: 2, maxArgs: 2,
		summary: "run a function's handler in-process on an event and print the result",
		example: "jokebox invoke skill events/skill/launch.es-ES.json",
		env:     skillEnv(config.EnvSkillFunction),
		run:     runInvoke}
}

// runInvoke runs a function's handler in-process on an event, like
// `serverless invoke local`, and prints the result.
func runInvoke(ctx context.Context, c *cli, _ *command, args []string) error {
	fn, file := args[0], args[1]
	var payload []byte
	var err error
	if file == "-" {
		payload, err = io.ReadAll(io.LimitReader(c.stdin, 8<<20))
	} else {
		payload, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	var out any
	switch fn {
	case "skill":
		h, err := newSkillInvoker(ctx, c)
		if err != nil {
			return err
		}
		raw, err := h.Invoke(ctx, payload)
		if err != nil {
			return err
		}
		out = json.RawMessage(raw)
	case "indexer":
		a, err := newApp(ctx, c, config.NeedBucket)
		if err != nil {
			return err
		}
		var ev events.SQSEvent
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil || len(ev.Records) == 0 {
			return fmt.Errorf("invoke indexer: %s is not an SQS event with records (%v)", file, err)
		}
		if out, err = a.Indexer().HandleSQS(ctx, ev); err != nil {
			return err
		}
	case "rotator":
		a, err := newApp(ctx, c, config.NeedBucket)
		if err != nil {
			return err
		}
		if out, err = a.Rotator().Handle(ctx); err != nil {
			return err
		}
	default:
		return fmt.Errorf("invoke: unknown function %q (want skill, indexer or rotator)", fn)
	}
	return printJSON(c.stdout, out)
}
