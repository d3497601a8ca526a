package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/lwa"
	"github.com/jokebox/jokebox/shared/smapi"
)

// loginOptions are `jokebox login`'s flags.
type loginOptions struct {
	clientID  *string
	port      *int
	noBrowser *bool
	print     *bool
	vendor    *string
}

// loginCommand is `jokebox login`.
func loginCommand() *command {
	cmd := &command{name: "login",
		summary: "sign in with Login with Amazon and keep the SMAPI credentials (refresh token, client, vendor) for the other commands",
		example: "jokebox login --client-id amzn1.application-oa2-client.0123",
		env: []config.Var{config.EnvLWAClientID, config.EnvLWAClientSecret, config.EnvLWAClientConfirmation, config.EnvVendorID,
			config.EnvSMAPIURL, config.EnvLWATokenHost, config.EnvLWAAuthorizeHost}}
	o := &loginOptions{
		clientID:  cmd.flags.String("client-id", "", "the security profile's client `ID` (default $"+config.EnvLWAClientID.Name+", else the login file's); the secret is read from $"+config.EnvLWAClientSecret.Name+" or asked for, never taken as a flag"),
		port:      cmd.flags.Int("port", lwa.DefaultPort, "loopback `PORT` of the return URL http://127.0.0.1:PORT/cb, which the security profile must allow"),
		noBrowser: cmd.flags.Bool("no-browser", false, "print the consent page's address and read the address the browser was sent to (or the code) from stdin"),
		print:     cmd.flags.Bool("print", false, "print the ASK_* lines for CI secrets on stdout instead of storing the login"),
		vendor:    cmd.flags.String("vendor", "", "the vendor `ID` to keep when the account has several"),
	}
	cmd.run = func(ctx context.Context, c *cli, _ *command, _ []string) error { return runLogin(ctx, c, o) }
	return cmd
}

// runLogin signs the owner in, finds the vendor and stores (or prints)
// the credentials.
func runLogin(ctx context.Context, c *cli, o *loginOptions) error {
	ask, err := config.LoadASK(c.getenv)
	if err != nil {
		return err
	}
	if *o.port < 1 || *o.port > 65535 {
		return fmt.Errorf("login: --port %d is not a TCP port (1-65535)", *o.port)
	}
	path, err := c.loginPath()
	if err != nil && !*o.print {
		return err
	}
	var old lwa.Saved
	if path != "" {
		old, _ = lwa.Load(path) // a usable old login gives the client
	}
	clientID := firstNonEmpty(strings.TrimSpace(*o.clientID), ask.ClientID, old.ClientID)
	if clientID == "" {
		return fmt.Errorf("login: --client-id is required: the client ID of your Login with Amazon security profile (amzn1.application-oa2-client.…; or set %s)", config.EnvLWAClientID.Name)
	}
	secret := ask.ClientSecret
	if secret == "" && clientID == old.ClientID {
		secret = old.ClientSecret
	}
	if secret == "" {
		if secret, err = readSecret(c, "Client secret of the security profile "+clientID+" (not shown): "); err != nil {
			return fmt.Errorf("login: read the client secret: %w (or set %s)", err, config.EnvLWAClientSecret.Name)
		}
	}
	if secret == "" {
		return fmt.Errorf("login: no client secret: type it when asked, or set %s", config.EnvLWAClientSecret.Name)
	}
	fmt.Fprintf(c.stderr, "The security profile's Allowed Return URLs must include %s\n", lwa.RedirectURL(*o.port))
	flow := &lwa.Flow{
		ClientID: clientID, ClientSecret: secret,
		AuthorizeURL: ask.AuthorizeURL, TokenURL: ask.TokenURL,
		Port: *o.port, In: c.stdin, Out: c.stderr,
	}
	if !*o.noBrowser {
		flow.Browse = c.browse
		if flow.Browse == nil {
			flow.Browse = openBrowser
		}
	}
	tok, err := flow.Run(ctx)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	s := smapiConfig{ask: ask, creds: smapi.Credentials{ClientID: clientID, ClientSecret: secret, RefreshToken: tok.RefreshToken}, from: "this login"}
	vendor, err := pickVendor(ctx, newSMAPIClient(c, s), firstNonEmpty(*o.vendor, ask.VendorID))
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if *o.print {
		fmt.Fprintf(c.stdout, "%s=%s\n%s=%s\n%s=%s\n%s=%s\n",
			config.EnvLWAClientID.Name, clientID, config.EnvLWAClientSecret.Name, secret,
			config.EnvRefreshToken.Name, tok.RefreshToken, config.EnvVendorID.Name, vendor.ID)
		fmt.Fprintf(c.stderr, "Signed in as vendor %s (%s). Nothing was stored: keep these lines as CI secrets.\n", vendor.ID, vendor.Name)
		return nil
	}
	saved := lwa.Saved{ClientID: clientID, ClientSecret: secret, RefreshToken: tok.RefreshToken, VendorID: vendor.ID,
		Scopes: lwa.Scopes, SavedAt: time.Now().UTC()}
	if err := lwa.Save(path, saved); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	fmt.Fprintf(c.stdout, "Signed in as vendor %s (%s). The login is kept in %s (readable by you only).\n", vendor.ID, vendor.Name, path)
	if ask.HasCredentials() {
		fmt.Fprintf(c.stdout, "Note: the %s variables are set, and they win over the login file.\n", "ASK_*")
	}
	fmt.Fprintln(c.stdout, "Next: jokebox deploy")
	return nil
}

// pickVendor finds the vendor to keep: want when set (it must be one of
// the account's), else the account's only one.
func pickVendor(ctx context.Context, client *smapi.Client, want string) (smapi.Vendor, error) {
	vs, err := client.Vendors(ctx)
	if err != nil {
		return smapi.Vendor{}, fmt.Errorf("list the account's vendors: %w", err)
	}
	list := func() string {
		var b strings.Builder
		for _, v := range vs {
			fmt.Fprintf(&b, "\n  %s  %s", v.ID, v.Name)
		}
		return b.String()
	}
	switch {
	case len(vs) == 0:
		return smapi.Vendor{}, errors.New("this Amazon account has no Alexa developer vendor: sign in to the Alexa developer console once to make one, then run jokebox login again")
	case want != "":
		if i := slices.IndexFunc(vs, func(v smapi.Vendor) bool { return v.ID == want }); i >= 0 {
			return vs[i], nil
		}
		return smapi.Vendor{}, fmt.Errorf("vendor %q is not one of this account's:%s", want, list())
	case len(vs) == 1:
		return vs[0], nil
	default:
		return smapi.Vendor{}, fmt.Errorf("this account has %d vendors; pick one with jokebox login --vendor ID (nothing was stored):%s", len(vs), list())
	}
}

// readSecret asks for a secret on stderr and reads it from stdin, without
// echo when stdin is a terminal.
func readSecret(c *cli, prompt string) (string, error) {
	fmt.Fprint(c.stderr, prompt)
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		return strings.TrimSpace(string(b)), err
	}
	line, err := lwa.ReadLine(c.stdin)
	return strings.TrimSpace(line), err
}

// openBrowser opens url in the desktop's browser: xdg-open, or open on
// macOS. The consent page's URL holds no secret (the client ID, the
// scopes, the state and the PKCE challenge), so it may be an argument.
func openBrowser(ctx context.Context, url string) error {
	name, args := "xdg-open", []string{url}
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	}
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; the browser outlives the opener
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
