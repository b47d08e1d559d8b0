// libFuzzer target: see fuzz_entry.hpp for what counts as a finding.
#include "fuzz/fuzz_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gradflow::fuzz::checkpoint_entry(data, size);
  return 0;
}
