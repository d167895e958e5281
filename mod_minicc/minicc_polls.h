/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The callers waiting now, for the live view (polls.c): the wait loop
 * notes each poll in the child's memory; a thread of the child writes them
 * to live_waiting once a second.
 */
#ifndef MINICC_POLLS_H
#define MINICC_POLLS_H

#include <httpd.h>

void minicc_polls_child_init(apr_pool_t *pchild, server_rec *s);

/* A wait poll of callsid (a valid SID) in queue; queue_time: Twilio's
 * QueueTime (a valid integer, or NULL). */
void minicc_polls_note(request_rec *r, const char *callsid,
                       const char *queue, const char *queue_time);

#endif /* MINICC_POLLS_H */
