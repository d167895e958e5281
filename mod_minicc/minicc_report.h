/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * minicc-report (report.c): the supervisors' figures.
 */
#ifndef MINICC_REPORT_H
#define MINICC_REPORT_H

#include <httpd.h>

int minicc_report_handler(request_rec *r);

#endif /* MINICC_REPORT_H */
