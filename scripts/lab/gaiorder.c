/*
 * gaiorder: the real libc's getaddrinfo() order, for the lab's comparison
 * with mailcheck's model (scripts/lab/t-gai.sh).
 *
 *   gaiorder postfix NAME...  hints as Postfix's hostname_to_sockaddr():
 *                             AF_UNSPEC, SOCK_STREAM, no flags
 *   gaiorder getent NAME...   hints as getent ahosts: AF_UNSPEC, no socket
 *                             type, AI_V4MAPPED | AI_ADDRCONFIG | AI_CANONNAME
 *   gaiorder source ADDR...   the source address a UDP connect() to ADDR
 *                             gets ("-" when it fails), as getaddrinfo finds it
 *
 * Output: one line per name, "NAME ADDR ADDR ..." (each address once, in
 * order of first appearance), or "NAME !error text"; for source, "ADDR SRC".
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void order(const char *name, int getent)
{
	struct addrinfo hints, *res, *ai;
	char seen[64][INET6_ADDRSTRLEN];
	int nseen = 0, rc, i;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	if (getent)
		hints.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG | AI_CANONNAME;
	else
		hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		printf("%s !%s\n", name, gai_strerror(rc));
		return;
	}
	printf("%s", name);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *a = ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		inet_ntop(ai->ai_family, a, buf, sizeof(buf));
		for (i = 0; i < nseen && strcmp(seen[i], buf) != 0; i++)
			;
		if (i < nseen || nseen == 64)
			continue;
		strcpy(seen[nseen++], buf);
		printf(" %s", buf);
	}
	printf("\n");
	freeaddrinfo(res);
}

static void source(const char *addr)
{
	struct sockaddr_storage dst, src;
	socklen_t sl = sizeof(src);
	char buf[INET6_ADDRSTRLEN] = "-";
	int fd = -1, fam;

	memset(&dst, 0, sizeof(dst));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&dst)->sin_addr) == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&dst)->sin_port = htons(25);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&dst)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(25);
	} else {
		printf("%s !bad address\n", addr);
		return;
	}
	dst.ss_family = fam;
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&dst,
			       fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&src, &sl) == 0) {
		if (src.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&src)->sin_addr, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&src)->sin6_addr, buf, sizeof(buf));
	}
	if (fd >= 0)
		close(fd);
	printf("%s %s\n", addr, buf);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: gaiorder postfix|getent|source ARG...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[1], "source") == 0)
			source(argv[i]);
		else
			order(argv[i], strcmp(argv[1], "getent") == 0);
	}
	return 0;
}
