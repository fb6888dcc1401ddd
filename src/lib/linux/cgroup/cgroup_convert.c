/* Conversions of the spec's cgroup v1 values to cgroup v2 ones, with the
 * formulas runc uses: cpu.shares -> cpu.weight (runc >= 1.3: a quadratic in
 * log2(shares) through (2, 1), (1024, 100) and (262144, 10000)), blkio
 * weight -> io.weight (linear [10, 1000] -> [1, 10000]), memory+swap ->
 * memory.swap.max.  berth does not link libm, so the two transcendental
 * functions needed are computed here to within a few ulps, which is all
 * the final ceil() can see.  */
#include <stdint.h>

#include "cgroup_internal.h"

#define LN2 0.693147180559945309417232121458
#define LN2_HI 6.93147180369123816490e-01 /* LN2 split so n * LN2_HI is exact */
#define LN2_LO 1.90821492927058770002e-10
#define LN10 2.30258509299404568401799145468

/* ln (m) for m in [1, 2): 2 atanh ((m - 1) / (m + 1)).  */
static double
log_mantissa (double m)
{
  double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;

  for (int k = 1; k < 80; k += 2)
    {
      sum += term / k;
      term *= t2;
      if (term < 1e-20)
        break;
    }
  return 2 * sum;
}

/* log2 of an integer >= 1, exact for powers of two.  */
static double
log2_u64 (uint64_t x)
{
  int k = 63 - __builtin_clzll (x);
  double m = (double)x / (double)(UINT64_C (1) << k);

  if (m == 1.0)
    return k;
  return k + log_mantissa (m) / LN2;
}

/* e^y for |y| < 40.  */
static double
exp_small (double y)
{
  double n = (double)(long)(y / LN2 + (y >= 0 ? 0.5 : -0.5));
  double r = (y - n * LN2_HI) - n * LN2_LO; /* |r| <= ln2 / 2 */
  double term = 1, sum = 1;

  for (int k = 1; k < 30; k++)
    {
      term *= r / k;
      sum += term;
    }
  for (; n > 0; n--)
    sum *= 2;
  for (; n < 0; n++)
    sum /= 2;
  return sum;
}

/* 10^e for 0 <= e <= 4, exact when e is an integer.  */
static double
pow10_small (double e)
{
  if (e == (double)(int)e)
    {
      double v = 1;
      for (int i = 0; i < (int)e; i++)
        v *= 10;
      return v;
    }
  return exp_small (e * LN10);
}

static uint64_t
ceil_u64 (double v)
{
  uint64_t i = (uint64_t)v;
  return (double)i < v ? i + 1 : i;
}

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  double l, exponent;

  if (shares == 0)
    return 0; /* unset */
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = log2_u64 (shares);
  exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return ceil_u64 (pow10_small (exponent));
}

uint64_t
cg_blkio_weight_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0; /* unset */
  if (weight < 10)
    return 1;
  if (weight > 1000)
    return 10000;
  return 1 + (weight - 10) * 9999 / 990;
}

int
cg_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, berth_error_t *err)
{
  /* Unlimited memory with swap unset means both unlimited, as on v1.  */
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (limit == 0 || limit == -1)
    return berth_error (err, 0, "memory.swap: cannot limit swap without a memory limit");
  if (limit < 0 || swap < 0)
    return berth_error (err, 0, "memory.swap: invalid value %lld (limit %lld)", (long long)swap,
                        (long long)limit);
  if (swap < limit)
    return berth_error (err, 0,
                        "memory.swap: memory+swap limit %lld is lower than the memory limit %lld",
                        (long long)swap, (long long)limit);
  *out = swap - limit;
  return 0;
}
