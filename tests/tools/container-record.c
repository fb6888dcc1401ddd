/* container-record ROOT IMAGE [NAME] [JSON]: make a container record in the
 * engine's store (lib/engine/store.h) without the lifecycle code, for the
 * tests of cp, export, commit and volumes in use (tests/e2e/volumes.bats).
 * The record is {"Image": IMAGE} merged with the JSON object given (such
 * as a "Mounts" list).  Prints the new ID.  */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/store.h"

int
main (int argc, char **argv)
{
  struct berth_store *store = NULL;
  berth_error_t err = NULL;
  char id[BERTH_ID_LEN + 1];
  char *name = NULL;
  json_t *rec;
  int lock;

  if (argc < 3 || argc > 5)
    {
      fprintf (stderr, "usage: container-record ROOT IMAGE [NAME] [JSON]\n");
      return 2;
    }
  rec = json_pack ("{s:s}", "Image", argv[2]);
  if (argc == 5)
    {
      json_t *extra = json_loads (argv[4], 0, NULL);
      if (!json_is_object (extra))
        {
          fprintf (stderr, "container-record: JSON must be an object\n");
          return 2;
        }
      json_object_update (rec, extra);
      json_decref (extra);
    }
  if (berth_store_open (argv[1], &store, &err) < 0
      || berth_store_create (store, argc > 3 && argv[3][0] ? argv[3] : NULL, id, &name, &lock, &err)
             < 0
      || berth_store_write_record (store, id, rec, &err) < 0)
    {
      fprintf (stderr, "container-record: %s\n", err->msg);
      return 1;
    }
  close (lock);
  printf ("%s\n", id);
  free (name);
  json_decref (rec);
  berth_store_close (store);
  return 0;
}
