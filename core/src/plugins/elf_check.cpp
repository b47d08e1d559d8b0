#include "plugins/elf_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cstdint>

namespace gradflow {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr uint16_t kHostMachine = EM_386;
#elif defined(__arm__)
constexpr uint16_t kHostMachine = EM_ARM;
#elif defined(__riscv)
constexpr uint16_t kHostMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr uint16_t kHostMachine = EM_S390;
#else
constexpr uint16_t kHostMachine = EM_NONE;  // unknown here: leave the judgement to dlopen
#endif

constexpr unsigned char kHostClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
constexpr unsigned char kHostData =
    std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "32-bit x86";
    case EM_AARCH64:
      return "AArch64 (64-bit ARM)";
    case EM_ARM:
      return "32-bit ARM";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "64-bit PowerPC";
    case EM_PPC:
      return "32-bit PowerPC";
    case EM_S390:
      return "IBM Z (s390)";
    case EM_MIPS:
      return "MIPS";
    default:
      return "ELF machine " + std::to_string(machine);
  }
}

}  // namespace

std::string elf_mismatch(const std::string& path) {
  // e_ident (16 bytes), e_type (2), e_machine (2): the same offsets in 32- and 64-bit files.
  std::array<unsigned char, 20> head{};
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n < static_cast<ssize_t>(head.size()) || head[EI_MAG0] != ELFMAG0 ||
      head[EI_MAG1] != ELFMAG1 || head[EI_MAG2] != ELFMAG2 || head[EI_MAG3] != ELFMAG3)
    return "";
  if (head[EI_CLASS] != kHostClass)
    return std::string("it is a ") + (head[EI_CLASS] == ELFCLASS32 ? "32-bit" : "64-bit") +
           " library; this gradflow is " + (kHostClass == ELFCLASS64 ? "64-bit" : "32-bit");
  if (head[EI_DATA] != kHostData)
    return "it was built for a machine of the other byte order (endianness)";
  const uint16_t machine = head[EI_DATA] == ELFDATA2LSB
                               ? static_cast<uint16_t>(head[18] | head[19] << 8)
                               : static_cast<uint16_t>(head[18] << 8 | head[19]);
  if (kHostMachine == EM_NONE || machine == kHostMachine) return "";
  return "it was built for " + machine_name(machine) + "; this gradflow runs on " +
         machine_name(kHostMachine) + ": rebuild the plugin on this machine";
}

}  // namespace gradflow
