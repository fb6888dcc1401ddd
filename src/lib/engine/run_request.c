/* Owns the lifetime of struct berth_run_request.  */
#include "run_request.h"

#include <stdlib.h>

#include "cleanup.h"

static void
strv_free (char **v)
{
  berth_strv_freep (&v);
}

void
berth_run_request_free (struct berth_run_request *req)
{
  if (req == NULL)
    return;
  free (req->name);
  strv_free (req->env);
  free (req->workdir);
  free (req->user);
  free (req->hostname);
  free (req->entrypoint);
  for (size_t i = 0; i < req->labels.n; i++)
    {
      free (req->labels.keys[i]);
      free (req->labels.values[i]);
    }
  free (req->labels.keys);
  free (req->labels.values);
  for (size_t i = 0; i < req->n_mounts; i++)
    {
      free (req->mounts[i].source);
      free (req->mounts[i].target);
      free (req->mounts[i].propagation);
      free (req->mounts[i].tmpfs_options);
    }
  free (req->mounts);
  free (req->cpuset_cpus);
  for (size_t i = 0; i < req->n_ulimits; i++)
    free (req->ulimits[i].name);
  free (req->ulimits);
  strv_free (req->cap_add);
  strv_free (req->cap_drop);
  free (req->seccomp_file);
  for (size_t i = 0; i < req->n_devices; i++)
    {
      free (req->devices[i].host_path);
      free (req->devices[i].container_path);
      free (req->devices[i].permissions);
    }
  free (req->devices);
  free (req->network_name);
  strv_free (req->publish);
  free (req->ip);
  free (req->ip6);
  free (req->mac_address);
  strv_free (req->aliases);
  strv_free (req->dns);
  strv_free (req->dns_search);
  strv_free (req->dns_options);
  strv_free (req->add_hosts);
  free (req->image);
  strv_free (req->command);
  free (req);
}
