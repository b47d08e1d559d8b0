#include "graph/node_info_check.hpp"

#include <gradflow/graph_spec.hpp>
#include <gradflow/tensor.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

namespace gradflow {
namespace {

std::string shape_problem(const gf_shape& s, const std::string& what) {
  if (s.rank > GF_MAX_RANK)
    return what + " has rank " + std::to_string(s.rank) + ", above " + std::to_string(GF_MAX_RANK);
  for (uint32_t d = 0; d < s.rank; ++d)
    if (s.dims[d] < 1)
      return what + " has dimension " + std::to_string(s.dims[d]) + "; every one must be >= 1";
  return "";
}

std::string init_problem(const gf_init& init, const std::string& what) {
  if (init.kind > GF_INIT_HE) return what + " has unknown init kind " + std::to_string(init.kind);
  if (!std::isfinite(init.value)) return what + " has a non-finite init value";
  // A scale, like the {normal: std} a graph may write, which is refused below 0 there too.
  if ((init.kind == GF_INIT_NORMAL || init.kind == GF_INIT_UNIFORM) && init.value < 0)
    return what + " has a negative init scale";
  return "";
}

// Tensor names end up in checkpoints as "<node>.<name>": plain characters only, no '.'.
bool plain_name(const std::string& name) {
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::string decls_problem(const gf_param_decl* decls, uint32_t n, const char* kind,
                          std::set<std::string>& names) {
  for (uint32_t p = 0; p < n; ++p) {
    const gf_param_decl& d = decls[p];
    const std::string which = std::string(kind) + " #" + std::to_string(p);
    if (!std::memchr(d.name, '\0', sizeof(d.name)))
      return which + ": its name does not end within its " + std::to_string(sizeof(d.name)) +
             " bytes";
    const std::string name = d.name;
    const std::string what = std::string(kind) + " '" + name + "'";
    if (name.empty()) return which + " has no name";
    if (!plain_name(name)) return what + ": a name may only use letters, digits, '_' and '-'";
    if (!names.insert(name).second) return what + " is declared twice";
    if (std::string s = shape_problem(d.shape, what); !s.empty()) return s;
    if (std::string s = init_problem(d.init, what); !s.empty()) return s;
  }
  return "";
}

double elements(const gf_shape& s) {
  double n = 1;
  for (uint32_t d = 0; d < s.rank && d < GF_MAX_RANK; ++d) n *= static_cast<double>(s.dims[d]);
  return n;
}

}  // namespace

std::string node_info_problem(const gf_node_info& info) {
  if (std::string s = shape_problem(info.out_shape, "the output"); !s.empty()) return s;
  if (info.n_params > GF_MAX_PARAMS)
    return std::to_string(info.n_params) + " parameters, above " + std::to_string(GF_MAX_PARAMS);
  if (info.n_state > GF_MAX_STATE)
    return std::to_string(info.n_state) + " state tensors, above " + std::to_string(GF_MAX_STATE);
  std::set<std::string> names;
  if (std::string s = decls_problem(info.params, info.n_params, "parameter", names); !s.empty())
    return s;
  if (std::string s = decls_problem(info.state, info.n_state, "state tensor", names); !s.empty())
    return s;
  for (double f : {info.flops_forward, info.flops_backward_params, info.flops_backward_inputs})
    if (!std::isfinite(f) || f < 0) return "a FLOP count that is negative or not finite";
  return "";
}

std::string oversized_tensors(const std::string& node, const gf_node_info& info) {
  const double limit = static_cast<double>(kMaxSampleElements);
  std::string problems;
  auto report = [&](const std::string& what, const gf_shape& s) {
    const double n = elements(s);
    if (n <= limit) return;
    char count[32];
    std::snprintf(count, sizeof count, "%.3g", n);
    problems += (problems.empty() ? "" : "; ") + what + " " + shape_to_string(from_gf_shape(s)) +
                " has " + count + " elements";
  };
  report("output", info.out_shape);
  for (uint32_t p = 0; p < info.n_params; ++p)
    report("parameter " + node + "." + info.params[p].name, info.params[p].shape);
  for (uint32_t p = 0; p < info.n_state; ++p)
    report("state " + node + "." + info.state[p].name, info.state[p].shape);
  if (!problems.empty())
    problems += ", above the limit of " + std::to_string(kMaxSampleElements) + " per tensor";
  return problems;
}

}  // namespace gradflow
