/*
 * test_ctlserver.c - the control socket's fairness: who gets a slot
 * (ctl_admit, a table of slot tables), the cap on a client's unsent output,
 * the request and write deadlines (ctl_sweep), and an oversized request that
 * is answered and closed cleanly, on socketpairs.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlserver.h"

static struct ctl_server server;

static void server_clear(struct ctl_server *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
}

static void server_drop_all(struct ctl_server *s)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_drop(&s->clients[i]);
}

/* ---- ctl_admit ------------------------------------------------------- */

/*
 * A slot table as text, one character a slot: '.' free, 'a' to 'h' a
 * client of read-only uid 1000 to 1007 that has sent no request, 'A' to 'H'
 * one that waits for its answer (nothing unsent), 'S' one of uid 1000 whose
 * reply waits unread, 'R' one of root (privileged).  Every client connected at 100 + its slot, except slot
 * oldest (at 0).
 */
struct admit_case {
	const char *name;
	const char *table;
	int oldest; /* -1: none earlier than its slot says */
	char peer; /* 'a' to 'h', or 'R' */
	enum ctl_verdict verdict;
	size_t slot; /* for CTL_ADMIT and CTL_ADMIT_EVICT */
};

#define EMPTY "................................"

static const struct admit_case admit_cases[] = {
	{"empty, read-only", EMPTY, -1, 'a', CTL_ADMIT, 0},
	{"empty, root", EMPTY, -1, 'R', CTL_ADMIT, 0},
	{"a user's 4th", "aaa.............................", -1, 'a', CTL_ADMIT,
	 3},
	{"a user's 5th", "aaaa............................", -1, 'a',
	 CTL_REFUSE_SHARE, 0},
	{"another user beside a full share", "aaaa............................",
	 -1, 'b', CTL_ADMIT, 4},
	{"the first free slot, between others",
	 "aa.abbbb.ccc....................", -1, 'c', CTL_ADMIT, 2},
	{"root has no share", "RRRRRRRRRR......................", -1, 'R',
	 CTL_ADMIT, 10},
	{"the 28th read-only slot", "aaaabbbbccccddddeeeeffffggg.....", -1, 'h',
	 CTL_ADMIT, 27},
	{"the 28th read-only slot, reserve in use",
	 "aaaabbbbccccddddeeeeffffggg.RRRR", -1, 'h', CTL_ADMIT, 27},
	{"the reserve is not for read-only users",
	 "aaaabbbbccccddddeeeeffffgggg....", -1, 'h', CTL_REFUSE_FULL, 0},
	{"the share before the reserve", "aaaabbbbccccddddeeeeffffgggg....", -1,
	 'a', CTL_REFUSE_SHARE, 0},
	{"root takes the reserve", "aaaabbbbccccddddeeeeffffgggg....", -1, 'R',
	 CTL_ADMIT, 28},
	{"full: root evicts the oldest read-only client",
	 "aaaabbbbccccddddeeeeffffggggRRRR", 13, 'R', CTL_ADMIT_EVICT, 13},
	{"full: never a root client", "aaaabbbbccccddddeeeeffffggggRRRR", 30,
	 'R', CTL_ADMIT_EVICT, 0},
	{"full: a read-only user evicts no one",
	 "aaaabbbbccccddddeeeeffffggggRRRR", -1, 'h', CTL_REFUSE_FULL, 0},
	{"full of root and a few readers: no slot for a reader",
	 "RRRRRRRRRRRRRRRRRRRRaaaabbbbcccc", -1, 'd', CTL_REFUSE_FULL, 0},
	{"full of root and a few readers: root evicts a reader",
	 "RRRRRRRRRRRRRRRRRRRRaaaabbbbcccc", -1, 'R', CTL_ADMIT_EVICT, 20},
	{"a free slot goes before any eviction",
	 "Aaaabbbbccccddddeeeeffffgggg.RRR", 0, 'R', CTL_ADMIT, 28},
	{"full: an idle reader goes before an older one that waits",
	 "AaaabbbbccccddddeeeeffffggggRRRR", 0, 'R', CTL_ADMIT_EVICT, 1},
	{"full: a reader that does not read goes before one that waits",
	 "RRRRRRRRRRRRRRRRRRRRRRRRRRRRAASA", 28, 'R', CTL_ADMIT_EVICT, 30},
	{"full: a reader that waits goes when all do",
	 "RRRRRRRRRRRRRRRRRRRRRRRRRRRRABCD", 30, 'R', CTL_ADMIT_EVICT, 30},
	{"a waiting reader counts in its user's share",
	 "AAaa............................", -1, 'a', CTL_REFUSE_SHARE, 0},
	{"all root: refused", "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR", -1, 'R',
	 CTL_REFUSE_FULL, 0},
};

static uid_t peer_uid(char k)
{
	if (k == 'R')
		return 0;
	if (k == 'S')
		return 1000;
	return (uid_t)(1000 + (k >= 'a' ? k - 'a' : k - 'A'));
}

