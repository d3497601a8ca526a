package index

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/motoserver"
)

// TestMotoDeleteDuringSlowPublish is TestDeleteDuringSlowPublish on
// moto_server.
func TestMotoDeleteDuringSlowPublish(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(motoserver.Start(t))
	s3c := motoserver.S3(cfg)
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(memBucket)}); err != nil {
		t.Fatal(err)
	}
	deleteDuringSlowPublish(t, s3c, func(key string) {
		if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(memBucket), Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	})
}
