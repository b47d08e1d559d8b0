#include "dist/launcher.hpp"

#include <gradflow/numbers.hpp>

#include <climits>
#include <cstdlib>
#include <optional>

namespace gradflow {
namespace {

std::optional<int> read_count(const char* name, int low) {
  const char* text = std::getenv(name);
  if (!text) return std::nullopt;
  auto value = parse_integer(text);
  if (!value || *value < low || *value > INT_MAX) return std::nullopt;
  return static_cast<int>(*value);
}

}  // namespace

LaunchedAs launched_as() {
  static constexpr const char* kVariables[][2] = {
      {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},  // Open MPI's mpirun
      {"PMI_SIZE", "PMI_RANK"},                          // MPICH's Hydra, Intel MPI
      {"MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"},    // MVAPICH
  };
  for (const auto& [size_name, rank_name] : kVariables) {
    auto size = read_count(size_name, 1);
    auto rank = read_count(rank_name, 0);
    if (size && rank && *rank < *size) return {*rank, *size};
  }
  return {};
}

}  // namespace gradflow