static void table_fill(struct ctl_server *s, const struct admit_case *tc)
{
	size_t i;

	server_clear(s);
	assert_int_equal(strlen(tc->table), CTL_MAX_CLIENTS);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (tc->table[i] == '.')
			continue;
		c->fd = 1000 + (int)i; /* never used: ctl_admit only reads */
		c->uid = peer_uid(tc->table[i]);
		c->privileged = tc->table[i] == 'R';
		c->has_request = (tc->table[i] >= 'A' && tc->table[i] <= 'H') ||
				 tc->table[i] == 'S';
		c->out_len = tc->table[i] == 'S'; /* never sent: no buffer */
		c->since = (int)i == tc->oldest ? 0 : 100 + (int64_t)i;
	}
}

static void test_admit_table(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(admit_cases); i++) {
		const struct admit_case *tc = &admit_cases[i];
		size_t slot = SIZE_MAX;
		enum ctl_verdict v;

		table_fill(&server, tc);
		v = ctl_admit(&server, peer_uid(tc->peer), tc->peer == 'R',
			      &slot);
		if (v != tc->verdict)
			tu_report_bad(&bad, "%s: verdict %d, want %d", tc->name,
				      (int)v, (int)tc->verdict);
		else if ((v == CTL_ADMIT || v == CTL_ADMIT_EVICT) &&
			 slot != tc->slot)
			tu_report_bad(&bad, "%s: slot %zu, want %zu", tc->name,
				      slot, tc->slot);
		else if (v != CTL_ADMIT && v != CTL_ADMIT_EVICT &&
			 slot != SIZE_MAX)
			tu_report_bad(&bad, "%s: a refusal wrote the slot",
				      tc->name);
	}
	server_clear(&server);
	assert_int_equal(bad, 0);
}

/* However the read-only users come, they never hold more than their share
 * each nor more than the slots outside the reserve. */
static void test_admit_never_the_reserve(void **state)
{
	size_t per_uid[8] = {0};
	size_t readonly = 0;
	size_t slot;
	unsigned k;

	(void)state;
	server_clear(&server);
	for (k = 0; k < 200; k++) {
		const uid_t uid = 1000 + (k * 7) % 8;

		if (ctl_admit(&server, uid, false, &slot) != CTL_ADMIT)
			continue;
		server.clients[slot].fd = 1000 + (int)slot;
		server.clients[slot].uid = uid;
		per_uid[uid - 1000]++;
		readonly++;
	}
	assert_int_equal(readonly, CTL_MAX_CLIENTS - CTL_RESERVED);
	for (k = 0; k < 8; k++)
		assert_true(per_uid[k] <= CTL_PER_UID_MAX);
	for (k = 0; k < CTL_RESERVED; k++) {
		assert_int_equal(ctl_admit(&server, 0, true, &slot), CTL_ADMIT);
		server.clients[slot].fd = 1000 + (int)slot;
		server.clients[slot].privileged = true;
	}
	assert_int_equal(ctl_admit(&server, 0, true, &slot), CTL_ADMIT_EVICT);
	assert_false(server.clients[slot].privileged);
	server_clear(&server);
}

/* ---- clients on socketpairs -------------------------------------------- */

/* Client slot i on one end of a socketpair; returns the peer's end. */
static int client_pair(struct ctl_server *s, size_t i, int64_t since)
{
	int sv[2];

	assert_int_equal(
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	s->clients[i].fd = sv[0];
	s->clients[i].uid = 1000;
	s->clients[i].pid = 1;
	s->clients[i].since = since;
	s->clients[i].stamp = since;
	return sv[1];
}

static char *line_of(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, 'x', n);
	p[n] = '\0';
	return p;
}

/* A client that does not read: events stop at CTL_EVENTS_MAX, an end line
 * still fits, and a reply that would take its unsent output over
 * CTL_OUT_MAX drops it. */
static void test_send_cap(void **state)
{
	struct ctl_client *c = &server.clients[0];
	char *event = line_of(999);
	char *half = line_of(CTL_OUT_MAX / 2);
	int peer;
	size_t i;

	(void)state;
	server_clear(&server);
	peer = client_pair(&server, 0, ctl_clock());
	for (i = 0; i < 2 * CTL_EVENTS_MAX / 1000; i++)
		assert_int_equal(ctl_send(c, event, false), 0);
	assert_true(c->out_len <= CTL_EVENTS_MAX);
	assert_true(c->out_len > CTL_EVENTS_MAX - 1000);
	assert_int_equal(ctl_send(c, half, true), 0);
	assert_true(c->fd >= 0);
	assert_int_equal(ctl_send(c, half, true), -ENOBUFS);
	assert_int_equal(c->fd, -1);
	assert_null(c->out);
	(void)close(peer);
	free(half);
	free(event);
}

/* The request deadline, the write deadline, and none for a client that
 * waits for events with nothing pending. */
