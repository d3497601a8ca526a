// Package config reads jokebox's configuration from the environment and
// builds the AWS clients every program shares. It is the one place that
// knows the variable names: each is a Var of the table below, which Load
// reads and `jokebox CMD -h` lists.
package config

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config is jokebox's configuration. Each program uses the part it needs.
type Config struct {
	Bucket        string        // JOKEBOX_BUCKET (required)
	ManifestParam string        // JOKEBOX_MANIFEST_PARAM: SSM parameter for the pointer; "" keeps it in S3
	SkillFunction string        // JOKEBOX_SKILL_FUNCTION: what the rotator warms
	PathStyle     bool          // JOKEBOX_S3_PATH_STYLE=true for emulators
	SkillID       string        // JOKEBOX_SKILL_ID: refuse requests for other skills
	URLTTL        time.Duration // JOKEBOX_URL_TTL, default 1h
	Continuous    bool          // JOKEBOX_CONTINUOUS, default false
	ManifestTTL   time.Duration // JOKEBOX_MANIFEST_TTL, default 60s
	// Welcome overrides the welcome line: JOKEBOX_WELCOME (all locales),
	// JOKEBOX_WELCOME_ES (a language), JOKEBOX_WELCOME_ES_MX (a locale).
	Welcome map[string]string
	// Endpoint is AWS_ENDPOINT_URL, for emulators; "" for AWS.
	Endpoint string
	Region   string // AWS_REGION
	QueueURL string // JOKEBOX_QUEUE_URL: the queue `jokebox index` polls
	// ListenersTable is JOKEBOX_LISTENERS_TABLE: the DynamoDB table where
	// the skill remembers each listener's place; "" remembers none.
	ListenersTable string
	Debug          bool   // JOKEBOX_DEBUG: debug-level logs in the CLI
	FFmpeg         string // JOKEBOX_FFMPEG: the ffmpeg binary of add and dev; "" looks it up on PATH

	malformed []string // what Load could not read, reported by Require
}

// Var is one environment variable jokebox reads: its name and what it
// means, in a line.
type Var struct {
	Name    string
	Meaning string
}

// The variables jokebox reads. Commands name these, never the strings.
var (
	EnvBucket         = Var{"JOKEBOX_BUCKET", "S3 bucket holding the audio and the manifest"}
	EnvManifestParam  = Var{"JOKEBOX_MANIFEST_PARAM", "SSM parameter holding the manifest pointer (unset: kept in S3)"}
	EnvSkillFunction  = Var{"JOKEBOX_SKILL_FUNCTION", "name or ARN of the skill's Lambda function"}
	EnvSkillID        = Var{"JOKEBOX_SKILL_ID", "the Alexa skill's ID (amzn1.ask.skill.…); requests for other skills are refused"}
	EnvQueueURL       = Var{"JOKEBOX_QUEUE_URL", "SQS queue receiving the bucket's notifications"}
	EnvListenersTable = Var{"JOKEBOX_LISTENERS_TABLE", "DynamoDB table where the skill remembers each listener's place (unset: none)"}
	EnvS3PathStyle    = Var{"JOKEBOX_S3_PATH_STYLE", "true: path-style S3 URLs, for emulators"}
	EnvURLTTL         = Var{"JOKEBOX_URL_TTL", "lifetime of the audio URLs the skill hands out (default 1h)"}
	EnvContinuous     = Var{"JOKEBOX_CONTINUOUS", "true: play the next file when one ends"}
	EnvManifestTTL    = Var{"JOKEBOX_MANIFEST_TTL", "how long the skill caches the manifest (default 60s)"}
	EnvWelcome        = Var{"JOKEBOX_WELCOME", "welcome line; JOKEBOX_WELCOME_ES or JOKEBOX_WELCOME_ES_MX for one language or locale"}
	EnvDebug          = Var{"JOKEBOX_DEBUG", "true: debug-level logs"}
	EnvEndpoint       = Var{"AWS_ENDPOINT_URL", "AWS endpoint, for emulators (unset: AWS)"}
	EnvRegion         = Var{"AWS_REGION", "AWS region (default: the AWS configuration's, else us-east-1)"}
	EnvFFmpeg         = Var{"JOKEBOX_FFMPEG", "the ffmpeg binary that converts and normalizes (unset: ffmpeg on PATH)"}
)

// Vars is every variable of the table, in the order above.
func Vars() []Var {
	return []Var{EnvBucket, EnvManifestParam, EnvSkillFunction, EnvSkillID, EnvQueueURL, EnvListenersTable, EnvS3PathStyle,
		EnvURLTTL, EnvContinuous, EnvManifestTTL, EnvWelcome, EnvDebug, EnvEndpoint, EnvRegion, EnvFFmpeg}
}

// Requirement says which variables a program needs.
type Requirement int

// What a program or command needs, in the order a missing one is named.
const (
	NeedBucket Requirement = 1 << iota
	NeedSkillFunction
	NeedSkillID
	NeedQueueURL
)

// required is, for each Requirement, its variable and the field it fills.
var required = []struct {
	need Requirement
	v    Var
	val  func(Config) string
}{
	{NeedBucket, EnvBucket, func(c Config) string { return c.Bucket }},
	{NeedSkillFunction, EnvSkillFunction, func(c Config) string { return c.SkillFunction }},
	{NeedSkillID, EnvSkillID, func(c Config) string { return c.SkillID }},
	{NeedQueueURL, EnvQueueURL, func(c Config) string { return c.QueueURL }},
}

