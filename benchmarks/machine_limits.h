// What the machine can do, measured in the same run as the workloads: memory bandwidth with two
// threads over 128 MiB (best of 10) and OpenBLAS sgemm called directly.
#pragma once

struct MachineLimits {
  double copy_gbs;   // (read + write bytes) / time
  double read_gbs;   // bytes read / time, summing one array
  double triad_gbs;  // (2 reads + 1 write) / time
};

MachineLimits measure_bandwidth(int threads);

// Median milliseconds of cblas_sgemm on n x n float32 matrices.
double sgemm_ms(int n, int repeats);
