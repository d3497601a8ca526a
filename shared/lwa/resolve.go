package lwa

import (
	"fmt"
	"strings"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/smapi"
)

// Resolved is the credentials an SMAPI-using command uses, and where they
// came from.
type Resolved struct {
	Credentials smapi.Credentials
	// VendorID is ASK_VENDOR_ID, else the login file's when the
	// credentials came from it; "" when neither has one.
	VendorID string
	// From is "the environment" or the login file's path.
	From string
}

// NoCredentialsError reports that neither the environment nor a login file
// holds SMAPI credentials, naming both ways to provide them.
type NoCredentialsError struct {
	// Missing names the unset variables.
	Missing []string
	// Partial is true when the environment set some credentials, but not
	// all: the login file is then not read.
	Partial bool
	// Path is the login file looked for ("" when unknown).
	Path string
}

func (e *NoCredentialsError) Error() string {
	if e.Partial {
		return fmt.Sprintf("missing %s: the environment sets some Login with Amazon credentials, so it must set them all (or unset them all to use the login file)", strings.Join(e.Missing, ", "))
	}
	return "no SMAPI credentials: " + e.Remedy()
}

// Remedy says how to give the credentials: jokebox login, or the
// variables.
func (e *NoCredentialsError) Remedy() string {
	where := "the login file"
	if e.Path != "" {
		where = e.Path
	}
	return fmt.Sprintf("run jokebox login, which stores them in %s, or set %s", where, strings.Join(e.Missing, ", "))
}

// Resolve finds the SMAPI credentials: the environment's when it sets any
// (then it must set all three), else the login file at path. The
// environment's ASK_VENDOR_ID overrides the file's vendor.
func Resolve(ask config.ASK, path string) (Resolved, error) {
	if ask.HasCredentials() {
		if m := ask.MissingCredentials(); len(m) > 0 {
			return Resolved{}, &NoCredentialsError{Missing: m, Partial: true, Path: path}
		}
		return Resolved{
			Credentials: smapi.Credentials{ClientID: ask.ClientID, ClientSecret: ask.ClientSecret, RefreshToken: ask.RefreshToken},
			VendorID:    ask.VendorID,
			From:        "the environment",
		}, nil
	}
	if path == "" {
		return Resolved{}, &NoCredentialsError{Missing: ask.MissingCredentials()}
	}
	s, err := Load(path)
	if missingFile(err) {
		return Resolved{}, &NoCredentialsError{Missing: ask.MissingCredentials(), Path: path}
	}
	if err != nil {
		return Resolved{}, err
	}
	r := Resolved{
		Credentials: smapi.Credentials{ClientID: s.ClientID, ClientSecret: s.ClientSecret, RefreshToken: s.RefreshToken},
		VendorID:    s.VendorID,
		From:        path,
	}
	if ask.VendorID != "" {
		r.VendorID = ask.VendorID
	}
	return r, nil
}
