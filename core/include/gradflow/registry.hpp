// The op registry: every op comes from a plugin library loaded at run time, the built-in ones
// included. Loading checks the library's ABI version before calling any of its code.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/diagnostics.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gradflow {

// One op as the host uses it. `def` points to the host's own copy of the plugin's table entry,
// grown to this host's gf_op_def with the fields an older plugin did not write zeroed, so the
// rest of gradflow never looks at struct sizes.
struct OpEntry {
  const gf_op_def* def = nullptr;
  std::string plugin_path;
  std::string plugin_name;
  uint32_t abi_minor = 0;  // of the plugin that defines it
};

class OpRegistry {
 public:
  OpRegistry();
  ~OpRegistry();
  OpRegistry(const OpRegistry&) = delete;
  OpRegistry& operator=(const OpRegistry&) = delete;

  // Loads one plugin library. `where` is the place that asked for it (graph line or flag).
  // Throws InputError for a missing file, a non-plugin library, an ABI mismatch, or an op
  // name that another loaded plugin already provides. Loading the same file twice is a no-op.
  void load_plugin(const std::string& path, const SourceLocation& where = {});

  // Loads every *.so in a folder (non-recursive), in name order; missing folder is fine.
  void load_folder(const std::string& folder);

  const OpEntry* find(const std::string& op_name) const;
  std::vector<std::string> op_names() const;
  const std::vector<std::string>& plugin_paths() const { return plugin_paths_; }
  const std::map<std::string, OpEntry>& ops() const { return ops_; }

 private:
  struct Library;
  std::vector<std::unique_ptr<Library>> libraries_;
  std::vector<std::string> plugin_paths_;
  std::map<std::string, OpEntry> ops_;
};

// "int", "float", "bool", "string", "init" or "int or int list", for messages and listings.
const char* attr_type_name(uint32_t type);
// "[0, 1]", "[1, inf]": an attribute's inclusive range.
std::string attribute_range_text(const gf_attr_spec& spec);
// Whether listing the range says anything (a numeric attribute with a finite bound).
bool has_range(const gf_attr_spec& spec);
// Whether the op has a backward (ABI 1.0 or 1.1).
bool is_differentiable(const gf_op_def& def);

// Folders searched for plugins, in order: $GRADFLOW_PLUGIN_PATH (colon-separated), then the
// installed default folder next to libgradflow (<libdir>/gradflow/plugins). A graph's
// `plugins:` and --plugin flags come before both; the caller loads those.
std::vector<std::string> default_plugin_folders();

// Loads the --plugin paths (files or folders), then the default_plugin_folders().
void load_standard_plugins(OpRegistry& registry, const std::vector<std::string>& extra_paths);

}  // namespace gradflow
