// "Crash": an op with a bug of the kind that no exception handler can catch. `how` picks the
// fault (segv, stack, abort, fpe, ill, bus), `pass` the call it happens in (create, reserve,
// forward, backward). The host must print one line naming node, op, plugin and pass, then die of
// that very signal.
#include <gradflow/op.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using namespace gradflow;

int g_zero = 0;  // not const: the compiler must not see the division by zero coming

// The faults must reach the kernel as faults even in a sanitizer build (tools/sanitize.sh),
// where UBSan would otherwise report the null store and the division first and exit.
#define GRADFLOW_REAL_FAULT __attribute__((no_sanitize("address", "undefined")))

// Recursion without end (the bound is never reached): the handler must run on its own stack
// to report it.
int g_depth_limit = 1 << 30;
GRADFLOW_REAL_FAULT int deeper(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  if (depth >= g_depth_limit) return frame[0];
  return deeper(depth + 1) + frame[0];
}

GRADFLOW_REAL_FAULT void fault(const std::string& how) {
  if (how == "segv") {
    volatile float* nowhere = nullptr;
    *nowhere = 1.0f;
  } else if (how == "abort") {
    std::abort();
  } else if (how == "fpe") {
    // (1 / z would not do: compilers turn it into a comparison, with no division left.)
    volatile int z = g_zero, n = 7;
    volatile int q = n / z;
    (void)q;
  } else if (how == "ill") {
    __builtin_trap();
  } else if (how == "stack") {
    deeper(0);
  } else if (how == "bus") {
    // Touching a page of a file mapping beyond the end of the file raises SIGBUS.
    std::FILE* f = std::tmpfile();
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    volatile const char* c = static_cast<const char*>(p);
    (void)*c;
  }
}

class Crash : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Crash", "Test op that faults in the pass it is told to.")
        .input("x")
        .attr(attr::text("how").default_value("segv").doc("segv, stack, abort, fpe, ill or bus"))
        .attr(
            attr::text("pass").default_value("forward").doc("create, reserve, forward, backward"));
  }
  static std::unique_ptr<Crash> create(const Attrs& attrs, NodeSetup& setup) {
    auto op = std::make_unique<Crash>();
    op->how_ = attrs.text("how");
    op->pass_ = attrs.text("pass");
    if (op->pass_ == "create") fault(op->how_);
    setup.set_output(setup.input_shape(0));
    return op;
  }
  void reserve(int64_t) override {
    if (pass_ == "reserve") fault(how_);
  }
  void forward(const ForwardContext& c) override {
    if (pass_ == "forward") fault(how_);
    for (int64_t i = 0; i < c.out.size(); ++i) c.out[i] = c.in(0)[i];
  }
  void backward(const BackwardContext& c) override {
    if (pass_ == "backward") fault(how_);
    if (c.in_grad(0))
      for (int64_t i = 0; i < c.out_grad.size(); ++i) c.in_grad(0)[i] += c.out_grad[i];
  }

 private:
  std::string how_, pass_;
};

}  // namespace

GRADFLOW_PLUGIN("crashing-op", Crash)
