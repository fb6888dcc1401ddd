/* Private to linux/lsm_labels.c and its tests: the procfs write behind
 * berth_lsm_set_exec_label, so tests reach it on hosts without an LSM.  */
#ifndef BERTH_LSM_LABELS_INTERNAL_H
#define BERTH_LSM_LABELS_INTERNAL_H

#include "error.h"

/* Write VALUE to the calling thread's exec attribute: attr/LSM/exec when
 * LSM is not NULL and the kernel has it, else attr/exec; refused unless
 * the file is on procfs.  */
int berth_lsm_write_exec_attr (const char *lsm, const char *value, berth_error_t *err);

#endif
