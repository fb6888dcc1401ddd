/* Owns the generated container names: "adjective_surname", from berth's own
 * short word lists (harbour words and people of computing and the sea).  */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "engine/engine_error.h"
#include "store.h"

static const char *const adjectives[] = {
  "anchored", "breezy", "brisk",  "buoyant",   "calm",   "coastal", "daring",  "deep",
  "drifting", "eager",  "fair",   "gentle",    "gusty",  "hardy",   "keen",    "lively",
  "lucid",    "misty",  "moored", "nimble",    "placid", "quiet",   "rolling", "salty",
  "serene",   "sleek",  "snug",   "spry",      "steady", "stout",   "sunny",   "swift",
  "tidal",    "trim",   "vivid",  "wandering", "windy",  "witty",   "zealous", "bold",
};

static const char *const surnames[] = {
  "allen",    "babbage",  "backus",    "bartik",   "cerf",        "cook",       "corbato",
  "dijkstra", "earhart",  "engelbart", "hamilton", "hopper",      "joliot",     "kahn",
  "kay",      "knuth",    "lamport",   "liskov",   "lovelace",    "magellan",   "mccarthy",
  "nansen",   "noether",  "perlman",   "ritchie",  "shannon",     "shackleton", "sutherland",
  "tarjan",   "thompson", "torvalds",  "turing",   "vaughan",     "wilkes",     "wirth",
  "zheng",    "hypatia",  "franklin",  "curie",    "nightingale",
};

static unsigned
random_below (unsigned n)
{
  unsigned v = 0;

  /* Names need no secrecy; a failed getrandom only makes them less varied.  */
  if (getrandom (&v, sizeof (v), GRND_NONBLOCK) != sizeof (v))
    v = 0;
  return v % n;
}

int
berth_store_generate_name (char buf[64], berth_error_t *err)
{
  unsigned a = random_below (sizeof (adjectives) / sizeof (adjectives[0]));
  unsigned s = random_below (sizeof (surnames) / sizeof (surnames[0]));

  if (snprintf (buf, 64, "%s_%s", adjectives[a], surnames[s]) >= 64)
    return berth_engine_error (err, ENAMETOOLONG, "generate a container name");
  return 0;
}
