// The "current plugin call" record behind <gradflow/crash_report.hpp>. Each node gets its
// lines formatted once, when it is planned; a call into the plugin then costs two pointer
// stores (set the record, restore it), and the signal handler only reads the record and
// write(2)s the text: nothing in it allocates, locks or formats.
#pragma once

#include <atomic>
#include <memory>
#include <string>

namespace gradflow {

// One line up to the signal's name: "g.yaml:9:5: error: nodes[2] 'sq': op Square (/p/x.so)
// crashed in backward".
struct CallSite {
  std::string line;
};

enum class PluginPass { create, reserve, forward, backward, destroy };

struct CallSites {
  CallSite create, reserve, forward, backward, destroy;
  const CallSite& of(PluginPass pass) const;
};

// `what` names the caller's view of the node: "g.yaml:9:5: error: nodes[2] 'sq': op Square
// (/p/x.so)".
std::shared_ptr<const CallSites> make_call_sites(const std::string& what);

namespace detail_crash {
extern std::atomic<const CallSite*> g_current;
}

// Marks plugin code as running for the life of the scope.
class PluginCallScope {
 public:
  // A load and a store, not an exchange: a plain store costs less than a locked instruction,
  // and only the signal handler of this same process reads the record.
  explicit PluginCallScope(const CallSite* site)
      : previous_(detail_crash::g_current.load(std::memory_order_relaxed)) {
    detail_crash::g_current.store(site, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  ~PluginCallScope() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    detail_crash::g_current.store(previous_, std::memory_order_relaxed);
  }
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  const CallSite* previous_;
};

}  // namespace gradflow
