/* Names the OCI config uses for kernel numbers: capabilities
 * ("CAP_SYS_ADMIN") and resource limits ("RLIMIT_NOFILE").  One table each,
 * shared by the parser, the process setup and `features`.  */
#ifndef BERTH_OCI_NAMES_H
#define BERTH_OCI_NAMES_H

/* Capability name to number, -1 when unknown (case-sensitive, with CAP_).  */
int berth_capability_from_name (const char *name);
/* Number to name; NULL past the last capability berth knows.  */
const char *berth_capability_name (int cap);

/* RLIMIT_* name to resource number, -1 when unknown.  */
int berth_rlimit_from_name (const char *name);
/* Resource number to name; "unknown" for others.  */
const char *berth_rlimit_name (int resource);

#endif