// Error is a configuration that cannot be used: every missing variable
// and every malformed one, named at once.
type Error struct {
	Missing   []string // names, each maybe with how else to give it: "JOKEBOX_SKILL_ID (or --skill-id)"
	Malformed []string // `JOKEBOX_URL_TTL="forever" is not a duration…`
}

func (e *Error) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	return "configuration: " + strings.Join(append(parts, e.Malformed...), "; ")
}

// Require returns the *Error naming every variable need lacks in c and
// every malformed variable Load met, or nil. A variable that a flag can
// give instead is named with it: flags maps the variable to the flag
// ("--skill-id"), and may be nil.
func (c Config) Require(need Requirement, flags map[Var]string) error {
	var missing []string
	for _, r := range required {
		if need&r.need == 0 || r.val(c) != "" {
			continue
		}
		name := r.v.Name
		if f := flags[r.v]; f != "" {
			name += " (or " + f + ")"
		}
		missing = append(missing, name)
	}
	return Merge(nil, &Error{Missing: missing, Malformed: c.malformed})
}

// Merge adds e's missing and malformed variables to err's, making
// err an *Error if it is nil; it returns nil when nothing is missing or
// malformed, and err itself when it is another kind of error. It is for
// variables read elsewhere (the ASK_* credentials, until config reads them).
func Merge(err error, e *Error) error {
	var ce *Error
	switch {
	case err == nil:
		ce = &Error{}
	case errors.As(err, &ce):
		ce = &Error{Missing: slices.Clone(ce.Missing), Malformed: slices.Clone(ce.Malformed)}
	default:
		return err
	}
	ce.Missing = append(ce.Missing, e.Missing...)
	ce.Malformed = append(ce.Malformed, e.Malformed...)
	if len(ce.Missing) == 0 && len(ce.Malformed) == 0 {
		return nil
	}
	return ce
}

// Defaults for optional variables.
const (
	DefaultURLTTL      = time.Hour
	DefaultManifestTTL = 60 * time.Second
)

// Defaults is the configuration before any variable is read.
func Defaults() Config {
	return Config{URLTTL: DefaultURLTTL, ManifestTTL: DefaultManifestTTL}
}

// Load reads the configuration over Defaults. The error names every
// missing or malformed variable at once.
func Load(getenv func(string) string, need Requirement) (Config, error) {
	return LoadOver(Defaults(), getenv, need)
}

// LoadOver reads the configuration over base: a variable that is set
// replaces base's value, one that is not keeps it. A program whose defaults
// differ (jokebox dev plays continuously and caches nothing) passes its
// own base instead of reading variables again to tell "unset" from "set".
func LoadOver(base Config, getenv func(string) string, need Requirement) (Config, error) {
	c := base
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str(EnvBucket.Name, &c.Bucket)
	str(EnvManifestParam.Name, &c.ManifestParam)
	str(EnvSkillFunction.Name, &c.SkillFunction)
	str(EnvSkillID.Name, &c.SkillID)
	str(EnvQueueURL.Name, &c.QueueURL)
	str(EnvListenersTable.Name, &c.ListenersTable)
	str(EnvEndpoint.Name, &c.Endpoint)
	str(EnvRegion.Name, &c.Region)
	str(EnvFFmpeg.Name, &c.FFmpeg)
	c.Welcome = map[string]string{}
	maps.Copy(c.Welcome, base.Welcome)
	var bad []string
	boolVar := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q is not true or false", name, v))
			}
			*dst = b
		}
	}
	durVar := func(name string, dst *time.Duration, lo, hi time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < lo || d > hi {
				bad = append(bad, fmt.Sprintf("%s=%q is not a duration between %v and %v", name, v, lo, hi))
				return
			}
			*dst = d
		}
	}
	boolVar(EnvS3PathStyle.Name, &c.PathStyle)
	boolVar(EnvContinuous.Name, &c.Continuous)
	boolVar(EnvDebug.Name, &c.Debug)
	durVar(EnvURLTTL.Name, &c.URLTTL, time.Minute, 7*24*time.Hour)
	durVar(EnvManifestTTL.Name, &c.ManifestTTL, 0, 24*time.Hour)
	if v := getenv(EnvWelcome.Name); v != "" {
		c.Welcome[""] = v
	}
	for _, l := range []string{"es", "en", "es-ES", "es-MX", "es-US", "en-US", "en-GB"} {
		if v := getenv(EnvWelcome.Name + "_" + strings.ToUpper(strings.ReplaceAll(l, "-", "_"))); v != "" {
			c.Welcome[l] = v
		}
	}
	c.malformed = bad
	return c, c.Require(need, nil)
}

// AWS loads the AWS configuration for c: c's Region and Endpoint when set,
// credentials and the rest the SDK's standard way. Without a region
// anywhere it is us-east-1.
func AWS(ctx context.Context, c Config) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.Endpoint != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.Endpoint))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("aws configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// S3Options applies the configuration's S3 settings to a client.
func (c Config) S3Options(o *s3.Options) {
	o.UsePathStyle = c.PathStyle
	o.DisableLogOutputChecksumValidationSkipped = true
}
