package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jokebox/jokebox/shared/release"
)

// RemovableStack is a stack Destroy can remove; *OSLS implements it.
type RemovableStack interface {
	Stack
	Remove(ctx context.Context, skillID string) error
}

// SkillDeleter is what Destroy needs of SMAPI; *smapi.Client implements it.
type SkillDeleter interface {
	DeleteSkill(ctx context.Context, skillID string) error
}

// DeletableRecord is a Record Destroy can delete; *SSMRecord implements it.
type DeletableRecord interface {
	Record
	Delete(ctx context.Context) error
}

// Destroyer removes a stage. Set the fields before use.
type Destroyer struct {
	Stack RemovableStack
	// Record is the created skill's record, forgotten with the skill.
	Record DeletableRecord
	// Skill deletes the skill; needed only with DeleteSkill.
	Skill SkillDeleter
	// SkillID is the configured skill (JOKEBOX_SKILL_ID), or "".
	SkillID string
	// DeleteSkill also deletes the skill (--skill).
	DeleteSkill bool
	Out         io.Writer
	DryRun      bool
	Resume      string
}

// Destroy removes the stack (the audio bucket stays: its DeletionPolicy is
// Retain) and, with DeleteSkill, the skill and its record. Each step is
// skipped when there is nothing left to remove.
func (d *Destroyer) Destroy(ctx context.Context) error {
	if !d.DryRun && (d.Stack == nil || d.Record == nil || d.DeleteSkill && d.Skill == nil) {
		return fmt.Errorf("destroy: missing the stack, the record or the SMAPI client")
	}
	var skillID string
	steps := []release.Step{
		{Name: "remove the stack (the audio bucket is kept)", Run: func(ctx context.Context) (string, error) {
			info, ok, err := d.Stack.Info(ctx)
			if err != nil {
				return "", fmt.Errorf("read the deployed stack: %w", err)
			}
			skillID = info.SkillID
			if !ok {
				return "no stack", nil
			}
			if err := d.Stack.Remove(ctx, info.SkillID); err != nil {
				return "", err
			}
			return "stack removed", nil
		}},
	}
	if d.DeleteSkill {
		steps = append(steps, release.Step{Name: "delete the skill", Run: func(ctx context.Context) (string, error) {
			id, err := d.Record.SkillID(ctx)
			if err != nil {
				return "", err
			}
			var ids []string
			for _, s := range []string{skillID, id, d.SkillID} {
				if s != "" && !strings.Contains(strings.Join(ids, " "), s) {
					ids = append(ids, s)
				}
			}
			if len(ids) == 0 {
				return "no skill known for this stage", nil
			}
			if len(ids) > 1 {
				return "", fmt.Errorf("the stage knows several skills (%s): delete the one you mean with JOKEBOX_SKILL_ID set to it and the others in the developer console", strings.Join(ids, ", "))
			}
			if err := d.Skill.DeleteSkill(ctx, ids[0]); err != nil && !IsNotFound(err) {
				return "", fmt.Errorf("delete skill %s: %w", ids[0], err)
			}
			if err := d.Record.Delete(ctx); err != nil {
				return "", err
			}
			return "skill " + ids[0] + " deleted", nil
		}})
	}
	return release.RunSteps(ctx, d.Out, "destroy", steps, d.DryRun, d.Resume)
}
