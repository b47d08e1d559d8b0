#include <gradflow/communicator.hpp>

namespace gradflow {
namespace {

class Solo final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(float*, int64_t) override {}
  void sum(double*, int64_t) override {}
  void broadcast(float*, int64_t) override {}
  void broadcast(std::string&) override {}
  std::string agree_on_failure(const std::string& my_failure) override { return my_failure; }
};

}  // namespace

std::unique_ptr<Communicator> solo_communicator() {
  return std::make_unique<Solo>();
}

}  // namespace gradflow
