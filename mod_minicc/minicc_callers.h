/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Who is calling, at a first contact: an operator or a customer, and
 * whether the day is a holiday; and for the operators' loop, whether a
 * queue has call-backs in line (callers.c).  From a copy of the operators,
 * holidays and call-backs tables that each child keeps and, when asked,
 * reads again once it is older than 0.9 s (doc/contract.txt, 2, 7, 8).
 */
#ifndef MINICC_CALLERS_H
#define MINICC_CALLERS_H

#include <httpd.h>

typedef enum { MINICC_CUSTOMER = 0, MINICC_OPERATOR = 1,
               MINICC_LOOKUP_FAILED = -1 } minicc_caller_e;

void minicc_callers_child_init(apr_pool_t *pchild, server_rec *s);

/* Whether telnum is an operator's; *holiday: whether date (YYYY-MM-DD) is
 * in the holidays table.  From the child's copy when it is fresh; else the
 * request reads the tables again, and when that fails the last copy
 * answers (logged).  MINICC_LOOKUP_FAILED when there is no copy to answer
 * from. */
minicc_caller_e minicc_callers_lookup(request_rec *r, const char *telnum,
                                      const char *date, int *holiday);

/* As minicc_callers_lookup, and for an operator the hash of their PIN
 * (operators.PIN, in r->pool; NULL: none set). */
minicc_caller_e minicc_callers_pin(request_rec *r, const char *telnum,
                                   const char *date, const char **pin);

/* Whether queue has call-backs in line (pending, or being dialled), by
 * the same copy (date: today); -1 when there is no copy to answer from. */
int minicc_callers_callbacks_waiting(request_rec *r, const char *queue,
                                     const char *date);

/* The queue the loop of operator telnum serves next (doc/contract.txt
 * 15), by the same copy (date: today): *queue its name (in r->pool), and
 * how many queues operator_queues gives them; 0 (*queue NULL): none, they
 * serve the loop's MiniCCQueue; -1 when there is no copy to answer
 * from. */
int minicc_callers_next_queue(request_rec *r, const char *telnum,
                              const char *date, const char **queue);

#endif /* MINICC_CALLERS_H */
