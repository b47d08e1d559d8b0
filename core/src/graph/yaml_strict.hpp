// What yaml-cpp accepts but a graph file must not contain, because the loader would silently
// read something other than what the user wrote: NUL bytes, a duplicate key in any mapping at
// any depth (yaml-cpp keeps both and a lookup finds only one), merge keys (`<<`, which
// yaml-cpp 0.7 treats as an ordinary key) and a second document (YAML::Load ignores it).
// Plain anchors and aliases stay allowed: they repeat a value, they do not rewrite one.
#pragma once

#include <gradflow/diagnostics.hpp>

#include <string>

namespace gradflow {

// Reports every such problem of `text` into `diags`, each at file:line:column. Runs on the
// event stream, so aliases are never expanded (an alias bomb costs no more than its text).
// YAML syntax errors are left to the caller's own parse, which reports them.
void check_yaml_strictness(const std::string& text, const std::string& file, DiagnosticList& diags);

}  // namespace gradflow
