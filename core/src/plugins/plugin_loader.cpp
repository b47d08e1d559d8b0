#include <gradflow/registry.hpp>
#include <gradflow/user_file.hpp>

#include "plugins/elf_check.hpp"

#include "plugins/op_table_check.hpp"
#include "plugins/plugin_identity.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace gradflow {

struct OpRegistry::Library {
  void* handle = nullptr;
  std::string path;
  std::string name;  // the plugin's own name
  FileIdentity identity;
  std::vector<std::unique_ptr<gf_op_def>> defs;  // the host's checked copies of the op table
  ~Library() {
    // Plugins stay mapped until the registry dies: op instances may still point into them.
    if (handle) ::dlclose(handle);
  }
};

OpRegistry::OpRegistry() = default;
OpRegistry::~OpRegistry() = default;

namespace {

std::string canonical_or_same(const std::string& path) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

std::string abi_text(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Before dlopen(), which would block on a FIFO and explains a foreign CPU as "No such file".
void check_plugin_file(const std::string& path, const std::string& requested,
                       const SourceLocation& where) {
  try {
    check_regular_file(path, "plugin file");
  } catch (const InputError& e) {
    throw InputError(where, "plugin '" + requested + "': " + e.diagnostics().front().message);
  }
  if (std::string why = elf_mismatch(path); !why.empty())
    throw InputError(where, "plugin '" + requested + "' cannot be loaded: " + why);
}

// dlopen and the version check, before any of the plugin's C++ code runs (its entry point
// returns constant data).
const gf_plugin* open_plugin(const std::string& path, const std::string& requested,
                             void** handle_out, const std::function<void(std::string)>& fail) {
  // RTLD_LOCAL keeps each plugin's symbols to itself, so two plugins cannot clash by name.
  // RTLD_NODELETE keeps the code mapped after dlclose(): op tables that a plugin builds once
  // and keeps in its own statics stay valid (and visible to LeakSanitizer) until exit.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = ::dlerror();
    fail("plugin '" + requested + "': cannot be loaded: " + (why ? why : "unknown reason"));
  }
  *handle_out = handle;
  ::dlerror();
  auto entry = reinterpret_cast<gf_plugin_entry_fn>(::dlsym(handle, GF_PLUGIN_ENTRY_NAME));
  if (!entry)
    fail("'" + requested + "' is not a gradflow plugin: it does not export '" +
         GF_PLUGIN_ENTRY_NAME + "'");
  const gf_plugin* plugin = entry();
  if (!plugin) fail("plugin '" + requested + "': its entry point returned nothing");
  if (plugin->abi_major != GF_ABI_MAJOR || plugin->abi_minor > GF_ABI_MINOR) {
    fail("plugin '" + requested + "' was built for gradflow plugin ABI " +
         abi_text(plugin->abi_major, plugin->abi_minor) + "; this gradflow supports " +
         abi_text(GF_ABI_MAJOR, 0) + " to " + abi_text(GF_ABI_MAJOR, GF_ABI_MINOR) +
         ": rebuild the plugin against this version");
  }
  if (plugin->struct_size < sizeof(gf_plugin) || !plugin->get_ops)
    fail("plugin '" + requested + "': malformed plugin descriptor");
  if (plugin->name && ::strnlen(plugin->name, 256) > 255)
    fail("plugin '" + requested + "': its name does not end within 256 bytes");
  return plugin;
}

}  // namespace

const OpRegistry::Library* OpRegistry::same_plugin(const std::string& path,
                                                   const FileIdentity& id) const {
  for (const auto& lib : libraries_)
    if (lib->path == path || (id.valid && lib->identity.valid && lib->identity.size == id.size &&
                              lib->identity.hash == id.hash && same_contents(lib->path, path)))
      return lib.get();
  return nullptr;
}

