package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// Service is serverless.yml's service name.
const Service = "jokebox"

// FunctionName is the skill function of a stage, as serverless.yml names
// it (custom.skillFunctionName).
func FunctionName(stage string) string { return Service + "-" + stage + "-skill" }

// RecordName is the SSM parameter where a deploy records the skill it
// created for stage (see SSMRecord).
func RecordName(stage string) string { return "/" + Service + "/" + stage + "/skill-id" }

// FunctionReader is what reading a deployed stack needs of Lambda;
// *lambda.Client implements it.
type FunctionReader interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// OSLS is a stage's stack, deployed and removed with the osls CLI
// (`serverless`) and read through its skill function's configuration: the
// environment the stack gives the function holds the skill ID and the
// bucket, so no CloudFormation call is needed.
type OSLS struct {
	// Bin is the osls CLI, node_modules/.bin/serverless.
	Bin string
	// Dir is the directory holding serverless.yml.
	Dir string
	// Stage and Region select the stack.
	Stage, Region string
	// Env is the CLI's environment ("K=V"); nil means this process's.
	Env []string
	// Build, when set, is run in Dir before a deploy: the command that
	// builds the functions' zips (`make build`).
	Build []string
	// Lambda reads the skill function.
	Lambda FunctionReader
	// Out receives the CLI's output.
	Out io.Writer
}

var _ Stack = (*OSLS)(nil)

// Info reads the skill function's configuration.
func (o *OSLS) Info(ctx context.Context) (StackInfo, bool, error) {
	out, err := o.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(FunctionName(o.Stage))})
	if isCode(err, "ResourceNotFoundException") {
		return StackInfo{}, false, nil
	}
	if err != nil {
		return StackInfo{}, false, fmt.Errorf("get function %s: %w", FunctionName(o.Stage), err)
	}
	info := StackInfo{Function: aws.ToString(out.FunctionName)}
	if out.Environment != nil {
		info.SkillID = out.Environment.Variables["JOKEBOX_SKILL_ID"]
		info.Bucket = out.Environment.Variables["JOKEBOX_BUCKET"]
		info.ManifestParam = out.Environment.Variables["JOKEBOX_MANIFEST_PARAM"]
	}
	return info, true, nil
}

// Deploy builds the functions (Build), packages the stack into
// .serverless and deploys that package for skillID. Its note says whether
// osls changed the stack.
//
// osls skips a deploy whose template and artifacts equal the last
// deployed ones, but it hashes only the zips inside .serverless, while
// serverless.yml's functions point at build/NAME.zip: it would deploy
// every time. So the zips are copied into the package first, where osls's
// check finds them, and an unchanged stage really is "No changes to
// deploy".
func (o *OSLS) Deploy(ctx context.Context, skillID string) (string, error) {
	if skillID == "" {
		return "", errors.New("deploy the stack: no skill ID")
	}
	if len(o.Build) > 0 {
		if _, err := o.run(ctx, o.Build[0], o.Build[1:]...); err != nil {
			return "", fmt.Errorf("build the functions (%s): %w", strings.Join(o.Build, " "), err)
		}
	}
	pkg := filepath.Join(o.Dir, ".serverless")
	if _, err := o.run(ctx, o.Bin, append(o.args("package", skillID), "--package", pkg)...); err != nil {
		return "", err
	}
	if err := copyArtifacts(pkg); err != nil {
		return "", err
	}
	out, err := o.run(ctx, o.Bin, append(o.args("deploy", skillID), "--package", pkg)...)
	if err != nil {
		return "", err
	}
	if bytes.Contains(out, []byte("No changes to deploy")) {
		return "stack unchanged (osls: No changes to deploy)", nil
	}
	return "stack " + Service + "-" + o.Stage + " deployed in " + o.Region, nil
}

// copyArtifacts copies each function's artifact that the package's state
// names into the package directory, under its own name.
func copyArtifacts(pkg string) error {
	b, err := os.ReadFile(filepath.Join(pkg, "serverless-state.json"))
	if err != nil {
		return fmt.Errorf("read the packaged state: %w", err)
	}
	var state struct {
		Service struct {
			Functions map[string]struct {
				Package struct {
					Artifact string `json:"artifact"`
				} `json:"package"`
			} `json:"functions"`
		} `json:"service"`
	}
	if err := json.Unmarshal(b, &state); err != nil {
		return fmt.Errorf("read the packaged state: %w", err)
	}
	for name, fn := range state.Service.Functions {
		a := fn.Package.Artifact
		if a == "" {
			return fmt.Errorf("the packaged state names no artifact for function %s", name)
		}
		if !filepath.IsAbs(a) {
			a = filepath.Join(filepath.Dir(pkg), a)
		}
		if filepath.Dir(a) == pkg {
			continue
		}
		data, err := os.ReadFile(a)
		if err != nil {
			return fmt.Errorf("function %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(pkg, filepath.Base(a)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Remove runs `serverless remove`. The audio bucket is kept: its
// DeletionPolicy is Retain.
func (o *OSLS) Remove(ctx context.Context, skillID string) error {
	_, err := o.run(ctx, o.Bin, o.args("remove", skillID)...)
	return err
}

func (o *OSLS) args(cmd, skillID string) []string {
	a := []string{cmd, "--stage", o.Stage, "--region", o.Region}
	if skillID != "" {
		a = append(a, "--param", "skillId="+skillID)
	}
	return a
}

// run runs a command in Dir, copying its output to Out, and returns the
// output; a failure's error ends with the output's last lines.
func (o *OSLS) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if o.Out != nil {
		w = io.MultiWriter(&buf, o.Out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return buf.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(buf.String(), 8))
	}
	return buf.Bytes(), nil
}

// tail returns the last n non-empty lines of s, joined by " | ".
func tail(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// ParameterAPI is what SSMRecord needs of SSM; *ssm.Client implements it.
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// SSMRecord records a created skill's ID in an SSM parameter of the
// deployment's account and region (RecordName). Unlike a file it outlives
// the machine, so a CI run that created the skill and then failed leaves
// the ID for the next run, on another runner, to find. It is written the
// moment CreateSkill returns, before the stack exists.
type SSMRecord struct {
	SSM  ParameterAPI
	Name string
}

var _ Record = (*SSMRecord)(nil)

// SkillID returns the recorded ID, or "".
func (r *SSMRecord) SkillID(ctx context.Context) (string, error) {
	out, err := r.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(r.Name)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get parameter %s: %w", r.Name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// SetSkillID records id.
func (r *SSMRecord) SetSkillID(ctx context.Context, id string) error {
	_, err := r.SSM.PutParameter(ctx, &ssm.PutParameterInput{
		Name:        aws.String(r.Name),
		Value:       aws.String(id),
		Type:        ssmtypes.ParameterTypeString,
		Overwrite:   aws.Bool(true),
		Description: aws.String("the Alexa skill jokebox deploy created for this stage"),
	})
	if err != nil {
		return fmt.Errorf("put parameter %s: %w", r.Name, err)
	}
	return nil
}

// Delete removes the record; a missing one is not an error.
func (r *SSMRecord) Delete(ctx context.Context) error {
	_, err := r.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(r.Name)})
	var nf *ssmtypes.ParameterNotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete parameter %s: %w", r.Name, err)
	}
	return nil
}

// isCode reports whether err is an AWS API error with code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
