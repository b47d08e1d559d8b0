// The built-in plugin as the op tests see it: loaded from its file through <gradflow/testing.hpp>,
// exactly as an out-of-tree plugin author tests theirs, and called as the host calls it.
#pragma once

#include <gradflow/testing.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace gftest {

using namespace gradflow::testing;
using gradflow::Shape;

inline const Plugin& builtin() {
  static const Plugin plugin(GRADFLOW_BUILTIN_OPS);
  return plugin;
}

inline OpHandle builtin(const std::string& op) {
  return builtin().op(op);
}

}  // namespace gftest

// Passes when the toolkit's report does; prints the report either way.
#define CHECK_REPORT(expression)          \
  do {                                    \
    const auto gf_report_ = (expression); \
    INFO(gf_report_);                     \
    CHECK(gf_report_.ok());               \
  } while (false)