void OpRegistry::load_plugin(const std::string& requested, const SourceLocation& where) {
  auto fail = [&](const std::string& message) { throw InputError(where, message); };
  std::string path = canonical_or_same(requested);
  check_plugin_file(path, requested, where);
  // The same build found again (by another route, or a copy of it): its ops are loaded.
  const FileIdentity identity = file_identity(path);
  if (same_plugin(path, identity)) return;

  auto library = std::make_unique<Library>();
  library->path = path;
  library->identity = identity;
  const gf_plugin* plugin = open_plugin(path, requested, &library->handle, fail);
  library->name = plugin->name ? plugin->name : std::filesystem::path(path).stem().string();
  add_ops(*library, *plugin, requested, fail);
  plugin_paths_.push_back(path);
  libraries_.push_back(std::move(library));
}

void OpRegistry::add_ops(Library& library, const gf_plugin& plugin, const std::string& requested,
                         const std::function<void(std::string)>& fail) {
  uint32_t count = 0;
  const gf_op_def* const* table = plugin.get_ops(&count);
  if (count > 4096) fail("plugin '" + requested + "': it claims " + std::to_string(count) + " ops");
  if (!table && count > 0) fail("plugin '" + requested + "': it returned no op table");
  std::map<std::string, OpEntry> fresh;
  for (uint32_t i = 0; i < count; ++i) {
    if (std::string problem = op_def_problem(table[i], i); !problem.empty())
      fail("plugin '" + requested + "': " + problem);
    library.defs.push_back(normalized_op_def(*table[i]));
    const gf_op_def* def = library.defs.back().get();
    std::string name = def->name;
    if (auto clash = ops_.find(name); clash != ops_.end())
      fail("op '" + name + "' is defined twice: by '" + clash->second.plugin_path + "' and by '" +
           library.path + "'" + same_name_hint(clash->second, library.name));
    if (fresh.count(name)) fail("plugin '" + requested + "' defines op '" + name + "' twice");
    fresh[name] = OpEntry{def, library.path, library.name, plugin.abi_minor};
  }
  ops_.merge(fresh);
}

std::string OpRegistry::same_name_hint(const OpEntry& first, const std::string& second_name) {
  if (first.plugin_name != second_name) return "";
  return " (two different builds of plugin '" + second_name +
         "': keep one, e.g. reinstall it, or drop the graph's plugins: line now that it is "
         "installed)";
}

void OpRegistry::load_folder(const std::string& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) return;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) load_plugin(f);
}

const OpEntry* OpRegistry::find(const std::string& op_name) const {
  auto it = ops_.find(op_name);
  return it == ops_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::op_names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : ops_) names.push_back(name);
  return names;
}

std::vector<std::string> default_plugin_folders(std::vector<std::string>* warnings) {
  std::vector<std::string> folders;
  if (const char* env = std::getenv("GRADFLOW_PLUGIN_PATH")) {
    std::stringstream list(env);
    std::string item;
    while (std::getline(list, item, ':')) {
      if (item.empty()) continue;
      std::error_code ec;
      if (std::filesystem::is_directory(item, ec)) {
        folders.push_back(item);
      } else if (warnings) {
        const bool file = std::filesystem::exists(item, ec);
        warnings->push_back("GRADFLOW_PLUGIN_PATH entry '" + item + "' " +
                            (file ? "is not a folder: ignored (load one plugin file with "
                                    "--plugin or a graph's plugins: list)"
                                  : "does not exist: ignored"));
      }
    }
  }
  // The built-in plugins live in <libdir>/gradflow/plugins, next to libgradflow itself. The build
  // tree has the same layout, so this works before and after installing.
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&load_standard_plugins), &info) && info.dli_fname) {
    std::error_code ec;
    auto library = std::filesystem::weakly_canonical(info.dli_fname, ec);
    if (!ec) folders.push_back((library.parent_path() / "gradflow" / "plugins").string());
  }
  return folders;
}

void load_standard_plugins(OpRegistry& registry, const std::vector<std::string>& extra_paths,
                           std::vector<std::string>* warnings) {
  for (const auto& p : extra_paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec))
      registry.load_folder(p);
    else
      registry.load_plugin(p);
  }
  for (const auto& folder : default_plugin_folders(warnings)) registry.load_folder(folder);
}

}  // namespace gradflow
