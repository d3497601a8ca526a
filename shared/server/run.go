package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options configure Run and Serve. Zero durations take the defaults below.
type Options struct {
	// Addr is where Run listens, host:port (":8443").
	Addr string
	// TLSCert and TLSKey are PEM files for HTTPS. With neither, the server
	// speaks plain HTTP and must sit behind a TLS-terminating proxy.
	TLSCert, TLSKey string
	// Verifier and InsecureSkipVerify are as in HandlerOptions.
	Verifier           Verifier
	InsecureSkipVerify bool
	// Logger receives start, stop and request lines; nil discards them.
	Logger *slog.Logger

	ReadHeaderTimeout time.Duration // default 5 s
	ReadTimeout       time.Duration // default 10 s
	WriteTimeout      time.Duration // default 15 s: Alexa gives up after 8
	IdleTimeout       time.Duration // default 120 s
	ShutdownTimeout   time.Duration // default 10 s: in-flight requests finish
}

// Run listens on o.Addr and serves the skill until ctx is done, then shuts
// down gracefully. It returns nil after a clean shutdown.
func Run(ctx context.Context, inv Invoker, o Options) error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("server: give both a TLS certificate and its key, or neither")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return Serve(ctx, ln, inv, o)
}

// Serve is Run on a listener of the caller's; o.Addr is ignored. It closes
// ln.
func Serve(ctx context.Context, ln net.Listener, inv Invoker, o Options) error {
	defer ln.Close()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("server: give both a TLS certificate and its key, or neither")
	}
	h, err := NewHandler(inv, HandlerOptions{Verifier: o.Verifier, InsecureSkipVerify: o.InsecureSkipVerify, Logger: log})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, 5*time.Second),
		ReadTimeout:       orDefault(o.ReadTimeout, 10*time.Second),
		WriteTimeout:      orDefault(o.WriteTimeout, 15*time.Second),
		IdleTimeout:       orDefault(o.IdleTimeout, 120*time.Second),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelInfo),
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return fmt.Errorf("server: load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	addr := ln.Addr().String()
	if o.InsecureSkipVerify {
		log.Warn("REQUEST VERIFICATION IS OFF (--insecure-skip-verify): this endpoint must not face the internet", "addr", addr)
		log.Warn("anyone who can reach this endpoint can call the skill as if they were Alexa: this endpoint must not face the internet")
		log.Warn("use --insecure-skip-verify only on a private network for local testing: this endpoint must not face the internet")
	}
	errc := make(chan error, 1)
	if srv.TLSConfig != nil {
		log.Info("serving HTTPS", "addr", addr, "path", AlexaPath, "verify", !o.InsecureSkipVerify)
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		log.Warn("serving plain HTTP; put it behind a TLS-terminating proxy", "addr", addr, "path", AlexaPath, "verify", !o.InsecureSkipVerify)
		go func() { errc <- srv.Serve(ln) }()
	}

	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "addr", addr, "grace", orDefault(o.ShutdownTimeout, 10*time.Second))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), orDefault(o.ShutdownTimeout, 10*time.Second))
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	log.Info("stopped", "addr", addr)
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
