package devstack

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/jokebox/jokebox/shared/skillpkg"
	"github.com/jokebox/jokebox/shared/spoken"
	skillpackage "github.com/jokebox/jokebox/skill-package"
)

// withModels serves GET /model/{locale}: the interaction model of a locale
// built for the folders indexed now, by the same skillpkg.Build as `jokebox
// skill build`, from the skill package embedded in the binary. Everything
// else goes to h. The simulator page matches typed text against it.
func withModels(h http.Handler, info InfoFunc) http.Handler {
	pkg, over, loadErr := embeddedPackage()
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /model/{locale}", func(w http.ResponseWriter, r *http.Request) {
		if loadErr != nil {
			modelError(w, http.StatusInternalServerError, loadErr.Error())
			return
		}
		var folders []string
		for _, p := range info(r.Context()).Playlists {
			if p.Name != "" {
				folders = append(folders, p.Name)
			}
		}
		built, _ := skillpkg.Build(pkg, folders, over)
		m, ok := built.Models[r.PathValue("locale")]
		if !ok {
			modelError(w, http.StatusNotFound, "no interaction model for that locale; have "+strings.Join(pkg.Locales(), ", "))
			return
		}
		b, err := skillpkg.EncodeModel(m)
		if err != nil {
			modelError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
	return mux
}

func embeddedPackage() (*skillpkg.Package, *spoken.Overrides, error) {
	pkg, err := skillpkg.LoadFS(skillpackage.FS())
	if err != nil {
		return nil, nil, fmt.Errorf("embedded skill package: %w", err)
	}
	over, err := pkg.ParseOverrides()
	if err != nil {
		return nil, nil, fmt.Errorf("embedded skill package: %w", err)
	}
	return pkg, over, nil
}

func modelError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
