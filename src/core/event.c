#include "webtrace/event.h"

const char *wt_tcp_state_name(enum wt_tcp_state state)
{
    static const char *const names[] = {
        [WT_TCP_UNKNOWN] = "UNKNOWN",
        [WT_TCP_ESTABLISHED] = "ESTABLISHED",
        [WT_TCP_SYN_SENT] = "SYN_SENT",
        [WT_TCP_SYN_RECV] = "SYN_RECV",
        [WT_TCP_FIN_WAIT1] = "FIN_WAIT_1",
        [WT_TCP_FIN_WAIT2] = "FIN_WAIT_2",
        [WT_TCP_TIME_WAIT] = "TIME_WAIT",
        [WT_TCP_CLOSE] = "CLOSED",
        [WT_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
        [WT_TCP_LAST_ACK] = "LAST_ACK",
        [WT_TCP_LISTEN] = "LISTEN",
        [WT_TCP_CLOSING] = "CLOSING",
    };
    if ((unsigned)state >= sizeof names / sizeof names[0] || !names[state])
        return "UNKNOWN";
    return names[state];
}

const char *wt_phase_name(enum wt_phase phase)
{
    static const char *const names[] = {
        [WT_PHASE_URL] = "url",         [WT_PHASE_DNS] = "dns",
        [WT_PHASE_CONNECT] = "connect", [WT_PHASE_TLS] = "tls",
        [WT_PHASE_SEND] = "send",
        [WT_PHASE_WAIT] = "wait",       [WT_PHASE_RECEIVE] = "receive",
        [WT_PHASE_CLOSE] = "close",     [WT_PHASE_DONE] = "done",
        [WT_PHASE_FAILED] = "failed",   [WT_PHASE_SERVE] = "serve",
    };
    if ((unsigned)phase >= sizeof names / sizeof names[0])
        return "unknown";
    return names[phase];
}

const char *wt_socket_call_name(enum wt_socket_call call)
{
    static const char *const names[] = {
        [WT_CALL_SOCKET] = "socket", [WT_CALL_BIND] = "bind",
        [WT_CALL_LISTEN] = "listen", [WT_CALL_ACCEPT] = "accept",
        [WT_CALL_CONNECT] = "connect", [WT_CALL_RECV] = "recv",
        [WT_CALL_SEND] = "send", [WT_CALL_SENDMSG] = "sendmsg",
        [WT_CALL_SHUTDOWN] = "shutdown",
        [WT_CALL_CLOSE] = "close",
    };
    if ((unsigned)call >= sizeof names / sizeof names[0] || !names[call])
        return "unknown";
    return names[call];
}
