package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/internal/motoserver"
)

// motoBucket starts moto_server, creates bucket and the manifest's SSM
// parameter, and points the CLI's environment at them; it returns the S3
// client.
func motoBucket(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	endpoint := motoserver.Start(t)
	cfg := motoserver.Config(endpoint)
	for k, v := range motoserver.Env(endpoint) {
		t.Setenv(k, v)
	}
	const param = "/jokebox/test/manifest"
	t.Setenv("JOKEBOX_BUCKET", bucket)
	t.Setenv("JOKEBOX_MANIFEST_PARAM", param)
	t.Setenv("JOKEBOX_S3_PATH_STYLE", "true")
	t.Setenv("JOKEBOX_QUEUE_URL", "")
	t.Setenv("JOKEBOX_DEBUG", "")
	s3c := motoserver.S3(cfg)
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String("-"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	return s3c
}
