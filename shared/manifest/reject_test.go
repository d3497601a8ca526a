package manifest

import (
	"math/rand/v2"
	"testing"
)

// A rejected file that is deleted must leave the rejected list, and Apply
// must say it changed the manifest, or the change is never published.
func TestApplyDropsDeletedRejection(t *testing.T) {
	t.Parallel()
	m := New()
	rng := rand.New(rand.NewPCG(1, 2))
	m.Apply([]Change{Reject(Rejection{Key: "a/text.mp3", ETag: "e", Reason: "not an MP3 stream"})}, rng)
	if len(m.Rejected) != 1 {
		t.Fatalf("rejected = %v; want a/text.mp3", m.Rejected)
	}
	sum := m.Apply([]Change{Remove("a/text.mp3")}, rng)
	if len(m.Rejected) != 0 {
		t.Errorf("rejected after removal = %v; want none", m.Rejected)
	}
	if !sum.Changed() {
		t.Errorf("Apply(Remove of a rejected key) = %+v; want a change", sum)
	}
	if sum := m.Apply([]Change{Remove("a/text.mp3")}, rng); sum.Changed() {
		t.Errorf("second Apply(Remove) = %+v; want no change", sum)
	}
}
