package store

import (
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/jokebox/jokebox/shared/skill"
)

// The SDK clients and the store satisfy the interfaces their consumers
// declare, with the SDK's exact signatures.
var (
	_ S3                   = (*s3.Client)(nil)
	_ SSM                  = (*ssm.Client)(nil)
	_ skill.ManifestSource = (*Store)(nil)
	_ skill.Signer         = (*Presigner)(nil)
)