static void test_sweep_deadlines(void **state)
{
	const int64_t now = 1000;
	struct ctl_client *c = server.clients;
	int peers[5];
	size_t i;

	(void)state;
	server_clear(&server);
	/* 0: no request after 11 s; 1: no request after 4 s */
	peers[0] = client_pair(&server, 0, now - CTL_REQUEST_DEADLINE - 1);
	peers[1] = client_pair(&server, 1, now - 4);
	/* 2: a reply stuck for 11 s; 3: one that moved 2 s ago */
	for (i = 2; i < 4; i++) {
		peers[i] = client_pair(&server, i, now - 100);
		c[i].has_request = true;
		assert_int_equal(ctl_send(&c[i], "reply", true), 0);
	}
	c[2].stamp = now - CTL_WRITE_DEADLINE - 1;
	c[3].stamp = now - 2;
	/* 4: connected long ago, waits for events, nothing pending */
	peers[4] = client_pair(&server, 4, now - 1000);
	c[4].has_request = true;

	assert_int_equal(ctl_sweep(&server, now), CTL_REQUEST_DEADLINE + 1 - 4);
	assert_int_equal(c[0].fd, -1);
	assert_true(c[1].fd >= 0);
	assert_int_equal(c[2].fd, -1);
	assert_true(c[3].fd >= 0);
	assert_true(c[4].fd >= 0);
	ctl_drop(&c[1]);
	ctl_drop(&c[3]);
	assert_int_equal(ctl_sweep(&server, now), INT_MAX);
	assert_true(c[4].fd >= 0);
	server_drop_all(&server);
	for (i = 0; i < 5; i++)
		(void)close(peers[i]);
}

/* Output that makes progress restarts the write deadline. */
static void test_flush_progress(void **state)
{
	struct ctl_client *c = &server.clients[0];
	char buf[64];
	int peer;

	(void)state;
	server_clear(&server);
	peer = client_pair(&server, 0, 0);
	c->has_request = true;
	assert_int_equal(ctl_send(c, "reply", true), 0);
	c->stamp = 0;
	ctl_flush(c);
	assert_int_equal(c->out_len, 0);
	assert_true(c->stamp >= ctl_clock() - 1);
	assert_int_equal(read(peer, buf, sizeof(buf)), 6);
	server_drop_all(&server);
	(void)close(peer);
}

/* Over CTL_LINE_MAX: -E2BIG; the answer, then an end of file for the peer
 * (not a reset) while what it still sends is read away; closed when the
 * peer hangs up. */
static void test_oversized_request(void **state)
{
	struct ctl_client *c = &server.clients[0];
	char *junk = line_of(CTL_LINE_MAX + 3000);
	char buf[128];
	int peer;

	(void)state;
	server_clear(&server);
	peer = client_pair(&server, 0, ctl_clock());
	assert_int_equal(write(peer, junk, CTL_LINE_MAX + 3000),
			 CTL_LINE_MAX + 3000);
	assert_int_equal(ctl_read(c), -E2BIG);
	assert_true(c->discarding);
	assert_int_equal(ctl_send(c, "refused", true), 0);
	c->closing = true;
	ctl_flush(c);
	assert_true(c->fd >= 0); /* 3000 bytes are still unread */
	assert_int_equal(read(peer, buf, sizeof(buf)), 8);
	assert_int_equal(read(peer, buf, sizeof(buf)),
			 0); /* shut for writing */
	assert_int_equal(ctl_read(c), 0); /* the rest, thrown away */
	assert_true(c->fd >= 0);
	assert_int_equal(shutdown(peer, SHUT_WR), 0);
	assert_int_equal(ctl_read(c), -ECONNRESET); /* hung up: closed */
	assert_int_equal(c->fd, -1);
	assert_int_equal(read(peer, buf, sizeof(buf)), 0); /* still no reset */
	(void)close(peer);
	free(junk);
}

/* A line of exactly CTL_LINE_MAX bytes, its newline included, is a request. */
static void test_longest_request(void **state)
{
	struct ctl_client *c = &server.clients[0];
	char *line = line_of(CTL_LINE_MAX);
	int peer;

	(void)state;
	server_clear(&server);
	peer = client_pair(&server, 0, ctl_clock());
	line[CTL_LINE_MAX - 1] = '\n';
	assert_int_equal(write(peer, line, CTL_LINE_MAX), CTL_LINE_MAX);
	assert_int_equal(ctl_read(c), 1);
	assert_int_equal(strlen(c->in), CTL_LINE_MAX - 1);
	server_drop_all(&server);
	(void)close(peer);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admit_table),
		cmocka_unit_test(test_admit_never_the_reserve),
		cmocka_unit_test(test_send_cap),
		cmocka_unit_test(test_sweep_deadlines),
		cmocka_unit_test(test_flush_progress),
		cmocka_unit_test(test_oversized_request),
		cmocka_unit_test(test_longest_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
