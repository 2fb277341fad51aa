/*
 * A bare dqlite node on libdqlite's C API, for tests, the demo and benchmarks against a current
 * dqlite (built from source by scripts/setup.sh; Debian ships 1.11 only).
 *
 *   dqlite-bare-node --id N --address 127.0.0.1:PORT --dir DIR
 *
 * Node 1 bootstraps a one-node cluster; any other id starts empty and serves once the cluster's
 * leader adds it (ADD, then ASSIGN a role), which the test rig does through the client. Nothing
 * here goes beyond what dqlite itself offers: the node speaks the wire protocol on its address and
 * nothing else (no HTTP API, no automatic role management), so what a client sees is dqlite's own
 * behaviour.
 *
 * It prints "ready <address> version <N>" on stdout once the node runs. SIGTERM or SIGINT stops the
 * node and exits 0, without dqlite_node_handover: that call demotes the node (a restart would
 * come back as a spare) and blocks for good on a node that never joined a cluster; the cluster
 * elects a new leader as it would after a crash. A bind failure exits 1 with dqlite's message on
 * stderr, which names the address.
 */

#include <dqlite.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

static void usage(const char *program)
{
	fprintf(stderr, "usage: %s --id N --address HOST:PORT --dir DIR\n",
		program);
	exit(2);
}

static int fail(dqlite_node *node, const char *what, int rv)
{
	fprintf(stderr, "dqlite-bare-node: %s failed (%d): %s\n", what, rv,
		node != NULL ? dqlite_node_errmsg(node) : "");
	return 1;
}

int main(int argc, char **argv)
{
	dqlite_node_id id = 0;
	const char *address = NULL;
	const char *dir = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--id") == 0) {
			id = strtoull(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--address") == 0) {
			address = argv[i + 1];
		} else if (strcmp(argv[i], "--dir") == 0) {
			dir = argv[i + 1];
		} else {
			usage(argv[0]);
		}
	}
	if (id == 0 || address == NULL || dir == NULL || argc % 2 == 0) {
		usage(argv[0]);
	}

	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = on_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	/* A client that goes away mid-write must not kill the node. */
	signal(SIGPIPE, SIG_IGN);

	dqlite_node *node = NULL;
	int rv = dqlite_node_create(id, address, dir, &node);
	if (rv != 0) {
		return fail(node, "dqlite_node_create", rv);
	}
	rv = dqlite_node_set_bind_address(node, address);
	if (rv != 0) {
		/* The message names the address ("failed to set bind address"):
		 * the rig reads it to try other ports. */
		fprintf(stderr, "failed to set bind address %s: %s\n", address,
			dqlite_node_errmsg(node));
		dqlite_node_destroy(node);
		return 1;
	}
	rv = dqlite_node_start(node);
	if (rv != 0) {
		int status = fail(node, "dqlite_node_start", rv);
		dqlite_node_destroy(node);
		return status;
	}
	printf("ready %s version %d\n", address, dqlite_version_number());
	fflush(stdout);

	while (!stop_requested) {
		pause();
	}

	rv = dqlite_node_stop(node);
	dqlite_node_destroy(node);
	if (rv != 0) {
		fprintf(stderr, "dqlite-bare-node: dqlite_node_stop failed (%d)\n",
			rv);
		return 1;
	}
	return 0;
}
