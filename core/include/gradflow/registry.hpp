// The op registry: every op comes from a plugin library loaded at run time, the built-in ones
// included. Loading checks the library's ABI version before calling any of its code.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/diagnostics.hpp>

#include <functional>
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

struct FileIdentity;  // plugins/plugin_identity.hpp

class OpRegistry {
 public:
  OpRegistry();
  ~OpRegistry();
  OpRegistry(const OpRegistry&) = delete;
  OpRegistry& operator=(const OpRegistry&) = delete;

  // Loads one plugin library. `where` is the place that asked for it (graph line or flag).
  // Throws InputError for a missing file, a non-plugin library, an ABI mismatch, or an op
  // name that another loaded plugin already provides (naming both files). Loading the same
  // file twice, or a byte-identical copy of a loaded plugin, is a no-op.
  void load_plugin(const std::string& path, const SourceLocation& where = {});

  // Loads every *.so in a folder (non-recursive), in name order; a missing folder is fine
  // here (default_plugin_folders warns about those the user named).
  void load_folder(const std::string& folder);

  const OpEntry* find(const std::string& op_name) const;
  std::vector<std::string> op_names() const;
  const std::vector<std::string>& plugin_paths() const { return plugin_paths_; }
  const std::map<std::string, OpEntry>& ops() const { return ops_; }

 private:
  struct Library;
  const Library* same_plugin(const std::string& path, const FileIdentity& id) const;
  void add_ops(Library& library, const gf_plugin& plugin, const std::string& requested,
               const std::function<void(std::string)>& fail);
  static std::string same_name_hint(const OpEntry& first, const std::string& second_name);
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

// Where plugins come from, in this order (docs/writing-an-op.md, "Where gradflow looks for
// plugins"): a graph's `plugins:` list, --plugin (files or folders), the folders of
// $GRADFLOW_PLUGIN_PATH (colon-separated), the installed default folder next to libgradflow
// (<libdir>/gradflow/plugins). Every plugin found is loaded; the same build found twice loads
// once; two different files defining one op are an error naming both.

// The last two routes. Entries of $GRADFLOW_PLUGIN_PATH that are not folders are left out,
// each with a sentence in `warnings`.
std::vector<std::string> default_plugin_folders(std::vector<std::string>* warnings = nullptr);

// Loads the --plugin paths (files or folders), then the default_plugin_folders().
void load_standard_plugins(OpRegistry& registry, const std::vector<std::string>& extra_paths,
                           std::vector<std::string>* warnings = nullptr);

}  // namespace gradflow
