package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/manifest"
	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/skill"
	"github.com/jokebox/jokebox/shared/store"
)

// loadedSource serves one manifest, as the store does once the skill has
// loaded it: the benchmark measures serving, not S3.
type loadedSource struct{ m *manifest.Manifest }

func (s loadedSource) Pointer(context.Context) (manifest.Pointer, error) {
	return manifest.Pointer{Version: s.m.Version}, nil
}

func (s loadedSource) Fetch(context.Context, manifest.Pointer) (*manifest.Manifest, error) {
	return s.m, nil
}

// realSkill is the production skill handler with a real URL signer over a
// 1,000-entry manifest, answering the skill ID verifytest.Body uses.
func realSkill(b *testing.B) server.Invoker {
	b.Helper()
	m := manifest.New()
	changes := make([]manifest.Change, 1000)
	for i := range changes {
		changes[i] = manifest.Upsert(manifest.Entry{Key: fmt.Sprintf("folder-%d/joke-%04d.mp3", i%10, i), Size: 5259, ETag: "0123456789abcdef0123456789abcdef"})
	}
	m.Apply(changes, rand.New(rand.NewPCG(1, 2)))
	m.Version = 1
	signer, err := store.NewPresigner(s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}), "jokes", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h, err := skill.New(loadedSource{m}, signer, skill.Config{SkillID: "amzn1.ask.skill.test", ManifestTTL: time.Hour}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
}
