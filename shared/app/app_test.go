package app_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jokebox/jokebox/shared/app"
	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/listeners"
)

// TestListenersFromConfig: JOKEBOX_LISTENERS_TABLE gives the skill the
// table; without it the skill has none and says so once, at start.
func TestListenersFromConfig(t *testing.T) {
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	for _, table := range []string{"jokebox-prod-listeners", ""} {
		t.Run("table="+table, func(t *testing.T) {
			cfg, err := config.Load(func(k string) string {
				return map[string]string{"JOKEBOX_BUCKET": "b", "JOKEBOX_LISTENERS_TABLE": table}[k]
			}, config.NeedBucket)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			a := app.FromAWS(cfg, awsCfg, slog.New(slog.NewTextHandler(&logs, nil)))
			tb, isTable := a.Listeners.(*listeners.Table)
			if (table != "") != isTable || (isTable && tb.Name() != table) {
				t.Fatalf("Listeners = %#v; want the table %q", a.Listeners, table)
			}
			if table == "" && a.Listeners != nil {
				t.Fatalf("Listeners = %#v without a table; want nil", a.Listeners)
			}
			if _, err := a.Skill(); err != nil {
				t.Fatal(err)
			}
			said := strings.Count(logs.String(), "listeners are not remembered")
			if want := map[bool]int{true: 0, false: 1}[isTable]; said != want {
				t.Errorf("the start logs said %d times that listeners are not remembered; want %d:\n%s", said, want, logs.String())
			}
		})
	}
}
