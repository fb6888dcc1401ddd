/* libarchive, loaded on first use (see lazy_lib.h): one stub per function
 * the image store calls.  A function newly used needs its line here.  */
#include <stdarg.h>
#include <stdio.h>

#include <archive.h>
#include <archive_entry.h>

#include "lazy_lib.h"

#ifndef BERTH_LIBARCHIVE_SONAME
#define BERTH_LIBARCHIVE_SONAME "libarchive.so.13"
#endif
#define ARCHIVE BERTH_LIBARCHIVE_SONAME
#define LAZY BERTH_LAZY
#define LAZY_VOID BERTH_LAZY_VOID

/* clang-format off */
LAZY (ARCHIVE, time_t, archive_entry_atime, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, int, archive_entry_atime_is_set, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, long, archive_entry_atime_nsec, (struct archive_entry *a0), (a0))
LAZY_VOID (ARCHIVE, archive_entry_copy_stat, (struct archive_entry *a0, const struct stat *a1), (a0, a1))
LAZY (ARCHIVE, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *a0), (a0))
LAZY_VOID (ARCHIVE, archive_entry_free, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, la_int64_t, archive_entry_gid, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, const char *, archive_entry_hardlink, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, time_t, archive_entry_mtime, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, long, archive_entry_mtime_nsec, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, struct archive_entry *, archive_entry_new, (void), ())
LAZY (ARCHIVE, const char *, archive_entry_pathname, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, __LA_MODE_T, archive_entry_perm, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, dev_t, archive_entry_rdev, (struct archive_entry *a0), (a0))
LAZY_VOID (ARCHIVE, archive_entry_set_filetype, (struct archive_entry *a0, unsigned int a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_hardlink, (struct archive_entry *a0, const char *a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_mtime, (struct archive_entry *a0, time_t a1, long a2), (a0, a1, a2))
LAZY_VOID (ARCHIVE, archive_entry_set_nlink, (struct archive_entry *a0, unsigned int a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_pathname, (struct archive_entry *a0, const char *a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_perm, (struct archive_entry *a0, __LA_MODE_T a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_size, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
LAZY_VOID (ARCHIVE, archive_entry_set_symlink, (struct archive_entry *a0, const char *a1), (a0, a1))
LAZY (ARCHIVE, la_int64_t, archive_entry_size, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, const char *, archive_entry_symlink, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, la_int64_t, archive_entry_uid, (struct archive_entry *a0), (a0))
LAZY_VOID (ARCHIVE, archive_entry_xattr_add_entry, (struct archive_entry *a0, const char *a1, const void *a2, size_t a3), (a0, a1, a2, a3))
LAZY (ARCHIVE, int, archive_entry_xattr_next, (struct archive_entry *a0, const char **a1, const void **a2, size_t *a3), (a0, a1, a2, a3))
LAZY (ARCHIVE, int, archive_entry_xattr_reset, (struct archive_entry *a0), (a0))
LAZY (ARCHIVE, const char *, archive_error_string, (struct archive *a0), (a0))
LAZY (ARCHIVE, la_ssize_t, archive_read_data, (struct archive *a0, void *a1, size_t a2), (a0, a1, a2))
LAZY (ARCHIVE, int, archive_read_data_block, (struct archive *a0, const void **a1, size_t *a2, la_int64_t *a3), (a0, a1, a2, a3))
LAZY (ARCHIVE, int, archive_read_free, (struct archive *a0), (a0))
LAZY (ARCHIVE, struct archive *, archive_read_new, (void), ())
LAZY (ARCHIVE, int, archive_read_next_header, (struct archive *a0, struct archive_entry **a1), (a0, a1))
LAZY (ARCHIVE, int, archive_read_open, (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4), (a0, a1, a2, a3, a4))
LAZY (ARCHIVE, int, archive_read_open_fd, (struct archive *a0, int a1, size_t a2), (a0, a1, a2))
LAZY (ARCHIVE, int, archive_read_support_filter_all, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_bzip2, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_gzip, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_lz4, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_lzma, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_xz, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_filter_zstd, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_format_empty, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_format_gnutar, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_format_raw, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_read_support_format_tar, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_write_close, (struct archive *a0), (a0))
LAZY (ARCHIVE, la_ssize_t, archive_write_data, (struct archive *a0, const void *a1, size_t a2), (a0, a1, a2))
LAZY (ARCHIVE, la_ssize_t, archive_write_data_block, (struct archive *a0, const void *a1, size_t a2, la_int64_t a3), (a0, a1, a2, a3))
LAZY (ARCHIVE, struct archive *, archive_write_disk_new, (void), ())
LAZY (ARCHIVE, int, archive_write_disk_set_options, (struct archive *a0, int a1), (a0, a1))
LAZY (ARCHIVE, int, archive_write_finish_entry, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_write_free, (struct archive *a0), (a0))
LAZY (ARCHIVE, int, archive_write_header, (struct archive *a0, struct archive_entry *a1), (a0, a1))
LAZY (ARCHIVE, struct archive *, archive_write_new, (void), ())
LAZY (ARCHIVE, int, archive_write_open_fd, (struct archive *a0, int a1), (a0, a1))
LAZY (ARCHIVE, int, archive_write_set_bytes_in_last_block, (struct archive *a0, int a1), (a0, a1))
LAZY (ARCHIVE, int, archive_write_set_format_pax_restricted, (struct archive *a0), (a0))
/* clang-format on */

/* Variadic: formatted here, passed on as one string.  */
void
archive_set_error (struct archive *a, int err, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  BERTH_LAZY_FN_ (ARCHIVE, archive_set_error)

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  f_ (a, err, "%s", msg);
}
