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

struct OpEntry {
  const gf_op_def* def = nullptr;
  std::string plugin_path;
  std::string plugin_name;
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

// "int", "float", "bool", "string" or "init", for messages and listings.
const char* attr_type_name(uint32_t type);

// Folders searched for plugins, in order: $GRADFLOW_PLUGIN_PATH (colon-separated), then the
// installed default folder next to libgradflow (<libdir>/gradflow/plugins). A graph's
// `plugins:` and --plugin flags come before both; the caller loads those.
std::vector<std::string> default_plugin_folders();

// Loads the --plugin paths (files or folders), then the default_plugin_folders().
void load_standard_plugins(OpRegistry& registry, const std::vector<std::string>& extra_paths);

}  // namespace gradflow
