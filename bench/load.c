/* load: the benchmark's HTTP/1.1 load generator for webtrace serve and
 * nginx. One thread, epoll, C keep-alive connections, one request in
 * flight on each (no pipelining); every answer must be 200 with the
 * expected body length, or the run fails.
 *
 *   load HOST PORT PATH CONNECTIONS SECONDS
 *
 * Prints one line: requests=N seconds=S rps=R reconnects=K. Exit 0 on
 * success, 1 when a server answered something else or a connection broke
 * for no reason (a server closing a keep-alive connection between answers
 * is followed by a new connection and counted). Compiled by bench.py. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_SIZE (64 * 1024)

struct conn {
    int fd;
    char buf[BUF_SIZE];
    size_t len;
    long body_left;     /* -1: still reading the head */
    int answered;       /* answers on this connection */
};

static struct sockaddr_in addr;
static char request[512];
static size_t request_len;
static int ep;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_conn(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("load: connect");
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->len = 0;
    c->body_left = -1;
    c->answered = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        perror("load: epoll_ctl");
        return -1;
    }
    return 0;
}

static int send_request(struct conn *c)
{
    /* A request is far smaller than an empty socket buffer. */
    if (send(c->fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
        perror("load: send");
        return -1;
    }
    return 0;
}

/* Consumes complete answers from c->buf; returns how many, -1 on a bad one. */
static int take_answers(struct conn *c)
{
    int n = 0;
    for (;;) {
        if (c->body_left < 0) {
            char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!end)
                return c->len == BUF_SIZE ? -1 : n;
            size_t head = (size_t)(end - c->buf) + 4;
            if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 200", 12) != 0) {
                fprintf(stderr, "load: answer: %.60s\n", c->buf);
                return -1;
            }
            long length = -1;
            for (char *p = c->buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
                if (*p == '\n')
                    p++;
                if (strncasecmp(p, "Content-Length:", 15) == 0)
                    length = strtol(p + 15, NULL, 10);
            }
            if (length < 0) {
                fprintf(stderr, "load: answer without Content-Length\n");
                return -1;
            }
            memmove(c->buf, c->buf + head, c->len - head);
            c->len -= head;
            c->body_left = length;
        }
        size_t take = c->len < (size_t)c->body_left ? c->len : (size_t)c->body_left;
        memmove(c->buf, c->buf + take, c->len - take);
        c->len -= take;
        c->body_left -= (long)take;
        if (c->body_left > 0)
            return n;
        c->body_left = -1;
        n++;
        if (c->len == 0)
            return n;
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: load HOST PORT PATH CONNECTIONS SECONDS\n");
        return 2;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "load: HOST is an IPv4 address\n");
        return 2;
    }
    int n_conns = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if (n_conns < 1 || n_conns > MAX_CONNS || seconds <= 0) {
        fprintf(stderr, "load: 1..%d connections, a positive duration\n", MAX_CONNS);
        return 2;
    }
    request_len = (size_t)snprintf(request, sizeof request,
                                   "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: webtrace-bench-load\r\n"
                                   "Accept: */*\r\n\r\n", argv[3], argv[1], argv[2]);
    ep = epoll_create1(0);
    struct conn *conns = calloc((size_t)n_conns, sizeof *conns);
    if (ep < 0 || !conns)
        return 1;
    for (int i = 0; i < n_conns; i++)
        if (open_conn(&conns[i]) < 0 || send_request(&conns[i]) < 0)
            return 1;
    long requests = 0, reconnects = 0;
    double start = now_s(), end = start + seconds, t = start;
    struct epoll_event evs[64];
    while (t < end) {
        int n = epoll_wait(ep, evs, 64, 100);
        if (n < 0 && errno != EINTR) {
            perror("load: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            ssize_t got = recv(c->fd, c->buf + c->len, BUF_SIZE - c->len, 0);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN)
                    continue;
                /* Closed between answers: a server's keep-alive limit. */
                if (c->len == 0 && c->body_left < 0 && c->answered > 0) {
                    close(c->fd);
                    reconnects++;
                    if (open_conn(c) < 0 || send_request(c) < 0)
                        return 1;
                    continue;
                }
                fprintf(stderr, "load: connection broke mid-answer\n");
                return 1;
            }
            c->len += (size_t)got;
            int done = take_answers(c);
            if (done < 0)
                return 1;
            if (done > 0) {
                requests += done;
                c->answered += done;
                if (send_request(c) < 0)
                    return 1;
            }
        }
        t = now_s();
    }
    printf("requests=%ld seconds=%.6f rps=%.1f reconnects=%ld\n", requests, t - start,
           (double)requests / (t - start), reconnects);
    return 0;
}
