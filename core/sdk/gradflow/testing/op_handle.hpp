// The op under test: an op class compiled into the test (gradflow::testing::op<MyOp>()), or an
// op of a built plugin file (load_op("build/libmy_ops.so", "MyOp")), which is exactly what
// graph-runner will load. Part of <gradflow/testing.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/detail/abi_calls.hpp>
#include <gradflow/op.hpp>
#include <gradflow/testing/tensor.hpp>

#include <dlfcn.h>

#include <memory>
#include <string>
#include <vector>

namespace gradflow::testing {

class OpHandle {
 public:
  // `origin`: the plugin file, or "" for an op class compiled into the test.
  OpHandle(const gf_op_def& def, std::string origin)
      : def_(std::make_shared<gf_op_def>(gradflow::detail::grown_op_def(def))),
        origin_(std::move(origin)) {}

  const gf_op_def& def() const { return *def_; }
  std::string name() const { return def_->name; }
  const std::string& origin() const { return origin_; }
  bool differentiable() const { return gradflow::detail::differentiable(*def_); }
  bool is_loss() const { return (def_->flags & GF_OP_LOSS) != 0; }

 private:
  std::shared_ptr<const gf_op_def> def_;
  std::string origin_;
};

// Op class T, through the same C description that GRADFLOW_PLUGIN exports.
template <class T>
OpHandle op() {
  return OpHandle(*gradflow::op_definition<T>(), "");
}

// A built plugin, opened and version-checked the way graph-runner does it. The library stays
// loaded until the process ends: op instances and tables live in it.
class Plugin {
 public:
  explicit Plugin(const std::string& path) : path_(path) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) {
      const char* why = ::dlerror();
      throw TestError("cannot load plugin '" + path + "': " + (why ? why : "unknown reason"));
    }
    auto entry = reinterpret_cast<gf_plugin_entry_fn>(::dlsym(handle, GF_PLUGIN_ENTRY_NAME));
    if (!entry) throw TestError("'" + path + "' does not export " GF_PLUGIN_ENTRY_NAME);
    plugin_ = entry();
    if (!plugin_ || plugin_->struct_size < sizeof(gf_plugin) || !plugin_->get_ops)
      throw TestError("'" + path + "' returned a malformed plugin descriptor");
    if (plugin_->abi_major != GF_ABI_MAJOR || plugin_->abi_minor > GF_ABI_MINOR)
      throw TestError("'" + path + "' was built for plugin ABI " +
                      std::to_string(plugin_->abi_major) + "." +
                      std::to_string(plugin_->abi_minor) + ", these headers are " +
                      std::to_string(GF_ABI_MAJOR) + "." + std::to_string(GF_ABI_MINOR));
    uint32_t n = 0;
    const gf_op_def* const* table = plugin_->get_ops(&n);
    for (uint32_t i = 0; i < n; ++i) {
      if (!table || !table[i] || table[i]->struct_size < gradflow::detail::kOpDefSize_1_0 ||
          !table[i]->name)
        throw TestError("'" + path + "': op table entry " + std::to_string(i) + " is malformed");
      ops_.emplace_back(*table[i], path);
    }
  }

  const gf_plugin& descriptor() const { return *plugin_; }
  const std::string& path() const { return path_; }
  std::vector<std::string> op_names() const {
    std::vector<std::string> names;
    for (const auto& o : ops_) names.push_back(o.name());
    return names;
  }
  OpHandle op(const std::string& name) const {
    for (const auto& o : ops_)
      if (o.name() == name) return o;
    throw TestError("plugin '" + path_ + "' has no op '" + name + "'");
  }

 private:
  std::string path_;
  const gf_plugin* plugin_ = nullptr;
  std::vector<OpHandle> ops_;
};

inline OpHandle load_op(const std::string& plugin_path, const std::string& op_name) {
  return Plugin(plugin_path).op(op_name);
}

}  // namespace gradflow::testing
