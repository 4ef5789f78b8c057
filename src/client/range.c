#include "webtrace/range.h"

enum wt_range_outcome wt_range_outcome_of(int status, int64_t resume_from,
                                          const char *content_range, size_t len,
                                          int64_t content_length)
{
    if (resume_from <= 0) {
        if (status == 206)
            return WT_RANGE_PARTIAL;
        if (status == 416)
            return WT_RANGE_UNSATISFIABLE;
        return status >= 200 && status < 300 ? WT_RANGE_IGNORED : WT_RANGE_NONE;
    }
    /* 416 to a resume: the file is presumably complete already */
    if (status == 416)
        return WT_RANGE_COMPLETE;
    if (content_range) {
        /* curl reads the first number after "bytes "; "*" or none turns its
         * check off (it then takes whatever comes as the rest) */
        size_t i = 0;
        while (i < len && !(content_range[i] >= '0' && content_range[i] <= '9') &&
               content_range[i] != '*')
            i++;
        if (i == len || content_range[i] == '*')
            return WT_RANGE_PARTIAL;
        int64_t offset = 0;
        int readable = 1;
        for (; i < len && content_range[i] >= '0' && content_range[i] <= '9'; i++) {
            /* the digit's own bound: -C may reach INT64_MAX itself */
            int digit = content_range[i] - '0';
            if (offset > (INT64_MAX - digit) / 10) {
                /* an offset too large to read matches nothing, as another
                 * offset: the whole body may still be the file's size */
                readable = 0;
                break;
            }
            offset = offset * 10 + digit;
        }
        if (readable && offset == resume_from)
            return WT_RANGE_PARTIAL;
    }
    /* the whole body, and exactly the file's size: nothing is missing */
    if (content_length == resume_from)
        return WT_RANGE_COMPLETE;
    return WT_RANGE_IGNORED;
}
