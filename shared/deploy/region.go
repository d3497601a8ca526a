package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/config"
)

// AlexaRegions are the AWS regions whose Lambda functions Alexa calls for a
// custom skill: its three default endpoint regions, North America
// (us-east-1), Europe and India (eu-west-1) and the Far East (us-west-2),
// as the ask CLI maps them.
var AlexaRegions = []string{"us-east-1", "eu-west-1", "us-west-2"}

// RegionError reports a region Alexa does not call.
type RegionError struct {
	// Region is the region asked for; From says where it came from.
	Region, From string
}

func (e *RegionError) Error() string {
	return fmt.Sprintf("region %s (from %s) is not one Alexa calls a skill's Lambda function in: use one of %s (--region, AWS_REGION or the AWS config's region)",
		e.Region, e.From, strings.Join(AlexaRegions, ", "))
}

// Region is the one rule for the region a stage is deployed to: flag when
// set (--region), else AWS_REGION, else the region of the AWS shared
// config (honouring AWS_PROFILE and AWS_CONFIG_FILE), else us-east-1 (as
// config.AWS), and it must be one of AlexaRegions. `jokebox deploy`,
// `jokebox destroy` and `jokebox region` (which deploy.mk calls for
// `make package`) all use it.
func Region(ctx context.Context, flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return checkRegion(flag, "--region")
	}
	cfg, err := config.Load(getenv, 0)
	if err != nil {
		return "", err
	}
	aws, err := config.AWS(ctx, cfg)
	if err != nil {
		return "", err
	}
	from := "the AWS config"
	switch {
	case cfg.Region != "":
		from = "AWS_REGION"
	case aws.Region == "us-east-1":
		from = "the default"
	}
	return checkRegion(aws.Region, from)
}

func checkRegion(r, from string) (string, error) {
	if !slices.Contains(AlexaRegions, r) {
		return "", &RegionError{Region: r, From: from}
	}
	return r, nil
}
