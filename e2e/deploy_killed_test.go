package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestDeployKilled kills `jokebox deploy` (and osls under it) with SIGKILL
// right after each step but the last in turn reports done, each time on a
// new stage: the next run finishes the job with the one skill the killed
// run created. (After the last step nothing is left to resume, and the
// process may well have exited 0 before the signal lands.)
func TestDeployKilled(t *testing.T) {
	w := newDeployWorld(t)
	steps := 0
	out, err := w.jokebox(t, w.env(t), 0, "deploy", "--dry-run", "--region", deployRegion)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " would ") {
			steps++
		}
	}
	if steps < 6 {
		t.Fatalf("the dry run lists %d steps:\n%s", steps, out)
	}
	for n := 1; n < steps; n++ {
		stage := fmt.Sprintf("kill%d", n)
		before := len(w.smapi.Skills())
		out, err := w.jokebox(t, w.env(t), n, "deploy", "--stage", stage, "--region", deployRegion)
		if err == nil {
			t.Fatalf("killed after step %d, jokebox deploy still succeeded:\n%s", n, out)
		}
		out, err = w.jokebox(t, w.env(t), 0, "deploy", "--stage", stage, "--region", deployRegion)
		if err != nil {
			t.Fatalf("killed after step %d: the next run failed: %v\n%s", n, err, out)
		}
		skills := w.smapi.Skills()
		if len(skills) != before+1 {
			t.Fatalf("killed after step %d: %d skills created; want 1", n, len(skills)-before)
		}
		id := skills[len(skills)-1].ID
		if got := w.stageSkill(t, stage); got != id {
			t.Errorf("killed after step %d: the stack answers %q; want %q", n, got, id)
		}
		w.checkDeployed(t, id, stage)
	}
}
