// --threads for the whole process: the size of the core's thread pool, which the optimizers and
// the ops (through the host's parallel_for) split their work over. OpenBLAS itself stays on one
// thread: ops split their products over the pool instead (ops/linear.cpp), so that a thread
// that cannot get a core holds nothing up, and results do not depend on how many threads ran.
#pragma once

namespace gradflow {

// Resizes the core pool; not while a step runs.
void set_thread_limit(int threads);
int thread_limit();

}  // namespace gradflow
