// dqlite-tls-node: one node of a go-dqlite `app` cluster that listens with mutual TLS, the way
// production clusters (MicroK8s' datastore, services built on go-dqlite's app package) run. The
// test rig (src/testing/tls-node.ts) starts it; scripts/setup.sh builds it from Debian's
// go-dqlite sources, offline, in GOPATH mode:
//
//	CGO_LDFLAGS_ALLOW='-Wl,-z,now' GO111MODULE=off GOPATH=/usr/share/gocode \
//	  go build -o build/tls-node/dqlite-tls-node src/testing/tls-node/main.go
//
// It prints "ready ID ADDRESS" on stdout once app.Ready returns, then runs until SIGTERM or
// SIGINT, when it hands its roles over and closes. Its data directory holds go-dqlite's own
// files, among them cluster.yaml, the YAML node store a `file://` client reads.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/canonical/go-dqlite/app"
	"github.com/canonical/go-dqlite/client"
)

func main() {
	dir := flag.String("dir", "", "data directory (created if missing)")
	address := flag.String("address", "", "HOST:PORT to listen on")
	join := flag.String("join", "", "comma-separated addresses of existing members to join")
	certFile := flag.String("cert", "", "PEM certificate (it is also the CA, as in app.SimpleTLSConfig)")
	keyFile := flag.String("key", "", "PEM private key of the certificate")
	readyTimeout := flag.Duration("ready-timeout", 30*time.Second, "bound on app.Ready")
	verbose := flag.Bool("verbose", false, "log go-dqlite's debug messages on stderr")
	flag.Parse()
	if *dir == "" || *address == "" || *certFile == "" || *keyFile == "" {
		fail("usage: dqlite-tls-node --dir DIR --address HOST:PORT --cert FILE --key FILE [--join HOST:PORT,…]")
	}
	if err := run(*dir, *address, *join, *certFile, *keyFile, *readyTimeout, *verbose); err != nil {
		fail(err.Error())
	}
}

func run(dir, address, join, certFile, keyFile string, readyTimeout time.Duration, verbose bool) error {
	listen, dial, err := tlsConfigs(certFile, keyFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// With TLS, go-dqlite 1.11 binds its engine to the abstract unix socket "@dqlite-<node id>",
	// and every bootstrap node has the same id: a second cluster on the same machine would fail
	// with "failed to set bind address". The snap instance name is the only part of that socket
	// name it lets us choose, so each node takes its own listen address there.
	if err := os.Setenv("SNAP_INSTANCE_NAME", "dqlite-wire-"+strings.NewReplacer(":", "-", "[", "", "]", "").Replace(address)); err != nil {
		return err
	}
	options := []app.Option{
		app.WithAddress(address),
		app.WithTLS(listen, dial),
		// Joining nodes ask to become voters at this pace; the default (30 s) would make a
		// 3-node test cluster slow to form.
		app.WithRolesAdjustmentFrequency(time.Second),
		app.WithLogFunc(logFunc(verbose)),
	}
	if join != "" {
		options = append(options, app.WithCluster(strings.Split(join, ",")))
	}
	node, err := app.New(dir, options...)
	if err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := node.Ready(ctx); err != nil {
		node.Close()
		return fmt.Errorf("node at %s not ready: %w", address, err)
	}
	fmt.Printf("ready %d %s\n", node.ID(), node.Address())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	handover, cancelHandover := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHandover()
	node.Handover(handover) // best effort: a last node has nobody to hand over to
	return node.Close()
}

// tlsConfigs loads the key pair and trusts the certificate itself as the CA, exactly as a
// go-dqlite application built with app.SimpleTLSConfig does.
func tlsConfigs(certFile, keyFile string) (*tls.Config, *tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("load key pair: %w", err)
	}
	data, err := ioutil.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, nil, fmt.Errorf("%s holds no PEM certificate", certFile)
	}
	listen, dial := app.SimpleTLSConfig(cert, pool)
	// The nodes dial each other under one server name, so SimpleDialTLSConfig's shared session
	// cache offers one node's TLS 1.3 ticket to another; with Debian's Go 1.19 that fails the
	// handshake ("bad record MAC", "invalid PSK binder") and stalls role changes for many
	// seconds. Without resumption between nodes a 3-node cluster forms in about two seconds. The
	// listening side, which is all a client meets, is SimpleTLSConfig's unchanged.
	dial.ClientSessionCache = nil
	return listen, dial, nil
}

func logFunc(verbose bool) client.LogFunc {
	return func(level client.LogLevel, format string, args ...interface{}) {
		if level == client.LogDebug && !verbose {
			return
		}
		fmt.Fprintf(os.Stderr, "%s: %s\n", level, fmt.Sprintf(format, args...))
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "dqlite-tls-node:", message)
	os.Exit(1)
}
