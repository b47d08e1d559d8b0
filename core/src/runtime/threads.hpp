// --threads for the whole process: the size of the core's thread pool and the most threads an
// OpenBLAS product may use (Model::blas_threads_for picks the count per node from its size).
#pragma once

namespace gradflow {

// Resizes the core pool; not while a step runs.
void set_thread_limit(int threads);
int thread_limit();
// OpenBLAS's thread count for the products that follow (costs a few nanoseconds).
void use_blas_threads(int threads);

}  // namespace gradflow
