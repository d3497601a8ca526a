package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/shared/deploy"
	"github.com/jokebox/jokebox/shared/skillpkg"
)

// TestMotoSkillBuild: a bucket with folders "Cuentos de Miedo/",
// "knock-knock/", "animales/" and files at the top level, reindexed, gives
// five models whose playlist values are those folders with their spoken
// forms and synonyms; `skill validate` passes on the output and warns,
// naming them, about the folders the committed package lacks.
func TestMotoSkillBuild(t *testing.T) {
	const bucket = "voice"
	ctx := context.Background()
	s3c := motoBucket(t, bucket)
	for key, sample := range map[string]string{
		"Cuentos de Miedo/el gusano.mp3":  "animales/el-gusano.mp3",
		"knock-knock/anti-gravity.mp3":    "jokes/anti-gravity.mp3",
		"animales/la-vaca.mp3":            "animales/la-vaca-en-el-terremoto.mp3",
		"bienvenida.mp3":                  "chistes/el-semaforo.mp3",
		"otro-chiste-sin-carpeta.mp3":     "chistes/el-pez-y-el-mar.mp3",
		"knock-knock/fake-noodle.mp3":     "jokes/fake-noodle.mp3",
		"Cuentos de Miedo/el-filete.mp3":  "chistes/el-filete-nervioso.mp3",
		"Cuentos de Miedo/el-libro.mp3":   "chistes/el-libro-de-matematicas.mp3",
		"animales/el pato y el ñandú.mp3": "animales/el pato y el ñandú.mp3",
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "media", sample))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	jokebox(t, "reindex")

	// The committed package names none of these folders but animales.
	out := jokebox(t, "skill", "validate", "--dir", "../../skill-package")
	for _, want := range []string{`warning: es-ES: playlist-missing: PlaylistName values lack folders of the bucket: "Cuentos de Miedo", "knock-knock"`, "ok (5 locales"} {
		if !strings.Contains(out, want) {
			t.Errorf("skill validate said:\n%s\nwant it to contain %q", out, want)
		}
	}

	dir := t.TempDir()
	out = jokebox(t, "skill", "build", "--dir", "../../skill-package", "--out", dir)
	if !strings.Contains(out, "5 locales, 3 folders: Cuentos de Miedo, animales, knock-knock") {
		t.Errorf("skill build said %q", out)
	}
	// Each folder's forms, for the owner to see and override.
	for _, want := range []string{"Cuentos de Miedo\n", "    es-ES  cuentos de miedo (cuento de miedo)\n", "    en-US  animals (", "playlists.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("skill build said:\n%s\nwant it to contain %q", out, want)
		}
	}
	pkg, err := skillpkg.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Models) != 5 {
		t.Errorf("%d models; want 5", len(pkg.Models))
	}
	for locale, m := range pkg.Models {
		got := map[string]skillpkg.SlotValueName{}
		for _, ty := range m.InteractionModel.LanguageModel.Types {
			if ty.Name == skillpkg.PlaylistType {
				for _, v := range ty.Values {
					got[v.ID] = v.Name
				}
			}
		}
		if len(got) != 3 {
			t.Errorf("%s: playlist values %v; want the 3 folders", locale, got)
		}
		if v := got["Cuentos de Miedo"]; v.Value != "cuentos de miedo" {
			t.Errorf("%s: Cuentos de Miedo is said %q", locale, v.Value)
		}
		// "knock knocks" is no way to say it; the synonyms are there, empty
		if v := got["knock-knock"]; v.Value != "knock knock" || v.Synonyms == nil || slices.Contains(v.Synonyms, "knock knocks") {
			t.Errorf("%s: knock-knock is %+v", locale, v)
		}
		if strings.HasPrefix(locale, "es") {
			if v := got["Cuentos de Miedo"]; !slices.Contains(v.Synonyms, "cuento de miedo") {
				t.Errorf("%s: Cuentos de Miedo synonyms %q lack the singular", locale, v.Synonyms)
			}
			// animales is Spanish (playlists.json); its accent-free and singular forms
			if v := got["animales"]; v.Value != "animales" || !slices.Contains(v.Synonyms, "animal") || !slices.Contains(v.Synonyms, "sonidos de animales") {
				t.Errorf("%s: animales is %+v", locale, v)
			}
		} else if v := got["animales"]; v.Value != "animals" || !slices.Contains(v.Synonyms, "animal") {
			t.Errorf("%s: animales is %+v; want the owner's name animals", locale, v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "playlists.json")); err != nil {
		t.Errorf("the overrides file was not carried over: %v", err)
	}
	// deploy-model uploads exactly these files: same build, same bytes.
	var log bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &log, stderr: &log, getenv: os.Getenv}
	deployed, _, err := buildFromManifest(ctx, c, "../../skill-package")
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := deploy.ModelBodies(deployed, deployed.Locales())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range deployed.Locales() {
		written, err := os.ReadFile(skillpkg.ModelPath(dir, l))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bodies[l], written) {
			t.Errorf("%s: deploy-model would upload other bytes than skill build wrote", l)
		}
	}
	out = jokebox(t, "skill", "validate", "--dir", dir)
	if !strings.Contains(out, "ok (5 locales") || strings.Contains(out, "warning") {
		t.Errorf("skill validate on the built package said:\n%s", out)
	}
}
