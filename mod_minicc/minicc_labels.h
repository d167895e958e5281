/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The words of a page (report.c, live.c), English and Japanese side by
 * side: a page lists them as X(id, english, japanese) lines of a macro
 * and makes its enum and its two arrays with these.
 */
#ifndef MINICC_LABELS_H
#define MINICC_LABELS_H

#define MINICC_LABEL_ID(id, en, ja) id,
#define MINICC_LABEL_EN(id, en, ja) en,
#define MINICC_LABEL_JA(id, en, ja) ja,

/* The enum (ids, then count), and the arrays labels_en, labels_ja. */
#define MINICC_LABELS_DEFINE(list, count) \
    enum { list(MINICC_LABEL_ID) count }; \
    static const char *const labels_en[count] = { list(MINICC_LABEL_EN) }; \
    static const char *const labels_ja[count] = { list(MINICC_LABEL_JA) }

#endif /* MINICC_LABELS_H */
