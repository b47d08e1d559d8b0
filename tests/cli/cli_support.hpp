// Checks shared by the command-line tests.
#pragma once

#include "cli/process.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace gradflow::test {

inline std::string source_path(const std::string& relative) {
  return std::string(GRADFLOW_SOURCE_DIR) + "/" + relative;
}

// Whatever went wrong, graph-runner must not die the way a C++ program dies by accident.
inline void require_no_crash(const ProcessResult& r) {
  INFO("status: " << r.status_text() << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  REQUIRE_FALSE(r.signalled);
  for (const char* symptom : {"terminate called", "Aborted", "Segmentation", "core dumped",
                              "internal error", "what():", "AddressSanitizer", "runtime error:"}) {
    INFO("symptom: " << symptom);
    CHECK(r.err.find(symptom) == std::string::npos);
    CHECK(r.out.find(symptom) == std::string::npos);
  }
}

}  // namespace gradflow::test
