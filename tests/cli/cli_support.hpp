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

// exit 2, one or more "error:" lines, nothing on stdout: the DESIGN's contract for bad input.
inline void require_clean_rejection(const ProcessResult& r) {
  require_no_crash(r);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("error:"));
  CHECK(r.out.empty());
}

}  // namespace gradflow::test
