/* Linked as an object into static programs only (an archive member would
 * lose to libarchive.a's own).  libarchive's format-by-name table references the xar
 * writer, which needs libxml2 (and, statically, ICU).  berth never writes
 * xar: this definition keeps that writer, and libxml2, out of the binary.  */
#include <archive.h>

int
archive_write_set_format_xar (struct archive *a)
{
  archive_set_error (a, -1, "xar is not supported");
  return ARCHIVE_FATAL;
}
