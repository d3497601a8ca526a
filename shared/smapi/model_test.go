package smapi

import (
	"slices"
	"testing"

	"github.com/jokebox/jokebox/shared/smapi/smapitest"
)

var model *smapitest.Model

// loadModel returns the model excerpt the fakes answer by
// (smapitest/ask-smapi-model.json).
func loadModel(t *testing.T) *smapitest.Model {
	t.Helper()
	model = smapitest.LoadModel()
	return model
}

// TestModelExcerpt checks the vendored excerpt itself and the statuses this
// package knows against the model's enums: a status outside them stops a
// poll, so they must be exactly the model's.
func TestModelExcerpt(t *testing.T) {
	m := loadModel(t)
	if m.Package != "ask-smapi-model" || m.Version == "" || len(m.Operations) == 0 {
		t.Fatalf("excerpt: package %q version %q, %d operations", m.Package, m.Version, len(m.Operations))
	}
	for _, op := range m.Operations {
		if op.Name == "" || len(op.Responses) == 0 {
			t.Errorf("operation %s %s: name %q, %d responses", op.Method, op.Path, op.Name, len(op.Responses))
		}
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for enum, ours := range map[string][]string{
		"v1.skill.Status": resourceStatuses,
		"v1.skill.validations.ValidationsApiResponseStatus": validationStatuses,
		"v1.skill.certification.CertificationStatus":        certificationStatuses,
		"v1.skill.PublicationMethod":                        {AutoPublishing, ManualPublishing},
	} {
		if got, want := sorted(ours), sorted(m.Enums[enum]); !slices.Equal(got, want) {
			t.Errorf("%s: ours %v; the model's %v", enum, got, want)
		}
	}
	// The submission answers 202 with a Location whose shape the model
	// does not document: the certifications list is the documented way.
	if op := m.Operation("POST", "/v1/skills/x/submit"); op == nil || !slices.Contains(op.Responses["202"].Headers, "Location") {
		t.Errorf("submit operation: %+v; want a 202 with Location", op)
	}
	if op := m.Operation("GET", "/v1/skills/x/certifications"); op == nil || !slices.Contains(op.Responses["200"].Fields, "items") {
		t.Errorf("certifications list operation: %+v; want a 200 with items", op)
	}
}
